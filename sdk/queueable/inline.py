"""Running a job in the caller: `execute_inline=True`, and every job in testing mode.

The call goes through the same round trip as a background job: the target is resolved by
name with the runner's rules (`queueable.resolve`: static lookups, no underscore names,
no metaclass attributes such as `mro`, the allow-list or, when none is configured, the
target's own package), the arguments are decoded from the encoded spec, the object is
rebuilt with `queueable_load`, and the result is encoded, so that inline code fails
where a runner would.
The outcome is stored like a runner's (`store_outcome`: result, cache, dedup release,
completion signal), and, outside testing mode, a QueueableJob with `executeInline: true`
is recorded and given its final phase so that `kubectl get qj` shows it.

Recording is best effort: with no usable cluster (no kubeconfig, unreachable API server,
no CRD) the job still runs and is stored in Redis, and a warning is logged. Inline runs
once: `retries`, `retry_backoff`, `timeout` and `worker_options` are recorded, not applied.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import threading
import traceback
from typing import TYPE_CHECKING, Any

from queueable import codec, jobstatus, keys, kube, resolve, results
from queueable.errors import QueueableError
from queueable.job import Job, phase_of
from queueable.models import QueueableJobSpec
from queueable.results import Envelope

if TYPE_CHECKING:
    from queueable.config import Settings
    from queueable.store import Store
    from queueable.submit import Prepared

log = logging.getLogger("queueable")

def _await(awaitable: Any) -> Any:
    """Run a coroutine to completion, also when called from inside an event loop."""
    async def main() -> Any:
        return await awaitable

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(main())
    box: dict[str, Any] = {}

    def worker() -> None:
        try:
            box["value"] = asyncio.run(main())
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=worker, name="queueable-inline")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


def execute(spec: QueueableJobSpec, settings: Settings) -> Envelope:
    """Run the call a spec describes, as a runner would; the outcome envelope.

    The target and the object references in the arguments are resolved by
    `queueable.resolve` with the runner's rules and `resolve.caller_allow_list`.
    """
    def load_object(module: str, qualname: str, object_id: str) -> Any:
        return resolve.load_reference_in_caller(module, qualname, object_id, settings)

    try:
        allow = resolve.caller_allow_list(spec.target.module, settings)
        found = resolve.resolve_target(spec.target, allow)
        args = codec.decode(spec.args, load_object)
        kwargs = codec.decode(spec.kwargs, load_object)
    except resolve.RefusedTarget as exc:
        # As in a runner: a refusal carries no traceback (it would show Queueable's code).
        return results.exception_envelope(exc)
    except Exception as exc:  # noqa: BLE001 - an import or queueable_load failure is the outcome
        return results.exception_envelope(exc, traceback.format_exc())
    try:
        value = found.callable_for(spec.target.object_id)(*args, **kwargs)
        if inspect.isawaitable(value):
            value = _await(value)
        return results.ok_envelope(codec.encode(value, "result"))
    except Exception as exc:  # noqa: BLE001 - any failure of the target is its outcome
        return results.exception_envelope(exc, traceback.format_exc())


def _final_status(prepared: Prepared, envelope: Envelope, started: str) -> dict[str, Any]:
    status: dict[str, Any] = {
        "phase": phase_of(envelope).value,
        "cacheHit": False,
        "attempts": 1,
        "submittedAt": started,
        "admittedAt": started,
        "startedAt": started,
        "finishedAt": jobstatus.now(),
        "resultKey": keys.result(prepared.namespace, prepared.name),
    }
    if envelope.get("ok") is True:
        # As a runner writes it (`queueable.jobstatus`): resultInline tells a None result
        # (absent from the status) apart from one that is only in Redis.
        fits, value = jobstatus.inline_result(envelope.get("value"))
        status["resultInline"] = fits
        if fits:
            status["result"] = value
    else:
        status["error"] = envelope.get("error")
    return status


def run(prepared: Prepared, backend: Store, *, record: bool) -> Job:
    """Run a prepared call in the caller, store its outcome, record it when `record`."""
    recorded = False
    if record:
        try:
            kube.create_job(prepared.namespace, prepared.body)
            recorded = True
        except QueueableError as exc:
            log.warning("inline job %s runs without a QueueableJob record: %s",
                        prepared.name, exc)
    started = jobstatus.now()
    envelope = execute(prepared.spec, prepared.settings)
    spec = prepared.spec
    try:
        backend.store_outcome(prepared.namespace, prepared.name, envelope, tenant=spec.tenant,
                              cache=spec.cache, dedup=spec.dedup,
                              ttl=prepared.settings.result_ttl_seconds)
    except QueueableError as exc:
        log.warning("inline job %s: outcome not stored: %s", prepared.name, exc)
    if recorded:
        try:
            kube.patch_job_status(prepared.namespace, prepared.name,
                                  _final_status(prepared, envelope, started))
        except QueueableError as exc:
            log.warning("inline job %s: final phase not recorded: %s", prepared.name, exc)
    return Job(prepared.name, prepared.namespace, outcome={**envelope, "job": prepared.name},
               has_resource=recorded)
