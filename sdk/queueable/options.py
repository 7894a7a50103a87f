"""The options of `async_()`, validated when it is called.

All are keyword arguments; an unknown one is an error (with a suggestion), never ignored.
Each invalid value raises InvalidOptionError saying what the option must be and what it
got. Durations are whole seconds (an int, or a `timedelta` of whole seconds).
"""

from __future__ import annotations

import datetime as dt
import difflib
from typing import Annotated, Any, Self

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    ValidationError,
    field_validator,
    model_validator,
)

from queueable.errors import InvalidOptionError
from queueable.models import NAME_MAX, NAME_PATTERN, WorkerOptions


def _seconds(value: Any) -> Any:
    if isinstance(value, dt.timedelta):
        seconds = value.total_seconds()
        return int(seconds) if seconds.is_integer() else value
    return value


Seconds = Annotated[StrictInt, BeforeValidator(_seconds)]

_EXPECTED = {
    "cache_duration": "a positive number of seconds (int or timedelta)",
    "cache_key": "a non-empty string of at most 512 characters",
    "cache_method": "the name of a method of the target's object or class",
    "merge_duplicate": "True or False",
    "duplicate_duration": "a positive number of seconds (int or timedelta)",
    "tag": "a lowercase RFC 1123 name (a-z, 0-9 and '-', at most 63), like 'report'",
    "tenant": "a lowercase RFC 1123 name (a-z, 0-9 and '-', at most 63), like 'acme'",
    "worker_options": "a dict of image, resources, env, node_selector, tolerations, "
    "service_account_name, priority_class_name, ttl_seconds_after_finished",
    "execute_inline": "True or False",
    "retries": "an int from 0 to 99 (retries after the first attempt)",
    "retry_backoff": "a number of seconds >= 0 (int or timedelta)",
    "timeout": "a positive number of seconds (int or timedelta)",
}


class Options(BaseModel):
    """What `async_(**options)` accepts; see the module docstring."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    cache_duration: Seconds | None = Field(default=None, gt=0)
    """Keep the result this long and answer identical calls from it (no job runs)."""
    cache_key: str | None = Field(default=None, min_length=1, max_length=512)
    """Cache under this key (per tenant); default: the call's canonical hash."""
    cache_method: str | None = Field(default=None, pattern=r"^[A-Za-z][A-Za-z0-9_]*$")
    """Name of a method of the object (or class) called with the job's arguments; its
    return value (a str) is the cache key. Not together with cache_key."""
    merge_duplicate: StrictBool = False
    """An identical call inside `duplicate_duration` returns the running job's handle."""
    duplicate_duration: Seconds | None = Field(default=None, gt=0)
    """The dedup window in seconds; default 600. Needs merge_duplicate=True."""
    tag: str = Field(default="default", max_length=NAME_MAX, pattern=NAME_PATTERN)
    """Groups jobs for quotas, labels and `kubectl get qj -l queueable.io/tag=...`."""
    tenant: str | None = Field(default=None, max_length=NAME_MAX, pattern=NAME_PATTERN)
    """Tenant of the job; default: QUEUEABLE_TENANT."""
    worker_options: WorkerOptions | None = None
    """Passed to the execution layer (the runner pod); snake_case or camelCase keys."""
    execute_inline: StrictBool = False
    """Run in the caller now (still cached, deduplicated, stored and recorded)."""
    retries: StrictInt = Field(default=0, ge=0, le=99)
    """Further attempts after a failed first one."""
    retry_backoff: Seconds | None = Field(default=None, ge=0)
    """Seconds between attempts; default 10."""
    timeout: Seconds | None = Field(default=None, gt=0)
    """Deadline of the job, all attempts included."""

    @field_validator("worker_options", mode="before")
    @classmethod
    def _worker_options_dict(cls, value: Any) -> Any:
        if value is not None and not isinstance(value, dict | WorkerOptions):
            raise ValueError("not a dict")
        return value

    @model_validator(mode="after")
    def _combinations(self) -> Self:
        if self.cache_key is not None and self.cache_method is not None:
            raise ValueError("cache_key and cache_method cannot be used together: "
                             "choose one way to name the cache entry")
        if self.cache_duration is None and (self.cache_key or self.cache_method):
            raise ValueError("cache_key and cache_method need cache_duration (how long "
                             "the result stays fresh)")
        if self.duplicate_duration is not None and not self.merge_duplicate:
            raise ValueError("duplicate_duration needs merge_duplicate=True")
        return self

    @property
    def dedup_window(self) -> int:
        """The dedup window in seconds (default 600)."""
        return self.duplicate_duration or 600


def parse_options(options: dict[str, Any]) -> Options:
    """Validate `async_()`'s keyword arguments; InvalidOptionError explains a refusal."""
    unknown = sorted(set(options) - set(Options.model_fields))
    if unknown:
        name = unknown[0]
        close = difflib.get_close_matches(name, list(Options.model_fields), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise InvalidOptionError(
            f"unknown option {name!r}{hint}; the options are: "
            + ", ".join(Options.model_fields)
        )
    try:
        return Options(**options)
    except ValidationError as exc:
        raise InvalidOptionError(_describe(exc)) from None


def _describe(exc: ValidationError) -> str:
    error = exc.errors()[0]
    loc = error["loc"]
    if not loc:
        return str(error["msg"]).removeprefix("Value error, ")
    name = str(loc[0])
    if name == "worker_options" and len(loc) > 1:
        field = ".".join(str(p) for p in loc[1:])
        if error["type"] == "extra_forbidden":
            return (f"option worker_options has an unknown key {field!r}; the keys are: "
                    + ", ".join(WorkerOptions.model_fields))
        return f"option worker_options[{field!r}]={error['input']!r} is invalid: {error['msg']}"
    return f"option {name}={error['input']!r} is invalid: {name} must be {_EXPECTED[name]}"
