"""The runner as a real pod: launched as the batch/v1 Job that `runner_job` builds, on the
local node, under the least-privilege `queueable-runner` service account.

This is the launch the operator will automate; here the test does it, so that the exit
code contract (1 retried by the Job controller, 2 refused at once through the
podFailurePolicy) and the runner's RBAC are checked against the real controllers.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import queueable
import redis
import targets
from fixtures.cluster import Cluster, wait_until
from queueable import config
from queueable import kube as kube_api
from queueable_operator.runner_job import RunnerDefaults, build_runner_job, build_runner_rbac

pytestmark = [pytest.mark.cluster, pytest.mark.redis]

TESTS = Path(__file__).resolve().parents[1]


@pytest.fixture
def sdk(kube: Cluster, queueable_crds: Cluster, namespace: str, redis_url: str,
        redis_client: redis.Redis) -> Iterator[str]:
    kube.kubectl("apply", "-n", namespace, "-f", "-", input=json.dumps(
        {"apiVersion": "v1", "kind": "List", "items": build_runner_rbac(namespace)}))
    queueable.configure(kubeconfig=str(kube.kubeconfig), namespace=namespace,
                        redis_url=redis_url)
    yield namespace
    config.reset()


def launch(kube: Cluster, namespace: str, job: queueable.Job, redis_url: str,
           allowed: tuple[str, ...] = ("targets",)) -> str:
    body = build_runner_job(kube_api.get_job(namespace, job.id), RunnerDefaults(
        redis_url=redis_url, allowed_modules=allowed,
        extra_env={"PYTHONPATH": str(TESTS)}))
    kube.kubectl("create", "-n", namespace, "-f", "-", input=json.dumps(body))
    return str(body["metadata"]["name"])


def job_status(kube: Cluster, namespace: str, name: str) -> dict[str, Any]:
    return dict(kube.kubectl_json("get", "job", name, "-n", namespace).get("status", {}))


def finished_condition(kube: Cluster, namespace: str, name: str) -> dict[str, Any] | None:
    for cond in job_status(kube, namespace, name).get("conditions") or []:
        if cond["type"] in ("Complete", "Failed") and cond["status"] == "True":
            return dict(cond)
    return None


def test_runner_pod_completes_the_job_with_its_own_service_account(
        kube: Cluster, sdk: str, redis_url: str) -> None:
    job = targets.Report(3).async_(tag="report").execute(5, {"region": "emea"})
    runner = launch(kube, sdk, job, redis_url)
    assert job.result(timeout=120) == targets.Report(3).execute(5, {"region": "emea"})
    cond = wait_until(lambda: finished_condition(kube, sdk, runner), "the runner Job to end")
    assert cond["type"] == "Complete"
    pod = kube.kubectl_json("get", "pods", "-n", sdk, "-l", f"job-name={runner}")["items"][0]
    assert pod["spec"]["serviceAccountName"] == "queueable-runner"
    qj = kube.kubectl_json("get", "qj", job.id, "-n", sdk)
    assert (qj["status"]["phase"], qj["status"]["attempts"]) == ("Succeeded", 1)


def test_a_failing_target_is_retried_by_the_job_controller_then_fails(
        kube: Cluster, sdk: str, redis_url: str) -> None:
    job = queueable.async_(targets.boom, retries=1, retry_backoff=0)("kaput")
    runner = launch(kube, sdk, job, redis_url)
    with pytest.raises(queueable.JobFailed) as failed:
        job.result(timeout=180)
    assert failed.value.remote_type == "ValueError"
    assert "kaput" in str(failed.value)
    cond = wait_until(lambda: finished_condition(kube, sdk, runner), "the runner Job to end")
    assert (cond["type"], cond["reason"]) == ("Failed", "BackoffLimitExceeded")
    assert job_status(kube, sdk, runner)["failed"] == 2, "retries=1: two attempts"
    assert kube.kubectl_json("get", "qj", job.id, "-n", sdk)["status"]["attempts"] == 2


def test_a_refused_module_fails_at_once_without_retries(
        kube: Cluster, sdk: str, redis_url: str) -> None:
    job = queueable.async_(targets.add, retries=3, retry_backoff=0)(1, 2)
    runner = launch(kube, sdk, job, redis_url, allowed=("reports",))
    with pytest.raises(queueable.JobFailed):
        job.result(timeout=120)
    cond = wait_until(lambda: finished_condition(kube, sdk, runner), "the runner Job to end")
    assert (cond["type"], cond["reason"]) == ("Failed", "PodFailurePolicy")
    assert job_status(kube, sdk, runner)["failed"] == 1, "exit code 2 is never retried"
    qj = kube.kubectl_json("get", "qj", job.id, "-n", sdk)
    assert (qj["status"]["phase"], qj["status"]["reason"]) == ("Failed", "ModuleNotAllowed")


def _time(stamp: str) -> dt.datetime:
    return dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def test_retry_backoff_is_a_floor_over_the_job_controllers_own(
        kube: Cluster, sdk: str, redis_url: str) -> None:
    """The Job controller waits about 10 s before a retry's pod; retry_backoff=20 makes the
    runner wait out the rest, so the second attempt starts 20 s after the first failed."""
    job = queueable.async_(targets.boom, retries=1, retry_backoff=20)("again")
    runner = launch(kube, sdk, job, redis_url)
    with pytest.raises(queueable.JobFailed):
        job.result(timeout=180)
    pods = kube.kubectl_json("get", "pods", "-n", sdk, "-l", f"job-name={runner}")["items"]
    first = min(pods, key=lambda p: p["metadata"]["creationTimestamp"])
    first_failed = _time(first["status"]["containerStatuses"][0]["state"]["terminated"][
        "finishedAt"])
    second_started = _time(kube.kubectl_json("get", "qj", job.id, "-n", sdk)["status"][
        "startedAt"])
    assert (second_started - first_failed).total_seconds() >= 19  # timestamps are to 1 s
