"""Job outcomes in Redis: the one place that writes and waits for them.

Shared by the runner (which stores what a background job returned), by inline mode (which
stores what the caller ran) and by the job handle (which waits). Keys come from
`queueable.keys`; nothing here formats a key.

The outcome *envelope* is a JSON object in one of three shapes:

- ``{"ok": true, "value": <codec-encoded value>, "job": <name>}``
- ``{"ok": false, "error": {"type": <qualified type>, "message": str, "traceback": str},
  "job": <name>}``; a cancelled job uses ``type == CANCELLED_TYPE``; the runner adds
  ``"reason"`` (the status reason, e.g. ``TargetFailed``, ``ModuleNotAllowed``) so that a
  runner finding the outcome in Redis writes the same final status
- ``{"duplicateOf": <name>, "job": <name>}``: the job was merged into another one and its
  handle follows that job (written by the operator when a resource loses the dedup claim).

TTLs, in seconds, must be positive: every key Queueable writes expires.

Completion signal: `store_outcome` writes the result first, then pushes one element to
the job's `keys.done` list and publishes on `keys.done_channel`, atomically (one Lua
script). A waiter checks the result key, then blocks with ``BLMOVE done done`` (the same
list as source and destination): the element is rotated back at once, so the list stays
non-empty and every other blocked waiter is served too, and a waiter that arrives later
returns immediately. There is no window between the check and the block in which a
signal can be missed, because the signal stays in the list until its TTL.
"""

from __future__ import annotations

import dataclasses
import json
import time
from typing import Any, Final, cast

import redis
import redis.asyncio

from queueable import keys
from queueable.errors import ResultExpiredError
from queueable.models import CacheSpec, DedupSpec

Envelope = dict[str, Any]
"""A parsed outcome envelope (see the module docstring)."""

CANCELLED_TYPE: Final = "queueable.errors.JobCancelled"
"""Error type of the envelope of a cancelled job."""

BLOCK_SECONDS: Final = 5.0
"""Longest single blocking Redis call while waiting; a wait is a loop of these up to its
deadline, so a client's socket timeout above this value never cuts a wait short."""


def ok_envelope(encoded_value: Any) -> Envelope:
    """The envelope of a success; `encoded_value` is already `codec.encode`d."""
    return {"ok": True, "value": encoded_value}


def error_envelope(type_: str, message: str, traceback: str = "") -> Envelope:
    """The envelope of a failure."""
    return {"ok": False, "error": {"type": type_, "message": message, "traceback": traceback}}


def exception_envelope(exc: BaseException, traceback: str = "") -> Envelope:
    """The envelope of a failure from the exception that caused it."""
    cls = type(exc)
    module = cls.__module__
    type_ = cls.__qualname__ if module == "builtins" else f"{module}.{cls.__qualname__}"
    return error_envelope(type_, str(exc), traceback)


def cancelled_envelope(message: str = "") -> Envelope:
    """The envelope of a cancelled job."""
    return error_envelope(CANCELLED_TYPE, message)


def dumps(envelope: Envelope) -> str:
    """Serialise an envelope (compact; NaN refused, it is not JSON)."""
    return json.dumps(envelope, separators=(",", ":"), allow_nan=False)


def loads(raw: bytes | str) -> Envelope:
    """Parse a stored envelope."""
    value = json.loads(raw)
    if not isinstance(value, dict):
        raise ValueError(f"an outcome envelope must be a JSON object, got {type(value).__name__}")
    return value


# KEYS: 1 result, 2 done list, 3 cache key (or KEYS[1] when unused), 4 dedup key (or KEYS[1])
# ARGV: 1 envelope JSON, 2 result/done TTL (s), 3 cache TTL (s, 0 = do not cache),
#       4 "1" = release the dedup claim if it is still held by ARGV[5], 5 job name,
#       6 pub/sub channel
# Returns 1. Writes the result before the signal, all in one atomic step.
_STORE_LUA = """
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
if tonumber(ARGV[3]) > 0 then
  redis.call('SET', KEYS[3], ARGV[1], 'EX', ARGV[3])
end
if ARGV[4] == '1' and redis.call('GET', KEYS[4]) == ARGV[5] then
  redis.call('DEL', KEYS[4])
end
redis.call('RPUSH', KEYS[2], '1')
redis.call('EXPIRE', KEYS[2], ARGV[2])
redis.call('PUBLISH', ARGV[6], ARGV[5])
return 1
"""

# KEYS: 1 dedup key. ARGV: 1 job name, 2 window (s).
# Returns nil when the claim is held by ARGV[1] (new, or already ours), else
# {owner, age in ms}: the age is the window minus the claim's remaining PTTL, read in the
# same atomic step (a claim without a TTL, which Queueable never writes, counts as a whole
# window old).
_CLAIM_LUA = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) then
  return false
