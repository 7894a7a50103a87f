"""The SDK against the real API server and a real Redis (no operator yet).

A job's runner is started here as the real `queueable-runner` subprocess, the way a
runner pod would run it, so that the whole call path SDK -> QueueableJob -> runner ->
`job.result()` is exercised without the operator of the next issue.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import queueable
import redis
import targets
import together
from fixtures.cluster import Cluster
from queueable import codec, config, keys, results, submit
from queueable import kube as kube_api
from queueable.models import QueueableJobSpec

pytestmark = [pytest.mark.cluster, pytest.mark.redis]

TESTS = Path(__file__).resolve().parents[1]
REPO = TESTS.parent

PROCESS_SCRIPT = """
import sys
import queueable, targets, together
queueable.configure(redis_url=sys.argv[1], kubeconfig=sys.argv[2], namespace=sys.argv[3])
together.wait_for_start()
print(targets.Report(5).async_(merge_duplicate=True, tag="proc").execute(1, {"p": 1}).id)
"""


@pytest.fixture
def sdk(kube: Cluster, queueable_crds: Cluster, namespace: str, redis_url: str,
        redis_client: redis.Redis) -> Iterator[str]:
    queueable.configure(kubeconfig=str(kube.kubeconfig), namespace=namespace,
                        redis_url=redis_url, tenant="acme")
    targets.CALLS.clear()
    yield namespace
    config.reset()


def _run_runner(kube: Cluster, redis_url: str, namespace: str, name: str) -> int:
    env = {**kube.env, "QUEUEABLE_REDIS_URL": redis_url, "QUEUEABLE_ALLOWED_MODULES": "targets",
           "PYTHONPATH": str(TESTS)}
    proc = subprocess.run([sys.executable, "-m", "queueable_runner", "--namespace", namespace,
                           "--name", name], env=env, capture_output=True, text=True, timeout=120)
    return proc.returncode


def _jobs(namespace: str) -> list[dict[str, Any]]:
    return kube_api.list_jobs(namespace)


def test_submission_creates_the_resource_and_arguments_survive_the_api_server(
    sdk: str, kube: Cluster,
) -> None:
    params = {"when": dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC), "none": None,
              "float": 1.0, "big": 2**70, "amount": Decimal("9.90"), "set": {"b", "a"},
              "nested": [{"x": (1, 2.5)}], "text": "é \u2028"}
    job = targets.Report(7).async_(tag="report", cache_duration=60).execute(1, params=params)
    assert job.phase is queueable.Phase.PENDING
    stored = kube.kubectl_json("get", "qj", job.id, "-n", sdk)
    assert stored["metadata"]["labels"] == {"queueable.io/tenant": "acme",
                                            "queueable.io/tag": "report"}
    spec = QueueableJobSpec.model_validate(stored["spec"])
    assert spec.target.object_id == "7"
    assert codec.decode(spec.args) == [1]
    assert codec.decode(spec.kwargs) == {"params": params}
    assert codec.decode(spec.kwargs)["params"]["float"].__class__ is float
    table = kube.kubectl("get", "qj", "-n", sdk).stdout.splitlines()
    assert table[0].split() == ["NAME", "PHASE", "TENANT", "TAG", "TARGET", "METHOD",
                                "ATTEMPTS", "AGE"]
    assert table[1].split()[:5] == [job.id, "acme", "report", "Report", "execute"]


@pytest.mark.parametrize(("make", "expected"), [
    (lambda: targets.Report(7).async_().execute(1, {"a": 1}),
     {"report": 7, "user": 1, "params": {"a": 1}}),
    (lambda: targets.Report.async_().totals("2026-12-01"), "totals for 2026-12-01"),
    (lambda: targets.Report(1).async_().ping((1, {2})), (1, {2})),
    (lambda: queueable.async_(targets.add, tag="mail")(2, 3), 5),
    (lambda: queueable.async_(targets.async_add)(4, 5), 9),
], ids=["instance", "classmethod", "staticmethod", "function", "async-function"])
def test_each_kind_of_target_through_the_runner(
    sdk: str, kube: Cluster, redis_url: str, make: Any, expected: Any,
) -> None:
    job = make()
    got: list[Any] = []
    waiter = threading.Thread(target=lambda: got.append(job.result(timeout=60)))
    waiter.start()
    assert _run_runner(kube, redis_url, sdk, job.id) == 0
    waiter.join(timeout=90)
    assert got == [expected]
    assert job.phase is queueable.Phase.SUCCEEDED
    row = kube.kubectl("get", "qj", job.id, "-n", sdk, "--no-headers").stdout.split()
    assert row[1] == "Succeeded"


def test_a_raising_target_gives_job_failed(sdk: str, kube: Cluster, redis_url: str) -> None:
    job = queueable.async_(targets.boom)("went wrong")
    assert _run_runner(kube, redis_url, sdk, job.id) != 0
    with pytest.raises(queueable.JobFailed) as caught:
        job.result(timeout=30)
    assert caught.value.remote_type == "ValueError"
    assert caught.value.message == "went wrong"
    assert "raise ValueError(message)" in caught.value.remote_traceback
    assert job.phase is queueable.Phase.FAILED


def test_cache_hit_returns_a_finished_job_and_creates_nothing(
    sdk: str, kube: Cluster, redis_url: str,
) -> None:
    first = targets.Report(2).async_(cache_duration=60).execute(1, {"q": 1})
    assert _run_runner(kube, redis_url, sdk, first.id) == 0
    hit = targets.Report(2).async_(cache_duration=60).execute(1, {"q": 1})
    assert hit.cache_hit
    assert hit.id == first.id
    assert hit.phase is queueable.Phase.SUCCEEDED
    assert hit.result(timeout=5) == {"report": 2, "user": 1, "params": {"q": 1}}
    assert len(_jobs(sdk)) == 1


def _submit_from_threads(submit: Callable[[], queueable.Job], count: int = 20) -> list[str]:
    """Start `count` threads at once (a barrier), each submitting; the handles' ids."""
    start = threading.Barrier(count)
    ids: list[str] = []
    lock = threading.Lock()

    def run() -> None:
        start.wait(timeout=30)
        job = submit()
        with lock:
            ids.append(job.id)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return ids


