"""`queueable-runner` as a subprocess against the real API server and a real Redis.

Each test creates a QueueableJob in a fresh namespace, runs the console script the way a
runner pod does (KUBECONFIG, QUEUEABLE_REDIS_URL, QUEUEABLE_ALLOWED_MODULES), and checks
its exit code, the resource's status and the outcome envelope in Redis. Nothing is
mocked; the targets live in tests/targets_runner*.py.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import queueable
import redis
import targets_runner
from fixtures.cluster import Cluster
from kubernetes import client
from kubernetes.client.exceptions import ApiException
from queueable import codec, keys, results
from queueable.models import (
    API_VERSION,
    GROUP,
    JOB_KIND,
    JOB_PLURAL,
    VERSION,
    CacheSpec,
    QueueableJobSpec,
    RetrySpec,
    Target,
)

TESTS = Path(__file__).resolve().parents[1]
RUNNER = Path(sys.executable).parent / "queueable-runner"
ALLOWED = "targets_runner"


@dataclass
class Run:
    code: int
    stderr: str
    status: dict[str, Any]
    envelope: dict[str, Any] | None


class Jobs:
    """Create QueueableJobs in one namespace and run the runner on them."""

    def __init__(self, kube: Cluster, namespace: str, redis_url: str,
                 redis_client: redis.Redis) -> None:
        self.kube = kube
        self.namespace = namespace
        self.redis_url = redis_url
        self.redis = redis_client
        self.api = client.CustomObjectsApi(kube.api_client())

    def create(self, qualname: str, *args: Any, module: str = "targets_runner",
               method: str | None = None, object_id: str | None = None,
               **options: Any) -> str:
        name = f"job-{secrets.token_hex(4)}"
        spec = QueueableJobSpec(
            target=Target(module=module, qualname=qualname, method=method,
                          object_id=object_id),
            args=codec.encode(list(args), "args"), **options,
        )
        body = {"apiVersion": API_VERSION, "kind": JOB_KIND, "metadata": {"name": name},
                "spec": spec.model_dump(by_alias=True, exclude_none=True, mode="json")}
        self.api.create_namespaced_custom_object(GROUP, VERSION, self.namespace, JOB_PLURAL,
                                                 body)
        return name

    def status(self, name: str) -> dict[str, Any]:
        """The job's status; {} when it has none, or when there is no such job."""
        try:
            obj = self.api.get_namespaced_custom_object(GROUP, VERSION, self.namespace,
                                                        JOB_PLURAL, name)
        except ApiException as exc:
            if exc.status == 404:
                return {}
            raise
        return dict(obj.get("status") or {})

    def run(self, name: str, *, allowed: str = ALLOWED, **env: str) -> Run:
        environment = {
            **self.kube.env,
            "QUEUEABLE_REDIS_URL": self.redis_url,
            "QUEUEABLE_ALLOWED_MODULES": allowed,
            "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]),
            **env,
        }
        proc = subprocess.run(
            [str(RUNNER), "--namespace", self.namespace, "--name", name],
            env=environment, capture_output=True, text=True, timeout=120,
        )
        raw = self.redis.get(keys.result(self.namespace, name))
        envelope = json.loads(raw) if raw is not None else None
        return Run(proc.returncode, proc.stderr, self.status(name), envelope)


@pytest.fixture
def jobs(queueable_crds: Cluster, namespace: str, redis_url: str,
         redis_client: redis.Redis) -> Jobs:
    return Jobs(queueable_crds, namespace, redis_url, redis_client)


def test_a_function_succeeds_into_status_and_redis(jobs: Jobs) -> None:
    name = jobs.create("add", 2, 3)
    run = jobs.run(name)
    assert run.code == 0, run.stderr
    assert run.envelope == {"ok": True, "value": 5, "job": name}
    status = run.status
    assert status["phase"] == "Succeeded"
    assert status["attempts"] == 1
    assert status["result"] == 5
    assert status["resultKey"] == keys.result(jobs.namespace, name)
    assert status["reason"] == "Succeeded"
    assert status["startedAt"] <= status["finishedAt"]
    assert "error" not in status
    conditions = {c["type"]: (c["status"], c["reason"]) for c in status["conditions"]}
    assert conditions == {"Running": ("False", "Succeeded"), "Finished": ("True", "Succeeded")}
    # The completion signal was pushed for waiters.
    assert jobs.redis.llen(keys.done(jobs.namespace, name)) == 1
    # A runner started again on a finished job does not run it again.
    again = jobs.run(name)
    assert again.code == 0
    assert again.status["attempts"] == 1
    assert "already Succeeded" in again.stderr


