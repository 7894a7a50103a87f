"""The only module of the SDK that talks to the Kubernetes API.

It reads and writes QueueableJob resources through the official client's
CustomObjectsApi, and turns the client's failures into the SDK's errors: a missing CRD
into CRDNotInstalledError, an unreachable server into ClusterUnavailableError naming the
server, a missing kubeconfig into ConfigurationError. The client is built once from the
settings (KUBECONFIG, in-cluster) and rebuilt after `queueable.configure()`. Asyncio
callers reach it through `asyncio.to_thread` (see `BoundCall.submit_async`).
"""

from __future__ import annotations

import json
import threading
from typing import Any, Final, cast

import kubernetes.client
import kubernetes.config
import urllib3.exceptions
from kubernetes.client.exceptions import ApiException

from queueable import config
from queueable.errors import (
    ClusterUnavailableError,
    ConfigurationError,
    CRDNotInstalledError,
    JobNotFoundError,
    KubernetesAPIError,
)
from queueable.models import GROUP, JOB_PLURAL, VERSION

_MERGE_PATCH = "application/merge-patch+json"

TRIES_PER_REQUEST: Final = int(urllib3.util.Retry.DEFAULT.total or 0) + 1
"""How many times the client's connection pool tries one request in all (urllib3's default
`Retry`); a request's deadline is shared between its tries, so that it holds."""

MIN_TRY_SECONDS: Final = 0.05
"""The shortest time given to one try, however close the caller's deadline is."""
_lock = threading.Lock()
_api: kubernetes.client.CustomObjectsApi | None = None


def _drop_client() -> None:
    global _api
    with _lock:
        _api = None


config.on_change(_drop_client)


def _build_api_client(settings: config.Settings) -> kubernetes.client.ApiClient:
    try:
        if settings.in_cluster:
            configuration = kubernetes.client.Configuration()
            kubernetes.config.load_incluster_config(  # type: ignore[no-untyped-call]
                client_configuration=configuration
            )
            return kubernetes.client.ApiClient(configuration)
        client = kubernetes.config.new_client_from_config(  # type: ignore[no-untyped-call]
            config_file=settings.kubeconfig, context=settings.kube_context
        )
        return cast("kubernetes.client.ApiClient", client)
    except (kubernetes.config.ConfigException, OSError) as exc:
        where = settings.kubeconfig or "~/.kube/config"
        raise ConfigurationError(
            f"no usable Kubernetes configuration ({where}): {exc}; set KUBECONFIG, "
            "or run in a pod"
        ) from None


def custom_objects() -> kubernetes.client.CustomObjectsApi:
    """The CustomObjectsApi built from the current settings (built once, then shared)."""
    global _api
    with _lock:
        if _api is None:
            _api = kubernetes.client.CustomObjectsApi(_build_api_client(config.get_settings()))
        return _api


def _server(api: kubernetes.client.CustomObjectsApi) -> str:
    return str(api.api_client.configuration.host)


def _message(exc: ApiException) -> str:
    try:
        body = json.loads(exc.body or "{}")
    except (TypeError, ValueError):
        return str(exc.reason)
    return str(body.get("message") or exc.reason)


def _not_found_kind(exc: ApiException) -> str | None:
    try:
        return cast("str | None", json.loads(exc.body or "{}").get("details", {}).get("kind"))
    except (TypeError, ValueError, AttributeError):
        return None


def _call(verb: str, namespace: str, name: str | None, fn: Any, /, *,
          timeout: float | None = None, **kwargs: Any) -> Any:
    """Run one API call and translate its failures.

    The call ends within `timeout` seconds (at most QUEUEABLE_API_TIMEOUT_SECONDS), the
    pool's retries included.
    """
    api = custom_objects()
    limit = config.get_settings().api_timeout_seconds
    if timeout is not None:
        limit = min(limit, timeout)
    per_try = max(limit / TRIES_PER_REQUEST, MIN_TRY_SECONDS)
    what = f"QueueableJob {namespace}/{name}" if name else f"QueueableJobs in {namespace}"
    try:
        return fn(api)(group=GROUP, version=VERSION, namespace=namespace, plural=JOB_PLURAL,
                       _request_timeout=per_try, **kwargs)
    except ApiException as exc:
        if exc.status == 404:
            if _not_found_kind(exc) == "namespaces":
                raise KubernetesAPIError(
                    f"namespace {namespace!r} does not exist (QUEUEABLE_NAMESPACE)", 404
                ) from None
            if verb in ("create", "list"):
                raise CRDNotInstalledError(
                    f"the QueueableJob CRD is not installed on {_server(api)}: is the "
                    "chart installed? (kubectl apply -f crds/)"
                ) from None
            raise JobNotFoundError(f"no {what}") from None
        raise KubernetesAPIError(
            f"the API server refused to {verb} {what}: {exc.status} {_message(exc)}",
            exc.status,
        ) from None
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        raise ClusterUnavailableError(
            f"cannot reach the Kubernetes API server at {_server(api)}: "
            f"{type(exc).__name__}: {exc}"
        ) from None


def create_job(namespace: str, body: dict[str, Any]) -> dict[str, Any]:
    """Create a QueueableJob; returns the stored object."""
    name = body.get("metadata", {}).get("name")
    return cast("dict[str, Any]", _call(
        "create", namespace, name, lambda api: api.create_namespaced_custom_object, body=body
    ))


def get_job(namespace: str, name: str, *, timeout: float | None = None) -> dict[str, Any]:
    """Read a QueueableJob; JobNotFoundError when there is none of that name. `timeout`
    shortens the settings' deadline (for a caller that has its own)."""
    return cast("dict[str, Any]", _call(
        "get", namespace, name, lambda api: api.get_namespaced_custom_object, name=name,
        timeout=timeout,
    ))


def list_jobs(namespace: str, label_selector: str = "") -> list[dict[str, Any]]:
    """The QueueableJobs of a namespace, optionally filtered by labels."""
    listing = _call("list", namespace, None, lambda api: api.list_namespaced_custom_object,
                    label_selector=label_selector)
    return cast("list[dict[str, Any]]", listing.get("items", []))


def patch_job_status(namespace: str, name: str, status: dict[str, Any]) -> dict[str, Any]:
    """Merge `status` (camelCase) into the job's status subresource."""
    return cast("dict[str, Any]", _call(
        "patch the status of", namespace, name,
        lambda api: api.patch_namespaced_custom_object_status,
        name=name, body={"status": status}, _content_type=_MERGE_PATCH,
    ))


def patch_spec(namespace: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    """Merge `spec` (camelCase) into the job's spec, e.g. ``{"cancel": True}``."""
    return cast("dict[str, Any]", _call(
        "patch", namespace, name, lambda api: api.patch_namespaced_custom_object,
        name=name, body={"spec": spec}, _content_type=_MERGE_PATCH,
    ))