def test_twenty_threads_submitting_the_same_call_create_one_job(sdk: str) -> None:
    ids = _submit_from_threads(
        lambda: targets.Report(5).async_(merge_duplicate=True).execute(1, {"p": 1}))
    assert len(ids) == 20
    assert len(set(ids)) == 1
    assert [j["metadata"]["name"] for j in _jobs(sdk)] == ids[:1]


def test_twenty_processes_submitting_the_same_call_create_one_job(
    sdk: str, kube: Cluster, redis_url: str, tmp_path: Path,
) -> None:
    env = {**os.environ, "PYTHONPATH": str(TESTS)}
    ids = [out.strip() for out in together.run_together(
        PROCESS_SCRIPT, [redis_url, str(kube.kubeconfig), sdk], env, tmp_path)]
    assert len(ids) == 20
    assert len(set(ids)) == 1
    assert [j["metadata"]["name"] for j in _jobs(sdk)] == ids[:1]


def test_a_merged_job_follows_the_older_one(
    sdk: str, kube: Cluster, redis_client: redis.Redis, redis_url: str,
) -> None:
    older = queueable.async_(targets.add)(1, 2)
    newer = queueable.async_(targets.add)(1, 2)
    # What the operator does to a resource that lost the dedup claim:
    kube_api.patch_job_status(sdk, newer.id, {"phase": "Merged", "duplicateOf": older.id})
    got: list[Any] = []
    waiter = threading.Thread(target=lambda: got.append(newer.result(timeout=60)))
    waiter.start()
    assert _run_runner(kube, redis_url, sdk, older.id) == 0
    waiter.join(timeout=90)
    assert got == [3]
    assert newer.phase is queueable.Phase.MERGED


