"""`queueable.testing`: every job inline, in memory, no cluster, no Redis.

The settings point at servers that do not exist, so any I/O would fail the test.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator

import pytest
import queueable
import queueable.testing
import targets
from queueable import config
from queueable.testing import (
    MemoryStore,
    queueable_inline,  # noqa: F401 - the fixture under test
)

# An application registers the fixture with `pytest_plugins = ["queueable.testing"]` in
# its root conftest; here it is imported, and `memory` is the tests' name for it.


@pytest.fixture
def memory(queueable_inline: MemoryStore) -> MemoryStore:  # noqa: F811
    return queueable_inline


@pytest.fixture(autouse=True)
def nowhere() -> Iterator[None]:
    queueable.configure(kubeconfig="/nonexistent/kubeconfig",
                        redis_url="redis://127.0.0.1:1/0")
    targets.CALLS.clear()
    yield
    config.reset()


def test_each_kind_of_target_runs(memory: MemoryStore) -> None:
    report = targets.Report(7)
    assert report.async_().execute(1, {"a": 1}).result() == {
        "report": 7, "user": 1, "params": {"a": 1}}
    assert targets.Report.async_().totals("2026-12-01").result() == "totals for 2026-12-01"
    assert report.async_().ping([1, (2, 3)]).result() == [1, (2, 3)]
    assert queueable.async_(targets.add)(2, 3).result() == 5
    assert queueable.async_(targets.async_add)(2, 3).result() == 5
    assert queueable.async_(targets.Plain("ab")).shout("!").result() == "AB!"
    assert len(memory.submitted) == 6


def test_arguments_go_through_serialization(
    memory: MemoryStore,
) -> None:
    job = queueable.async_(targets.echo)(dt.date(2026, 1, 2), {"s": {1, 2}}, r=targets.Report(4))
    value = job.result()
    assert value["args"] == [dt.date(2026, 1, 2), {"s": {1, 2}}]
    assert type(value["kwargs"]["r"]) is targets.Report
    with pytest.raises(queueable.SerializationError, match=r"^args\[0\]: a lambda"):
        queueable.async_(targets.echo_value)(lambda: 1)


def test_failures_and_unserializable_results(
    memory: MemoryStore,
) -> None:
    job = queueable.async_(targets.boom)("bad input")
    assert job.phase is queueable.Phase.FAILED
    with pytest.raises(queueable.JobFailed) as caught:
        job.result()
    assert caught.value.remote_type == "ValueError"
    assert caught.value.message == "bad input"
    assert "in boom" in caught.value.remote_traceback
    bad = queueable.async_(targets.unserializable_result)()
    with pytest.raises(queueable.JobFailed) as caught:
        bad.result()
    assert caught.value.remote_type == "queueable.errors.SerializationError"
    assert caught.value.message.startswith("result: an object of type builtins.object")


def test_cache_and_dedup_are_kept(memory: MemoryStore) -> None:
    first = targets.Report(1).async_(cache_duration=60).execute(5, {"x": 1})
    hit = targets.Report(1).async_(cache_duration=60).execute(5, {"x": 1})
    assert hit.cache_hit
    assert not first.cache_hit
    assert hit.id == first.id
    assert hit.result() == first.result()
    assert [c for c in targets.CALLS if c[0] == "execute"] == [("execute", (1, 5, {"x": 1}))]
    one = queueable.async_(targets.add, merge_duplicate=True)(1, 1)
    two = queueable.async_(targets.add, merge_duplicate=True)(1, 1)
    assert one.id == two.id
    assert two.result() == 2
    failed = queueable.async_(targets.boom, merge_duplicate=True)("x")
    again = queueable.async_(targets.boom, merge_duplicate=True)("x")
    assert failed.id != again.id, "a failed job releases its dedup claim"


def test_context_manager_and_get_job() -> None:
    with queueable.testing.inline_jobs() as memory:
        job = queueable.async_(targets.add)(1, 2)
        assert queueable.get_job(job.id).result() == 3
        assert memory.submitted == [job.id]
        with pytest.raises(queueable.JobNotFoundError):
            queueable.get_job("missing")
        assert job.cancel() is False


def test_outside_testing_mode_the_servers_are_needed() -> None:
    with pytest.raises(queueable.ConfigurationError, match="no usable Kubernetes"):
        queueable.async_(targets.add)(1, 2)


def test_async_submission_and_result(memory: MemoryStore) -> None:
    async def main() -> int:
        job = await queueable.async_(targets.async_add).submit_async(4, 5)
        return int(await job.aresult(timeout=5))

    assert asyncio.run(main()) == 9


def test_an_async_waiter_waits_for_an_outcome_stored_after_it_started() -> None:
    memory = MemoryStore()
    envelope = {"ok": True, "value": 3}

    async def main() -> object:
        waiter = asyncio.create_task(memory.wait_outcome_async("ns", "job-1", 30))
        await asyncio.sleep(0)  # the waiter starts and finds no outcome yet
        memory.store_outcome("ns", "job-1", envelope, tenant="t", cache=None, dedup=None,
                             ttl=60)
        return await asyncio.wait_for(waiter, timeout=30)

    assert asyncio.run(main()) == {**envelope, "job": "job-1"}