def test_an_async_instance_method_is_loaded_and_awaited(jobs: Jobs) -> None:
    name = jobs.create("Counter", 5, method="aplus", object_id="10")
    run = jobs.run(name)
    assert run.code == 0, run.stderr
    assert run.envelope is not None
    assert run.envelope["value"] == 15
    assert run.status["result"] == 15


def test_class_and_static_methods_and_tagged_values(jobs: Jobs) -> None:
    named = jobs.run(jobs.create("SubCounter", "!", method="named"))
    assert named.status["result"] == "SubCounter!", named.stderr
    ping = jobs.run(jobs.create("Counter", (1, {2, 3}), method="ping"))
    assert ping.code == 0, ping.stderr
    assert ping.envelope is not None
    assert codec.decode(ping.envelope["value"]) == (1, {2, 3})


def test_a_raising_target_fails_with_type_message_and_traceback(jobs: Jobs) -> None:
    name = jobs.create("boom", "no luck")
    run = jobs.run(name)
    assert run.code == 1
    assert run.envelope is not None
    assert run.envelope["ok"] is False
    error = run.envelope["error"]
    assert (error["type"], error["message"]) == ("ValueError", "no luck")
    assert "in boom" in error["traceback"]
    assert run.status["phase"] == "Failed"
    assert run.status["reason"] == "TargetFailed"
    assert run.status["error"] == error
    assert run.status["message"] == "ValueError: no luck"
    assert "result" not in run.status


def test_a_failed_attempt_is_retried_and_only_the_last_one_is_stored(jobs: Jobs) -> None:
    name = jobs.create("boom", "again", retry=RetrySpec(max_attempts=2, backoff_seconds=0))
    first = jobs.run(name)
    assert first.code == 1
    assert first.envelope is None  # no waiter wakes on an attempt that will be retried
    assert first.status["phase"] == "Running"
    assert first.status["reason"] == "AttemptFailed"
    assert first.status["error"]["message"] == "again"
    second = jobs.run(name)
    assert second.code == 1
    assert second.status["phase"] == "Failed"
    assert second.status["attempts"] == 2
    assert second.envelope is not None
    assert second.envelope["error"]["message"] == "again"


def test_a_module_outside_the_allow_list_is_refused_before_import(
    jobs: Jobs, tmp_path: Path
) -> None:
    marker = tmp_path / "imported"
    name = jobs.create("steal", module="targets_forbidden")
    run = jobs.run(name, QUEUEABLE_TEST_IMPORT_MARKER=str(marker))
    assert run.code == 2
    assert not marker.exists(), "the refused module was imported"
    assert run.status["phase"] == "Failed"
    assert run.status["reason"] == "ModuleNotAllowed"
    assert run.status["error"]["type"] == "queueable.resolve.RefusedTarget"
    assert run.envelope is not None
    assert run.envelope["ok"] is False
    # The same module, allowed, is imported: the marker proves the check above can fail.
    allowed = jobs.run(jobs.create("steal", module="targets_forbidden"),
                       allowed="targets_forbidden", QUEUEABLE_TEST_IMPORT_MARKER=str(marker))
    assert allowed.code == 0, allowed.stderr
    assert marker.exists()


def test_os_system_through_an_allowed_module_is_refused(jobs: Jobs) -> None:
    run = jobs.run(jobs.create("os.system", "echo pwned"))
    assert run.code == 2
    assert run.status["reason"] == "InvalidTarget"
    assert "'os' is a module, not a class or function" in run.status["error"]["message"]
    globals_run = jobs.run(jobs.create("boom.__globals__"))
    assert globals_run.code == 2
    assert "starts with an underscore" in globals_run.status["error"]["message"]


def test_a_missing_dependency_surfaces_as_its_import_error(jobs: Jobs) -> None:
    run = jobs.run(jobs.create("never", module="targets_runner_broken"),
                   allowed="targets_runner_broken")
    assert run.code == 1
    assert run.status["reason"] == "ImportFailed"
    assert run.status["error"]["type"] == "ModuleNotFoundError"
    assert run.status["error"]["message"] == "No module named 'queueable_no_such_dependency'"


def test_an_unserializable_result_is_a_clear_failure(jobs: Jobs) -> None:
    run = jobs.run(jobs.create("unserializable"))
    assert run.code == 1
    assert run.status["reason"] == "ResultNotSerializable"
    assert "cannot be stored as its result" in run.status["error"]["message"]