end
local owner = redis.call('GET', KEYS[1])
if owner == ARGV[1] then
  return false
end
local window = tonumber(ARGV[2]) * 1000
local pttl = redis.call('PTTL', KEYS[1])
if pttl < 0 then
  return {owner, window}
end
return {owner, window - pttl}
"""

# KEYS: 1 dedup key. ARGV: 1 the owner seen, 2 the new job name, 3 window (s).
# Compare-and-set: replaces the claim only while it still names ARGV[1]. Returns 1 if
# ARGV[2] now holds it, else 0.
_TAKE_OVER_LUA = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
  return 1
end
return 0
"""

# KEYS: 1 dedup key. ARGV: 1 job name. Deletes the claim only if that job holds it.
_RELEASE_LUA = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


def _positive(name: str, seconds: int) -> int:
    if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds <= 0:
        raise ValueError(f"{name} must be a positive number of seconds, got {seconds!r}")
    return seconds


def _store_args(
    namespace: str, job: str, envelope: Envelope, *, tenant: str,
    cache: CacheSpec | None, dedup: DedupSpec | None, ttl: int,
) -> tuple[list[str], list[str]]:
    _positive("ttl", ttl)
    body = dict(envelope)
    body["job"] = job
    result_key = keys.result(namespace, job)
    ok = body.get("ok") is True
    cache_key, cache_ttl = result_key, 0
    if cache is not None and ok:
        cache_key, cache_ttl = keys.cache(namespace, tenant, cache.key), cache.duration_seconds
    dedup_key, release = result_key, "0"
    if dedup is not None and body.get("ok") is False:
        dedup_key, release = keys.dedup(namespace, tenant, dedup.key), "1"
    return (
        [result_key, keys.done(namespace, job), cache_key, dedup_key],
        [dumps(body), str(ttl), str(cache_ttl), release, job, keys.done_channel(namespace, job)],
    )


def store_outcome(
    client: redis.Redis,
    namespace: str,
    job: str,
    envelope: Envelope,
    *,
    tenant: str,
    cache: CacheSpec | None,
    dedup: DedupSpec | None,
    ttl: int,
) -> None:
    """Record a finished job's outcome and wake everyone waiting for it, atomically.

    Writes `keys.result` (expiring after `ttl` seconds); on success and when `cache` is
    given, also `keys.cache` for `cache.duration_seconds`; on failure (cancellation
    included) and when `dedup` is given, releases the dedup claim if this job still holds
    it, so that the same call submitted again runs again. Then pushes the completion
    signal (`keys.done`, expiring with the result) and publishes on `keys.done_channel`.
    `tenant`, `cache` and `dedup` are those of the job's spec. Idempotent: storing again
    overwrites the outcome and signals again.
    """
    keys_, argv = _store_args(
        namespace, job, envelope, tenant=tenant, cache=cache, dedup=dedup, ttl=ttl
    )
    client.eval(_STORE_LUA, len(keys_), *keys_, *argv)



def store_merged(
    client: redis.Redis, namespace: str, job: str, duplicate_of: str, *, ttl: int
) -> None:
    """Record that `job` was merged into `duplicate_of` and wake its waiters.

    Their handles then follow `duplicate_of` to its outcome. Written by whoever marks a
    resource Merged (the operator, for resources that lost the dedup claim).
    """
    envelope: Envelope = {"duplicateOf": duplicate_of}
    store_outcome(client, namespace, job, envelope, tenant="", cache=None, dedup=None, ttl=ttl)


def get_outcome(client: redis.Redis, namespace: str, job: str) -> Envelope | None:
    """The job's stored envelope, or None while it has none."""
    raw = client.get(keys.result(namespace, job))
    return None if raw is None else loads(cast("bytes | str", raw))


def expired(namespace: str, job: str) -> ResultExpiredError:
    """The error of a job that finished but whose result is no longer in Redis."""
    return ResultExpiredError(
        f"job {job} in namespace {namespace} finished, but its result is no longer in "
        "Redis (it expired: see QUEUEABLE_RESULT_TTL_SECONDS)"
    )


