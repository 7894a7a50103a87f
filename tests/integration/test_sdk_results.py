"""The Redis outcome store against a real Redis: signals, many waiters, claims, cache."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest
import redis
import redis.asyncio
from queueable import keys, results
from queueable.errors import ResultExpiredError
from queueable.models import CacheSpec, DedupSpec

pytestmark = pytest.mark.redis

NS = "apps"


def _store(client: redis.Redis, job: str, envelope: dict[str, Any], **kw: Any) -> None:
    kw.setdefault("tenant", "acme")
    kw.setdefault("cache", None)
    kw.setdefault("dedup", None)
    results.store_outcome(client, NS, job, envelope, ttl=60, **kw)


def test_many_waiters_on_one_job_all_wake(redis_url: str, redis_client: redis.Redis) -> None:
    outcomes: list[Any] = []
    lock = threading.Lock()

    def wait() -> None:
        client = redis.Redis.from_url(redis_url)
        try:
            got = results.wait_outcome(client, NS, "job-1", timeout=30)
        finally:
            client.close()
        with lock:
            outcomes.append(got)

    threads = [threading.Thread(target=wait) for _ in range(25)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 30
    while len(redis_client.client_list()) < 26 and time.monotonic() < deadline:
        time.sleep(0.02)
    _store(redis_client, "job-1", results.ok_envelope({"n": 1}))
    for thread in threads:
        thread.join(timeout=30)
    assert len(outcomes) == 25
    assert all(o == {"ok": True, "value": {"n": 1}, "job": "job-1"} for o in outcomes)
    # A waiter that comes later returns at once: the signal stays until its TTL.
    assert results.wait_outcome(redis_client, NS, "job-1", timeout=0.1) == outcomes[0]
    assert redis_client.llen(keys.done(NS, "job-1")) == 1
    assert 0 < redis_client.ttl(keys.done(NS, "job-1")) <= 60
    assert 0 < redis_client.ttl(keys.result(NS, "job-1")) <= 60


def test_async_waiters_all_wake(redis_url: str, redis_client: redis.Redis) -> None:
    async def main() -> list[Any]:
        clients = [redis.asyncio.Redis.from_url(redis_url) for _ in range(10)]
        waiters = [asyncio.create_task(results.wait_outcome_async(c, NS, "job-a", 30))
                   for c in clients]
        await asyncio.sleep(0.3)
        await asyncio.to_thread(_store, redis_client, "job-a", results.ok_envelope(5))
        got = await asyncio.wait_for(asyncio.gather(*waiters), timeout=30)
        for c in clients:
            await c.aclose()
        return got

    assert [o["value"] for o in asyncio.run(main())] == [5] * 10


def test_a_wait_ends_at_its_deadline(redis_client: redis.Redis) -> None:
    started = time.monotonic()
    assert results.wait_outcome(redis_client, NS, "never", timeout=0.5) is None
    assert time.monotonic() - started < 5


def test_a_signal_without_its_result_is_an_expired_result(redis_client: redis.Redis) -> None:
    _store(redis_client, "job-x", results.ok_envelope(1))
    redis_client.delete(keys.result(NS, "job-x"))
    with pytest.raises(ResultExpiredError, match="job job-x in namespace apps finished"):
        results.wait_outcome(redis_client, NS, "job-x", timeout=5)


def test_claims_are_atomic_idempotent_and_released_only_by_their_owner(
    redis_client: redis.Redis,
) -> None:
    assert results.claim_dedup(redis_client, NS, "acme", "h1", "job-1", 60) is None
    assert results.claim_dedup(redis_client, NS, "acme", "h1", "job-2", 60) == "job-1"
    assert results.claim_dedup(redis_client, NS, "acme", "h1", "job-1", 60) is None
    assert results.claim_dedup(redis_client, NS, "beta", "h1", "job-3", 60) is None
    assert 0 < redis_client.ttl(keys.dedup(NS, "acme", "h1")) <= 60
    assert results.release_dedup(redis_client, NS, "acme", "h1", "job-2") is False
    assert results.dedup_owner(redis_client, NS, "acme", "h1") == "job-1"
    assert results.release_dedup(redis_client, NS, "acme", "h1", "job-1") is True
    assert results.claim_dedup(redis_client, NS, "acme", "h1", "job-2", 60) is None


def test_claim_with_twenty_threads_has_one_winner(
    redis_url: str, redis_client: redis.Redis
) -> None:
    start = threading.Barrier(20)
    owners: list[str | None] = [None] * 20

    def claim(i: int) -> None:
        client = redis.Redis.from_url(redis_url)
        start.wait(timeout=30)
        owners[i] = results.claim_dedup(client, NS, "acme", "h", f"job-{i}", 60) or f"job-{i}"
        client.close()

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(set(owners)) == 1
    assert results.dedup_owner(redis_client, NS, "acme", "h") == owners[0]


def test_failure_releases_the_claim_and_success_fills_the_cache(
    redis_client: redis.Redis,
) -> None:
    cache = CacheSpec(key="k", duration_seconds=30)
    dedup = DedupSpec(key="h", window_seconds=60)
    results.claim_dedup(redis_client, NS, "acme", "h", "job-f", 60)
    _store(redis_client, "job-f", results.error_envelope("ValueError", "bad"), cache=cache,
           dedup=dedup)
    assert results.dedup_owner(redis_client, NS, "acme", "h") is None
    assert results.get_cached(redis_client, NS, "acme", "k") is None

    results.claim_dedup(redis_client, NS, "acme", "h", "job-s", 60)
    _store(redis_client, "job-s", results.ok_envelope([1]), cache=cache, dedup=dedup)
    assert results.dedup_owner(redis_client, NS, "acme", "h") == "job-s"
    assert results.get_cached(redis_client, NS, "acme", "k") == {
        "ok": True, "value": [1], "job": "job-s"}
    assert 0 < redis_client.ttl(keys.cache(NS, "acme", "k")) <= 30
    assert results.get_cached(redis_client, NS, "beta", "k") is None


def test_a_failure_releases_only_its_own_claim(redis_client: redis.Redis) -> None:
    results.claim_dedup(redis_client, NS, "acme", "h", "job-new", 60)
    _store(redis_client, "job-old", results.error_envelope("E", "m"),
           dedup=DedupSpec(key="h"))
    assert results.dedup_owner(redis_client, NS, "acme", "h") == "job-new"


def test_merged_outcome_points_to_the_other_job(redis_client: redis.Redis) -> None:
    results.store_merged(redis_client, NS, "job-m", "job-1", ttl=60)
    assert results.get_outcome(redis_client, NS, "job-m") == {
        "duplicateOf": "job-1", "job": "job-m"}