def test_a_merge_signalled_in_redis_wakes_the_waiter(
    sdk: str, redis_client: redis.Redis,
) -> None:
    waiting = queueable.async_(targets.add)(5, 5)
    got: list[Any] = []
    waiter = threading.Thread(target=lambda: got.append(waiting.result(timeout=60)))
    waiter.start()
    time.sleep(0.3)
    results.store_merged(redis_client, sdk, waiting.id, "the-older-job", ttl=60)
    results.store_outcome(redis_client, sdk, "the-older-job", results.ok_envelope(10),
                          tenant="acme", cache=None, dedup=None, ttl=60)
    waiter.join(timeout=90)
    assert got == [10]


def test_inline_execution_is_recorded_with_its_final_phase(
    sdk: str, kube: Cluster, redis_client: redis.Redis,
) -> None:
    job = targets.Report(3).async_(execute_inline=True, cache_duration=30,
                                   merge_duplicate=True).execute(2, {"i": 1})
    assert targets.CALLS == [("execute", (3, 2, {"i": 1}))]
    stored = kube.kubectl_json("get", "qj", job.id, "-n", sdk)
    assert stored["spec"]["executeInline"] is True
    assert stored["status"]["phase"] == "Succeeded"
    assert stored["status"]["result"] == {"report": 3, "user": 2, "params": {"i": 1}}
    assert stored["status"]["resultInline"] is True
    assert queueable.get_job(job.id).result(timeout=5) == {"report": 3, "user": 2,
                                                            "params": {"i": 1}}
    again = targets.Report(3).async_(execute_inline=True, cache_duration=30,
                                     merge_duplicate=True).execute(2, {"i": 1})
    assert again.cache_hit
    assert len(_jobs(sdk)) == 1
    failed = queueable.async_(targets.boom, execute_inline=True)("inline")
    stored = kube.kubectl_json("get", "qj", failed.id, "-n", sdk)
    assert stored["status"]["phase"] == "Failed"
    assert stored["status"]["error"]["type"] == "ValueError"


def test_cancel_sets_the_flag_and_releases_the_claim(sdk: str, kube: Cluster) -> None:
    job = queueable.async_(targets.add, merge_duplicate=True)(7, 7)
    assert job.cancel() is True
    assert kube.kubectl_json("get", "qj", job.id, "-n", sdk)["spec"]["cancel"] is True
    again = queueable.async_(targets.add, merge_duplicate=True)(7, 7)
    assert again.id != job.id


def test_aresult(sdk: str, kube: Cluster, redis_url: str) -> None:
    async def main() -> Any:
        job = await queueable.async_(targets.add).submit_async(20, 22)
        waiting = asyncio.create_task(job.aresult(timeout=60))
        code = await asyncio.to_thread(_run_runner, kube, redis_url, sdk, job.id)
        assert code == 0
        return await waiting

    assert asyncio.run(main()) == 42


def test_result_times_out_at_its_deadline(sdk: str) -> None:
    job = queueable.async_(targets.add)(0, 0)
    started = time.monotonic()
    with pytest.raises(TimeoutError, match=rf"^job {job.id} did not finish within 0.5 s$"):
        job.result(timeout=0.5)
    assert time.monotonic() - started < 10


def test_get_job(sdk: str) -> None:
    job = queueable.async_(targets.add)(1, 1)
    assert queueable.get_job(job.id) == job
    with pytest.raises(queueable.JobNotFoundError,
                       match=rf"^no QueueableJob {sdk}/missing$"):
        queueable.get_job("missing")