def test_a_large_result_stays_in_redis_only_and_a_cache_key_is_written(jobs: Jobs) -> None:
    name = jobs.create("big", 10_000, tenant="acme",
                       cache=CacheSpec(key="big", duration_seconds=60))
    run = jobs.run(name)
    assert run.code == 0, run.stderr
    assert "result" not in run.status
    assert "read it from Redis" in run.status["message"]
    assert run.envelope is not None
    assert run.envelope["value"] == "x" * 10_000
    cached = jobs.redis.get(keys.cache(jobs.namespace, "acme", "big"))
    assert cached is not None
    assert json.loads(cached)["value"] == "x" * 10_000
    assert 0 < jobs.redis.ttl(keys.cache(jobs.namespace, "acme", "big")) <= 60


def test_an_unknown_job_and_an_unreachable_redis(jobs: Jobs) -> None:
    assert jobs.run("no-such-job").code == 2
    name = jobs.create("add", 1, 1)
    run = jobs.run(name, QUEUEABLE_REDIS_URL="redis://127.0.0.1:1/0")
    assert run.code == 3
    assert "cannot reach Redis" in run.stderr
    assert run.status == {}  # nothing ran, nothing was recorded


def test_kubectl_get_qj_shows_the_columns(jobs: Jobs) -> None:
    name = jobs.create("Counter", 1, method="plus", object_id="2", tenant="acme", tag="report")
    assert jobs.run(name).code == 0
    out = jobs.kube.kubectl("get", "qj", "-n", jobs.namespace).stdout.splitlines()
    assert out[0].split() == ["NAME", "PHASE", "TENANT", "TAG", "TARGET", "METHOD",
                              "ATTEMPTS", "AGE"]
    assert out[1].split()[:7] == [name, "Succeeded", "acme", "report", "Counter", "plus", "1"]
    wide = jobs.kube.kubectl("get", "qj", "-n", jobs.namespace, "-o", "wide").stdout
    assert "targets_runner" in wide


@pytest.fixture
def sdk(jobs: Jobs) -> Iterator[Jobs]:
    """The SDK configured for the test's namespace, cluster and Redis; reset afterwards."""
    queueable.configure(namespace=jobs.namespace, redis_url=jobs.redis_url,
                        kubeconfig=str(jobs.kube.kubeconfig))
    try:
        yield jobs
    finally:
        queueable.configure()


@pytest.mark.parametrize(
    ("submit", "expected"),
    [
        (lambda: queueable.async_(targets_runner.add)(2, 3), 5),
        (lambda: queueable.async_(targets_runner.slow_double)(4), 8),
        (lambda: queueable.async_(targets_runner.Counter(10)).plus(5), 15),
        (lambda: targets_runner.Report(7).async_(tag="report").execute(1, {"a": 1}),
         {"report": 7, "user": 1, "params": {"a": 1}}),
        (lambda: queueable.async_(targets_runner.Counter(1)).aplus(1), 2),
        (lambda: queueable.async_(targets_runner.Counter).named("!"), "Counter!"),
        (lambda: queueable.async_(targets_runner.Counter).ping({"a": (1, 2)}), {"a": (1, 2)}),
    ],
    ids=["function", "async-function", "instance", "mixin-instance", "async-instance",
         "classmethod",
         "staticmethod"],
)
def test_sdk_submission_runs_through_the_runner_to_the_handle(
    sdk: Jobs, submit: Any, expected: Any
) -> None:
    job = submit()
    run = sdk.run(job.id)
    assert run.code == 0, run.stderr
    assert job.result(timeout=30) == expected
    assert job.phase == "Succeeded"


def test_sdk_handle_raises_the_remote_failure(sdk: Jobs) -> None:
    job = queueable.async_(targets_runner.boom)("remote")
    assert sdk.run(job.id).code == 1
    with pytest.raises(queueable.JobFailed) as caught:
        job.result(timeout=30)
    assert caught.value.remote_type == "ValueError"
    assert caught.value.message == "remote"
    assert "in boom" in caught.value.remote_traceback


