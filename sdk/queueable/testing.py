"""Testing mode for applications' own tests: every job runs inline, in memory.

    import queueable.testing

    with queueable.testing.inline_jobs() as jobs:
        job = report.async_(cache_duration=60).execute(1, {"a": 1})
        assert job.result() == ...
        assert len(jobs.submitted) == 1

or, with pytest, ``pytest_plugins = ["queueable.testing"]`` and the fixture
`queueable_inline`. No cluster and no Redis are needed: outcomes, cache entries and dedup
claims live in a `MemoryStore` with the same semantics (and TTLs) as Redis. Calls go
through the same checks and serialization as in production (the target is imported back
by name, the arguments and the result are encoded and decoded), so a test fails where
production would.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterator
from typing import Any

from queueable import store
from queueable.models import CacheSpec, DedupSpec
from queueable.results import Envelope, HeldClaim


class MemoryStore:
    """The store in memory (see `queueable.store.Store`); thread-safe."""

    def __init__(self) -> None:
        self._values: dict[tuple[str, ...], tuple[Any, float]] = {}
        self._changed = threading.Condition()
        self.submitted: list[str] = []
        """Names of the jobs that ran, in order (cache hits and merged calls excluded)."""

    def _get(self, key: tuple[str, ...]) -> Any:
        entry = self._values.get(key)
        if entry is None:
            return None
        value, expires = entry
        if time.monotonic() >= expires:
            del self._values[key]
            return None
        return value

    def _set(self, key: tuple[str, ...], value: Any, ttl: float) -> None:
        self._values[key] = (value, time.monotonic() + ttl)

    def get_cached(self, namespace: str, tenant: str, key: str) -> Envelope | None:
        with self._changed:
            value: Envelope | None = self._get(("cache", namespace, tenant, key))
            return value

    def claim_dedup(
        self, namespace: str, tenant: str, call_hash: str, job: str, window: int
    ) -> HeldClaim | None:
        with self._changed:
            key = ("dedup", namespace, tenant, call_hash)
            owner: str | None = self._get(key)
            if owner is None or owner == job:
                self._set(key, job, window)
                return None
            remaining = self._values[key][1] - time.monotonic()
            return HeldClaim(owner=owner, age=window - remaining)

    def take_over_dedup(
        self, namespace: str, tenant: str, call_hash: str, previous: str, job: str,
        window: int,
    ) -> bool:
        with self._changed:
            key = ("dedup", namespace, tenant, call_hash)
            if self._get(key) != previous:
                return False
            self._set(key, job, window)
            return True

    def release_dedup(self, namespace: str, tenant: str, call_hash: str, job: str) -> None:
        with self._changed:
            key = ("dedup", namespace, tenant, call_hash)
            if self._get(key) == job:
                del self._values[key]

    def store_outcome(
        self, namespace: str, job: str, envelope: Envelope, *, tenant: str,
        cache: CacheSpec | None, dedup: DedupSpec | None, ttl: int,
    ) -> None:
        body = {**envelope, "job": job}
        with self._changed:
            self._set(("result", namespace, job), body, ttl)
            if cache is not None and body.get("ok") is True:
                self._set(("cache", namespace, tenant, cache.key), body, cache.duration_seconds)
            if dedup is not None and body.get("ok") is False:
                key = ("dedup", namespace, tenant, dedup.key)
                if self._get(key) == job:
                    del self._values[key]
            self.submitted.append(job)
            self._changed.notify_all()

    def get_outcome(self, namespace: str, job: str) -> Envelope | None:
        with self._changed:
            value: Envelope | None = self._get(("result", namespace, job))
            return value

    def wait_outcome(self, namespace: str, job: str, timeout: float) -> Envelope | None:
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                value: Envelope | None = self._get(("result", namespace, job))
                remaining = deadline - time.monotonic()
                if value is not None or remaining <= 0:
                    return value
                self._changed.wait(remaining)

    async def wait_outcome_async(
        self, namespace: str, job: str, timeout: float
    ) -> Envelope | None:
        # Waits like `wait_outcome`, in a worker thread so the event loop keeps running.
        return await asyncio.to_thread(self.wait_outcome, namespace, job, timeout)


@contextlib.contextmanager
def inline_jobs() -> Iterator[MemoryStore]:
    """Run every job submitted inside the block inline, in memory; yields the store."""
    memory = MemoryStore()
    previous = store.set_override(memory)
    try:
        yield memory
    finally:
        store.set_override(previous)


try:
    import pytest
except ImportError:  # pragma: no cover - pytest is only needed for the fixture
    pass
else:

    @pytest.fixture
    def queueable_inline() -> Iterator[MemoryStore]:
        """Every job of the test runs inline, in memory (see `inline_jobs`)."""
        with inline_jobs() as memory:
            yield memory
