"""Settings of the SDK (and of the runner), read from the environment or `configure()`.

Every setting has one default, here, and one environment variable, `QUEUEABLE_` plus the
field name in upper case (`KUBECONFIG` is read as well, as kubectl does). An application
overrides them in code with `queueable.configure(...)`; `get_settings()` is what every
other module reads. Invalid settings raise ConfigurationError naming the setting.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Sequence
from typing import Annotated, Any

from pydantic import AliasChoices, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from queueable.errors import ConfigurationError
from queueable.models import NAME_MAX, NAME_PATTERN

_MODULE_PREFIX = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*\.?$")
MAX_ARGUMENT_BYTES_CEILING = 1_048_576
"""`max_argument_bytes` may not exceed 1 MiB: etcd refuses objects over 1.5 MiB."""


class Settings(BaseSettings):
    """What the SDK needs to reach the cluster and Redis, and the limits it enforces."""

    model_config = SettingsConfigDict(
        env_prefix="QUEUEABLE_", extra="forbid", populate_by_name=True, frozen=True
    )

    namespace: str = Field(default="default", max_length=63, pattern=NAME_PATTERN)
    """Kubernetes namespace of submitted jobs (QUEUEABLE_NAMESPACE)."""

    redis_url: str = "redis://127.0.0.1:6379/0"
    """Redis holding results, cache entries and dedup claims (QUEUEABLE_REDIS_URL);
    `redis://`, `rediss://` or `unix://`; a password goes in the URL."""

    tenant: str = Field(default="default", max_length=NAME_MAX, pattern=NAME_PATTERN)
    """Tenant of a job whose `async_()` names none (QUEUEABLE_TENANT)."""

    allowed_modules: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """Module prefixes a runner may import (QUEUEABLE_ALLOWED_MODULES, comma-separated).
    `myapp` allows `myapp` and `myapp.jobs`, not `myapplication`. Empty: the SDK does not
    check (the runner refuses everything); set, the SDK refuses at the call a target the
    runner would refuse. See `module_allowed`."""

    max_argument_bytes: int = Field(default=65536, gt=0, le=MAX_ARGUMENT_BYTES_CEILING)
    """Largest encoded args+kwargs of one call (QUEUEABLE_MAX_ARGUMENT_BYTES); the spec
    must stay far below etcd's object limit."""

    result_ttl_seconds: int = Field(default=86400, gt=0)
    """How long a result (and its completion signal) stays in Redis."""

    kubeconfig: str | None = Field(
        default=None, validation_alias=AliasChoices("kubeconfig", "QUEUEABLE_KUBECONFIG",
                                                    "KUBECONFIG"),
    )
    """Kubeconfig file(s) (KUBECONFIG, `:`-separated). Unset: in-cluster configuration
    when running in a pod, else ~/.kube/config."""

    kube_context: str | None = None
    """Context of the kubeconfig to use (QUEUEABLE_KUBE_CONTEXT); unset: the current one."""

    api_timeout_seconds: float = Field(default=30.0, gt=0)
    """Deadline of one request to the API server, the client's retries included
    (QUEUEABLE_API_TIMEOUT_SECONDS)."""

    @field_validator("allowed_modules", mode="before")
    @classmethod
    def _split_modules(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("allowed_modules")
    @classmethod
    def _check_modules(cls, value: list[str]) -> list[str]:
        for prefix in value:
            if not _MODULE_PREFIX.match(prefix):
                raise ValueError(f"{prefix!r} is not a module name or prefix")
        return value

    @field_validator("redis_url")
    @classmethod
    def _check_redis_url(cls, value: str) -> str:
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError(f"{value!r} must start with redis://, rediss:// or unix://")
        return value

    @property
    def in_cluster(self) -> bool:
        """True when no kubeconfig is named and the process runs in a pod."""
        return self.kubeconfig is None and "KUBERNETES_SERVICE_HOST" in os.environ


def module_allowed(module: str, prefixes: Sequence[str]) -> bool:
    """Whether `module` is matched by one of the allow-list's prefixes.

    A prefix matches the module itself and its submodules (`myapp` matches `myapp.jobs`,
    not `myapplication`); a prefix ending in a dot matches submodules only.
    """
    for prefix in prefixes:
        if prefix.endswith("."):
            if module.startswith(prefix):
                return True
        elif module == prefix or module.startswith(prefix + "."):
            return True
    return False


_lock = threading.Lock()
_settings: Settings | None = None
_listeners: list[Callable[[], None]] = []


def _build(**overrides: Any) -> Settings:
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise ConfigurationError(_describe(exc)) from None


def _describe(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors():
        field = ".".join(str(p) for p in error["loc"]) or "settings"
        if error["type"] == "extra_forbidden":
            problems.append(f"unknown setting {field!r}")
            continue
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "string_pattern_mismatch":
            message = "must be a lowercase RFC 1123 name (a-z, 0-9 and '-'), like 'acme'"
        problems.append(f"setting {field}={error['input']!r} is invalid: {message}")
    return "invalid Queueable configuration: " + "; ".join(problems)


def get_settings() -> Settings:
    """The settings in force: `configure()`'s, else read from the environment once."""
    global _settings
    with _lock:
        if _settings is None:
            _settings = _build()
        return _settings


def configure(**overrides: Any) -> Settings:
    """Set settings in code, on top of the environment; returns the new settings.

    Each call starts again from the environment, so `configure()` with no argument goes
    back to it. Clients built from the former settings (Kubernetes, Redis) are dropped.
    """
    global _settings
    settings = _build(**overrides)
    with _lock:
        _settings = settings
        listeners = list(_listeners)
    for listener in listeners:
        listener()
    return settings


def reset() -> None:
    """Forget `configure()`'s settings: the next `get_settings()` reads the environment
    again (tests use it to leave no settings behind). Cached clients are dropped."""
    global _settings
    with _lock:
        _settings = None
        listeners = list(_listeners)
    for listener in listeners:
        listener()


def on_change(listener: Callable[[], None]) -> None:
    """Call `listener` whenever `configure()` replaces the settings (drops cached clients)."""
    with _lock:
        _listeners.append(listener)
