"""Inline mode and submission against a real Redis, with no cluster at all.

KUBECONFIG names a file that does not exist: inline jobs still run, are cached and
deduplicated, and only their QueueableJob record is skipped (with a warning).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import queueable
import redis
import targets
import together
from queueable import config, keys

pytestmark = pytest.mark.redis

TESTS = Path(__file__).resolve().parents[1]
REPO = TESTS.parent

PROCESS_SCRIPT = """
import sys
import queueable, targets, together
queueable.configure(redis_url=sys.argv[1], kubeconfig="/nonexistent/kubeconfig")
together.wait_for_start()
job = queueable.async_(targets.counted, merge_duplicate=True, execute_inline=True)(sys.argv[2], 21)
print(job.id, job.result(timeout=60))
"""


@pytest.fixture(autouse=True)
def no_cluster(redis_url: str, redis_client: redis.Redis) -> Iterator[None]:
    queueable.configure(redis_url=redis_url, kubeconfig="/nonexistent/kubeconfig",
                        namespace="apps", tenant="acme")
    targets.CALLS.clear()
    yield
    config.reset()


def test_inline_runs_in_the_caller_and_stores_like_a_runner(
    redis_client: redis.Redis, caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="queueable")
    job = targets.Report(3).async_(execute_inline=True).execute(1, {"a": (1, 2)})
    assert job.phase is queueable.Phase.SUCCEEDED
    assert job.result(timeout=5) == {"report": 3, "user": 1, "params": {"a": (1, 2)}}
    assert targets.CALLS == [("execute", (3, 1, {"a": (1, 2)}))]
    stored = redis_client.get(keys.result("apps", job.id))
    assert stored is not None
    assert redis_client.llen(keys.done("apps", job.id)) == 1
    # Another handle on the same job reads the result from Redis.
    other = queueable.Job(job.id, "apps")
    assert other.result(timeout=5) == {"report": 3, "user": 1, "params": {"a": (1, 2)}}
    assert any("runs without a QueueableJob record" in r.getMessage() for r in caplog.records)


def test_inline_failure_is_a_job_failure(redis_client: redis.Redis) -> None:
    job = queueable.async_(targets.boom, execute_inline=True)("no")
    with pytest.raises(queueable.JobFailed) as caught:
        job.result(timeout=5)
    assert (caught.value.remote_type, caught.value.message) == ("ValueError", "no")
    assert "raise ValueError(message)" in caught.value.remote_traceback


def test_inline_keeps_the_cache(redis_client: redis.Redis) -> None:
    first = queueable.async_(targets.add, execute_inline=True, cache_duration=60)(2, 2)
    again = queueable.async_(targets.add, execute_inline=True, cache_duration=60)(2, 2)
    assert first.result(timeout=5) == again.result(timeout=5) == 4
    assert again.cache_hit
    assert again.id == first.id
    assert targets.CALLS == [("add", (2, 2))]
    other_tenant = queueable.async_(targets.add, execute_inline=True, cache_duration=60,
                                    tenant="beta")(2, 2)
    assert not other_tenant.cache_hit
    assert len(targets.CALLS) == 2


def test_inline_dedup_with_twenty_threads_runs_once(tmp_path: Path) -> None:
    counter = tmp_path / "runs"
    start = threading.Barrier(20)
    ids: list[str] = []
    values: list[int] = []
    lock = threading.Lock()

    def submit() -> None:
        start.wait(timeout=30)
        job = queueable.async_(targets.counted, merge_duplicate=True,
                               execute_inline=True)(str(counter), 21)
        value = job.result(timeout=60)
        with lock:
            ids.append(job.id)
            values.append(value)

    threads = [threading.Thread(target=submit) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    assert len(ids) == 20
    assert len(set(ids)) == 1
    assert values == [42] * 20
    assert len(counter.read_text().splitlines()) == 1


def test_inline_dedup_with_twenty_processes_runs_once(redis_url: str, tmp_path: Path) -> None:
    counter = tmp_path / "runs"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), str(REPO / "sdk")])}
    outputs = [out.split() for out in together.run_together(
        PROCESS_SCRIPT, [redis_url, str(counter)], env, tmp_path)]
    assert len({job_id for job_id, _ in outputs}) == 1
    assert {value for _, value in outputs} == {"42"}
    assert len(counter.read_text().splitlines()) == 1


def test_a_retry_after_a_failure_runs_again() -> None:
    first = queueable.async_(targets.boom, merge_duplicate=True, execute_inline=True)("x")
    second = queueable.async_(targets.boom, merge_duplicate=True, execute_inline=True)("x")
    assert first.id != second.id


def test_redis_down_at_result_is_a_clear_error() -> None:
    queueable.configure(redis_url="redis://127.0.0.1:1/0",
                        kubeconfig="/nonexistent/kubeconfig")
    with pytest.raises(queueable.RedisUnavailableError,
                       match=r"^cannot reach Redis at redis://127\.0\.0\.1:1/0"):
        queueable.Job("some-job", "apps").result(timeout=1)
