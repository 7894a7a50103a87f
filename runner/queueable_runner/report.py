"""What the runner tells the world: the QueueableJob's status and the outcome in Redis.

The status patches are built by pure functions (`started`, `finished`, `retrying`) from
the status the runner read, and written as JSON merge patches on the status subresource
through `queueable.kube`. The outcome envelope goes to Redis through
`queueable.results.store_outcome` (result key, cache key when the spec asks, release of
the dedup claim on failure, completion signal), and only once the job is finished: a
failed attempt that the Job controller will retry stores nothing, so no waiter wakes on
an error that a later attempt may replace.

Status fields the runner writes:

- at start: `phase: Running`, `startedAt`, `attempts` (+1), condition `Running=True`;
- at the end: `phase: Succeeded|Failed`, `finishedAt`, `reason`, `message`,
  `resultKey`, `result` (inline when `queueable.jobstatus.inline_result` says it fits,
  else removed: read it from Redis), `resultInline` (whether `result` holds the whole
  value, a `None` result included; removed on failure), `error` (type, message,
  traceback; removed on success), conditions `Running=False` and `Finished=True` with
  the reason;
- after a failed attempt that will be retried: `phase` stays Running, `reason:
  AttemptFailed`, `error`, condition `Running=False`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

import redis
from queueable import jobstatus, keys, kube, results
from queueable.models import JobError, Phase, QueueableJobSpec

from queueable_runner.invoke import Outcome

STATUS_TRACEBACK_MAX_CHARS: Final = 8192
"""A traceback in the status keeps its last this many characters (Redis keeps it all)."""

STATUS_MESSAGE_MAX_CHARS: Final = 2048
"""An error message in the status keeps its first this many characters."""

RETRYING: Final = "AttemptFailed"
"""`status.reason` after a failed attempt that will be retried."""

Status = dict[str, Any]


def _condition(current: Status, type_: str, state: bool, reason: str, message: str,
               at: str) -> list[dict[str, Any]]:
    """`current`'s conditions with `type_` set; its time changes only when its status does."""
    status = "True" if state else "False"
    conditions = [dict(c) for c in current.get("conditions") or [] if isinstance(c, dict)]
    for condition in conditions:
        if condition.get("type") == type_:
            if condition.get("status") != status:
                condition["lastTransitionTime"] = at
            condition.update(status=status, reason=reason, message=message)
            return conditions
    conditions.append({"type": type_, "status": status, "reason": reason, "message": message,
                       "lastTransitionTime": at})
    return conditions


def started(current: Status, at: str) -> Status:
    """The patch that marks an attempt started; `current` is the status read before."""
    attempts = current.get("attempts")
    attempt = (attempts if isinstance(attempts, int) else 0) + 1
    patch: Status = {
        "phase": Phase.RUNNING.value, "startedAt": at, "attempts": attempt,
        "reason": "Running", "message": f"attempt {attempt} started",
    }
    patch["conditions"] = _condition(current, "Running", True, "Running", patch["message"], at)
    return patch


def _error(outcome: Outcome) -> dict[str, Any]:
    envelope = outcome.envelope()["error"]
    message = str(envelope["message"])
    if len(message) > STATUS_MESSAGE_MAX_CHARS:
        message = message[:STATUS_MESSAGE_MAX_CHARS] + " [truncated]"
    trace = str(envelope["traceback"])
    if len(trace) > STATUS_TRACEBACK_MAX_CHARS:
        trace = "[truncated]\n" + trace[-STATUS_TRACEBACK_MAX_CHARS:]
    return JobError(type=envelope["type"], message=message, traceback=trace).model_dump(
        by_alias=True
    )