def test_missing_namespace_and_missing_crd_are_clear_errors(
    sdk: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    queueable.configure(kubeconfig=queueable.get_settings().kubeconfig,
                        namespace="no-such-namespace-here",
                        redis_url=queueable.get_settings().redis_url)
    with pytest.raises(queueable.errors.KubernetesAPIError,
                       match=r"^namespace 'no-such-namespace-here' does not exist"):
        queueable.async_(targets.add)(1, 1)
    queueable.configure(kubeconfig=queueable.get_settings().kubeconfig, namespace=sdk)
    # A resource the API server does not serve: what it answers when the CRD is missing.
    monkeypatch.setattr(kube_api, "JOB_PLURAL", "nosuchqueueablejobs")
    with pytest.raises(queueable.CRDNotInstalledError,
                       match=r"^the QueueableJob CRD is not installed on https://.*: is the "
                             r"chart installed\? \(kubectl apply -f crds/\)$"):
        queueable.async_(targets.add)(1, 1)


def test_a_finished_job_without_an_outcome_in_redis_answers_from_its_status(
    sdk: str,
) -> None:
    # The status says the job finished, Redis has nothing (expired, or never written):
    # the waiter answers at once instead of blocking until its deadline.
    large = queueable.async_(targets.add)(3, 3)
    kube_api.patch_job_status(sdk, large.id, {"phase": "Succeeded",
                                              "message": "the result is over 4096 bytes"})
    with pytest.raises(queueable.errors.ResultExpiredError,
                       match=rf"^job {large.id} in namespace {sdk} finished, but its result"):
        large.result(timeout=60)
    died = queueable.async_(targets.add)(4, 4)
    kube_api.patch_job_status(sdk, died.id, {"phase": "Failed", "reason": "DeadlineExceeded",
                                             "message": "the runner pod was stopped"})
    with pytest.raises(queueable.JobFailed) as caught:
        died.result(timeout=60)
    assert (caught.value.remote_type, caught.value.message) == (
        "DeadlineExceeded", "the runner pod was stopped")


def test_a_job_merged_into_a_deleted_one_names_both(sdk: str, kube: Cluster) -> None:
    older = queueable.async_(targets.add)(5, 5)
    newer = queueable.async_(targets.add)(5, 6)
    kube_api.patch_job_status(sdk, newer.id, {"phase": "Merged", "duplicateOf": older.id})
    kube.kubectl("delete", "qj", older.id, "-n", sdk)
    with pytest.raises(queueable.JobNotFoundError,
                       match=rf"^job {newer.id} in namespace {sdk} was merged into job "
                             rf"{older.id}, which no longer exists"):
        newer.result(timeout=60)


def test_result_keeps_its_deadline_when_the_api_server_hangs(
    sdk: str, tmp_path: Path,
) -> None:
    job = queueable.async_(targets.add)(0, 1)
    # A server that accepts connections and never answers: each read times out, and the
    # client's pool retries it.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        kubeconfig = tmp_path / "silent.yaml"
        kubeconfig.write_text(
            "apiVersion: v1\nkind: Config\n"
            f"clusters: [{{name: c, cluster: {{server: 'http://127.0.0.1:"
            f"{silent.getsockname()[1]}'}}}}]\n"
            "users: [{name: u, user: {token: t}}]\n"
            "contexts: [{name: s, context: {cluster: c, user: u}}]\ncurrent-context: s\n")
        settings = queueable.get_settings()
        queueable.configure(kubeconfig=str(kubeconfig), namespace=sdk,
                            redis_url=settings.redis_url, api_timeout_seconds=30)
        started = time.monotonic()
        with pytest.raises(TimeoutError, match=rf"^job {job.id} did not finish within 1 s$"):
            job.result(timeout=1)
        # Before the fix: 4 tries of 30 s each.
        assert time.monotonic() - started < 10


def _dedup_key(bound: Any, *args: Any) -> str:
    """The Redis key of the dedup claim that `bound(*args)` would take."""
    prepared = submit.prepare(bound._call(args, {}), bound._options)
    return keys.dedup(prepared.namespace, prepared.tenant, prepared.call_hash)


def test_an_old_claim_whose_job_was_never_created_is_taken_over(
    sdk: str, redis_client: redis.Redis,
) -> None:
    # A process claimed the call (window 600 s) 500 s ago and died before creating its
    # job: identical calls no longer get a handle to a job that does not exist.
    bound = queueable.async_(targets.add, merge_duplicate=True)
    key = _dedup_key(bound, 7, 8)
    redis_client.set(key, "ghost-never-created", ex=100)
    job = bound(7, 8)
    assert job.id != "ghost-never-created"
    assert [j["metadata"]["name"] for j in _jobs(sdk)] == [job.id]
    assert redis_client.get(key) == job.id.encode()
    assert 590 < redis_client.ttl(key) <= 600
    assert bound(7, 8).id == job.id  # the new claim is trusted as any other


def test_a_young_claim_is_trusted_during_the_grace_window(
    sdk: str, redis_client: redis.Redis,
) -> None:
    # Claimed 5 s ago, no resource yet: its owner may be between its claim and its
    # create, so the call is merged into it (the grace window: claim_grace()).
    bound = queueable.async_(targets.add, merge_duplicate=True)
    key = _dedup_key(bound, 8, 9)
    redis_client.set(key, "owner-creating-its-job", ex=595)
    job = bound(8, 9)
    assert job.id == "owner-creating-its-job"
    assert _jobs(sdk) == []
    assert redis_client.get(key) == b"owner-creating-its-job"
    assert submit.claim_grace(queueable.get_settings()) >= submit.DEDUP_CLAIM_GRACE_SECONDS
    # An old claim whose owner ran and stored its outcome (an inline job without a
    # record, or a job deleted since) is trusted too: its handle answers from Redis.
    key = _dedup_key(bound, 9, 9)
    redis_client.set(key, "ran-without-record", ex=100)
    results.store_outcome(redis_client, sdk, "ran-without-record", results.ok_envelope(18),
                          tenant="acme", cache=None, dedup=None, ttl=60)
    merged = bound(9, 9)
    assert merged.id == "ran-without-record"
    assert merged.result(timeout=5) == 18
    assert _jobs(sdk) == []


def test_twenty_threads_taking_over_one_abandoned_claim_create_one_job(
    sdk: str, redis_client: redis.Redis,
) -> None:
    bound = queueable.async_(targets.add, merge_duplicate=True)
    redis_client.set(_dedup_key(bound, 6, 6), "ghost", ex=10)
    ids = _submit_from_threads(
        lambda: queueable.async_(targets.add, merge_duplicate=True)(6, 6))
    assert len(ids) == 20
    assert len(set(ids)) == 1
    assert "ghost" not in ids
    assert [j["metadata"]["name"] for j in _jobs(sdk)] == ids[:1]


def test_a_none_result_is_answered_from_the_status_once_redis_expired(
    sdk: str, kube: Cluster, redis_url: str, redis_client: redis.Redis,
) -> None:
    job = queueable.async_(targets.echo_value)(None)
    assert _run_runner(kube, redis_url, sdk, job.id) == 0
    status = kube.kubectl_json("get", "qj", job.id, "-n", sdk)["status"]
    assert "result" not in status  # a merge patch cannot write null
    assert status["resultInline"] is True
    redis_client.delete(keys.result(sdk, job.id))  # the outcome's TTL ran out
    assert queueable.get_job(job.id).result(timeout=30) is None
    # Inline mode records it the same way.
    inline_job = queueable.async_(targets.echo_value, execute_inline=True)(None)
    redis_client.delete(keys.result(sdk, inline_job.id))
    status = kube.kubectl_json("get", "qj", inline_job.id, "-n", sdk)["status"]
    assert (status.get("result"), status["resultInline"]) == (None, True)
    assert queueable.get_job(inline_job.id).result(timeout=30) is None