def wait_outcome(
    client: redis.Redis, namespace: str, job: str, timeout: float
) -> Envelope | None:
    """Block until the job has an outcome, at most `timeout` seconds; None on timeout.

    Woken by Redis (see the module docstring), never by polling; any number of waiters
    on one job all wake. Raises ResultExpiredError when the job signalled completion but
    its result has expired.
    """
    deadline = time.monotonic() + max(timeout, 0.0)
    result_key, done_key = keys.result(namespace, job), keys.done(namespace, job)
    while True:
        raw = client.get(result_key)
        if raw is not None:
            return loads(cast("bytes | str", raw))
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        block = max(min(remaining, BLOCK_SECONDS), 0.01)
        if client.blmove(done_key, done_key, block, "RIGHT", "LEFT") is not None:  # type: ignore[arg-type]  # Redis >= 6 takes decimal seconds
            raw = client.get(result_key)
            if raw is None:
                raise expired(namespace, job)
            return loads(cast("bytes | str", raw))


async def wait_outcome_async(
    client: redis.asyncio.Redis, namespace: str, job: str, timeout: float
) -> Envelope | None:
    """`wait_outcome` for asyncio applications (does not block the event loop)."""
    loop_deadline = time.monotonic() + max(timeout, 0.0)
    result_key, done_key = keys.result(namespace, job), keys.done(namespace, job)
    while True:
        raw = await client.get(result_key)
        if raw is not None:
            return loads(raw)
        remaining = loop_deadline - time.monotonic()
        if remaining <= 0:
            return None
        block = max(min(remaining, BLOCK_SECONDS), 0.01)
        if await client.blmove(done_key, done_key, block, "RIGHT", "LEFT") is not None:  # type: ignore[arg-type]  # Redis >= 6 takes decimal seconds
            raw = await client.get(result_key)
            if raw is None:
                raise expired(namespace, job)
            return loads(raw)


@dataclasses.dataclass(frozen=True)
class HeldClaim:
    """A dedup claim held by another job: its owner, and how long ago it was taken."""

    owner: str
    age: float
    """Seconds since the claim was taken, measured as the claimer's window minus the
    claim's remaining TTL (exact when both used the same window, which identical calls
    do unless their `duplicate_duration` differs)."""


def _held(reply: Any) -> HeldClaim | None:
    if reply is None:
        return None
    owner, age_ms = reply
    return HeldClaim(owner=_text(owner) or "", age=int(age_ms) / 1000)


def try_claim_dedup(
    client: redis.Redis, namespace: str, tenant: str, call_hash: str, job_name: str,
    window: int,
) -> HeldClaim | None:
    """Claim an identical call for `job_name` for `window` seconds, atomically.

    Returns None when `job_name` holds the claim (it was free, or it already held it, so
    the SDK's claim and the operator's later claim for the same job agree), else the job
    that holds it and the claim's age (read in the same atomic step).
    """
    _positive("window", window)
    return _held(client.eval(
        _CLAIM_LUA, 1, keys.dedup(namespace, tenant, call_hash), job_name, str(window)
    ))



def claim_dedup(
    client: redis.Redis, namespace: str, tenant: str, call_hash: str, job_name: str,
    window: int,
) -> str | None:
    """`try_claim_dedup` without the age: None when `job_name` holds the claim, else the
    name of the job that holds it."""
    held = try_claim_dedup(client, namespace, tenant, call_hash, job_name, window)
    return None if held is None else held.owner



def take_over_dedup(
    client: redis.Redis, namespace: str, tenant: str, call_hash: str, previous: str,
    job_name: str, window: int,
) -> bool:
    """Give the claim to `job_name` for `window` seconds, only while it is still held by
    `previous` (an atomic compare-and-set); True when `job_name` now holds it.

    For a claim whose owner never created its resource (see `queueable.submit`): of many
    callers taking over the same stale claim, exactly one wins.
    """
    _positive("window", window)
    taken = client.eval(_TAKE_OVER_LUA, 1, keys.dedup(namespace, tenant, call_hash),
                        previous, job_name, str(window))
    return bool(taken)


def release_dedup(
    client: redis.Redis, namespace: str, tenant: str, call_hash: str, job_name: str
) -> bool:
    """Drop the claim if `job_name` still holds it; True when it was dropped."""
    dropped = client.eval(_RELEASE_LUA, 1, keys.dedup(namespace, tenant, call_hash), job_name)
    return bool(dropped)


def dedup_owner(client: redis.Redis, namespace: str, tenant: str, call_hash: str) -> str | None:
    """The job holding the claim of an identical call, if any."""
    return _text(client.get(keys.dedup(namespace, tenant, call_hash)))


def get_cached(client: redis.Redis, namespace: str, tenant: str, key: str) -> Envelope | None:
    """A fresh cached success envelope under the tenant's `key`, or None."""
    raw = client.get(keys.cache(namespace, tenant, key))
    return None if raw is None else loads(cast("bytes | str", raw))



def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        return value.decode()
    return str(value)