def finished(current: Status, outcome: Outcome, namespace: str, name: str, at: str) -> Status:
    """The patch of a finished job (success, last failed attempt, or refusal)."""
    phase = Phase.SUCCEEDED if outcome.ok else Phase.FAILED
    patch: Status = {
        "phase": phase.value, "finishedAt": at, "reason": outcome.reason,
        "resultKey": keys.result(namespace, name),
    }
    if outcome.ok:
        fits, value = jobstatus.inline_result(outcome.value)
        # A None result is written as an absent field (merge patch): resultInline tells it
        # apart from a result that is only in Redis.
        patch["result"] = value
        patch["resultInline"] = fits
        patch["error"] = None
        patch["message"] = "succeeded" if fits else (
            f"succeeded; the result is over {jobstatus.INLINE_RESULT_MAX_BYTES} bytes, "
            "read it from Redis (resultKey)"
        )
    else:
        patch["result"] = None
        patch["resultInline"] = None
        patch["error"] = error = _error(outcome)
        patch["message"] = f"{error['type']}: {error['message']}"
    patch["conditions"] = _condition(
        {"conditions": _condition(current, "Running", False, outcome.reason, "finished", at)},
        "Finished", True, outcome.reason, patch["message"], at,
    )
    return patch


def retrying(current: Status, outcome: Outcome, attempt: int, max_attempts: int,
             at: str) -> Status:
    """The patch after a failed attempt that the Job controller will retry."""
    error = _error(outcome)
    message = (f"attempt {attempt} of {max_attempts} failed, will be retried: "
               f"{error['type']}: {error['message']}")
    return {
        "reason": RETRYING, "message": message, "error": error,
        "conditions": _condition(current, "Running", False, RETRYING, message, at),
    }


def retry_wait_seconds(current: Status, backoff_seconds: float, at: dt.datetime) -> float:
    """How long this attempt waits before calling the target, so that `retry.backoffSeconds`
    separate it from the failed attempt before it.

    The Job controller already waits before it starts a retry's pod (10 s, doubling); this
    makes `retry_backoff` a floor on top of that: the effective wait is the larger of the
    two. The failure time is the Running condition's transition to False that `retrying`
    wrote; a first attempt (or any other state) waits for nothing.
    """
    if current.get("reason") != RETRYING:
        return 0.0
    running = next((c for c in current.get("conditions") or []
                    if isinstance(c, dict) and c.get("type") == "Running"), None)
    if running is None or running.get("status") != "False":
        return 0.0
    try:
        failed_at = dt.datetime.fromisoformat(str(running["lastTransitionTime"]))
    except (KeyError, ValueError):
        return 0.0
    elapsed = (at - failed_at).total_seconds()
    return max(0.0, min(float(backoff_seconds), float(backoff_seconds) - elapsed))


def read_job(namespace: str, name: str) -> dict[str, Any]:
    """The QueueableJob as the API server has it (JobNotFoundError when there is none)."""
    return kube.get_job(namespace, name)


def patch_status(namespace: str, name: str, patch: Status) -> Status:
    """Write `patch` to the job's status; returns the status after it."""
    updated = kube.patch_job_status(namespace, name, patch)
    status = updated.get("status")
    return status if isinstance(status, dict) else {}


def store(client: redis.Redis, namespace: str, name: str, spec: QueueableJobSpec | None,
          outcome: Outcome, ttl: int) -> None:
    """Store the final outcome in Redis and wake the job's waiters.

    A failure's envelope also carries its `reason`, so that a runner that finds it there
    (the status could not be written after it) writes the same status and exit code."""
    envelope = outcome.envelope()
    if not outcome.ok:
        envelope["reason"] = outcome.reason
    results.store_outcome(
        client, namespace, name, envelope,
        tenant=spec.tenant if spec else "",
        cache=spec.cache if spec else None,
        dedup=spec.dedup if spec else None,
        ttl=ttl,
    )


def describe(outcome: Outcome) -> str:
    """One line for the runner's log."""
    if outcome.ok:
        return f"succeeded ({jobstatus.result_size(outcome.value)} bytes of result)"
    error = outcome.envelope()["error"]
    return f"{outcome.reason}: {error['type']}: {error['message']}"
