"""Every Redis key Queueable uses, each built by exactly one function.

Keys are scoped by Kubernetes namespace, and by tenant where the value is shared between
jobs, so one tenant never reads another's cached result or dedup claim. Nothing else in
the project formats a key string.
"""

from __future__ import annotations

PREFIX = "queueable"


def result(namespace: str, job: str) -> str:
    """The JSON result envelope of one finished job."""
    return f"{PREFIX}:{namespace}:result:{job}"


def done(namespace: str, job: str) -> str:
    """A list pushed once when the job finishes; waiters block on it (BLMOVE/BLPOP)."""
    return f"{PREFIX}:{namespace}:done:{job}"


def done_channel(namespace: str, job: str) -> str:
    """Pub/sub channel announcing a job's completion, for async waiters."""
    return f"{PREFIX}:{namespace}:done-channel:{job}"


def cache(namespace: str, tenant: str, key: str) -> str:
    """A cached result, shared by every job of the tenant that names the same cache key."""
    return f"{PREFIX}:{namespace}:cache:{tenant}:{key}"


def dedup(namespace: str, tenant: str, call_hash: str) -> str:
    """The claim of the first job of an identical call; value = that job's name."""
    return f"{PREFIX}:{namespace}:dedup:{tenant}:{call_hash}"