def test_redis_lost_after_the_call_still_records_the_outcome_in_the_status(
    jobs: Jobs, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Redis answers the runner's ping, then is gone when the outcome is stored.
    from queueable_runner import __main__ as runner_main
    from queueable_runner import report

    def redis_gone(*args: Any, **kwargs: Any) -> None:
        raise redis.ConnectionError("Error 111 connecting to redis: Connection refused.")

    name = jobs.create("add", 2, 3)
    monkeypatch.setattr(report, "store", redis_gone)
    queueable.configure(namespace=jobs.namespace, redis_url=jobs.redis_url,
                        kubeconfig=str(jobs.kube.kubeconfig),
                        allowed_modules=[ALLOWED])
    try:
        code = runner_main.run(jobs.namespace, name)
    finally:
        queueable.configure()
    assert code == 0
    status = jobs.status(name)
    assert (status["phase"], status["result"], status["attempts"]) == ("Succeeded", 5, 1)
    # A pod started again does not run the target a second time.
    again = jobs.run(name)
    assert again.code == 0
    assert "already Succeeded" in again.stderr
    assert again.status["attempts"] == 1


def _run_in_process_with_the_final_status_failing(
    jobs: Jobs, name: str, monkeypatch: pytest.MonkeyPatch, allowed: str,
) -> int:
    """Run the runner in this process; the API server fails when the final status is
    written (after the outcome was stored in Redis)."""
    from queueable.errors import ClusterUnavailableError
    from queueable_runner import __main__ as runner_main
    from queueable_runner import report

    real_patch = report.patch_status

    def patch_status(namespace: str, job: str, patch: dict[str, Any]) -> dict[str, Any]:
        if patch.get("phase") in ("Succeeded", "Failed"):
            raise ClusterUnavailableError("cannot reach the Kubernetes API server")
        return real_patch(namespace, job, patch)

    with monkeypatch.context() as patched:
        patched.setattr(report, "patch_status", patch_status)
        queueable.configure(namespace=jobs.namespace, redis_url=jobs.redis_url,
                            kubeconfig=str(jobs.kube.kubeconfig), allowed_modules=[allowed])
        try:
            return int(runner_main.run(jobs.namespace, name))
        finally:
            queueable.configure()


def test_an_outcome_already_in_redis_is_not_run_again(jobs: Jobs, tmp_path: Path) -> None:
    counter = tmp_path / "calls"
    name = jobs.create("counted", str(counter), 21, module="targets")
    results.store_outcome(jobs.redis, jobs.namespace, name, results.ok_envelope(42),
                          tenant="", cache=None, dedup=None, ttl=60)
    run = jobs.run(name, allowed="targets")
    assert run.code == 0, run.stderr
    assert not counter.exists()  # the target was not called
    assert "already has its outcome in Redis" in run.stderr
    status = run.status
    assert (status["phase"], status["reason"], status["result"], status["resultInline"]) == (
        "Succeeded", "Succeeded", 42, True)
    assert status["resultKey"] == keys.result(jobs.namespace, name)
    assert {c["type"]: c["status"] for c in status["conditions"]} == {
        "Running": "False", "Finished": "True"}
    assert run.envelope == {"ok": True, "value": 42, "job": name}


def test_the_api_server_failing_after_the_outcome_was_stored_does_not_rerun(
    jobs: Jobs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    counter = tmp_path / "calls"
    name = jobs.create("counted", str(counter), 21, module="targets")
    assert _run_in_process_with_the_final_status_failing(jobs, name, monkeypatch,
                                                         "targets") == 3
    assert len(counter.read_text().splitlines()) == 1
    assert jobs.status(name)["phase"] == "Running"  # the half-recorded outcome
    again = jobs.run(name, allowed="targets")  # the pod the Job controller starts next
    assert again.code == 0, again.stderr
    assert len(counter.read_text().splitlines()) == 1
    assert (again.status["phase"], again.status["result"], again.status["attempts"]) == (
        "Succeeded", 42, 1)


def test_a_stored_failure_is_finished_with_its_reason_and_exit_code(
    jobs: Jobs, monkeypatch: pytest.MonkeyPatch,
) -> None:
    name = jobs.create("boom", "stored")
    assert _run_in_process_with_the_final_status_failing(jobs, name, monkeypatch,
                                                         ALLOWED) == 3
    again = jobs.run(name)
    assert again.code == 1, again.stderr
    status = again.status
    assert (status["phase"], status["reason"], status["message"]) == (
        "Failed", "TargetFailed", "ValueError: stored")
    assert status["attempts"] == 1
    assert again.envelope is not None
    assert status["error"] == again.envelope["error"]
    # A refusal keeps its reason and its exit code (not retried).
    refused = jobs.create("add", 1, 1)
    results.store_outcome(jobs.redis, jobs.namespace, refused, {
        **results.error_envelope("queueable.resolve.RefusedTarget", "not allowed"),
        "reason": "ModuleNotAllowed"}, tenant="", cache=None, dedup=None, ttl=60)
    run = jobs.run(refused)
    assert run.code == 2, run.stderr
    assert (run.status["phase"], run.status["reason"]) == ("Failed", "ModuleNotAllowed")
    assert "attempts" not in run.status
