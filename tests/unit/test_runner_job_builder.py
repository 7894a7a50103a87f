"""The runner Job built for a QueueableJob: retries, deadline, owner, worker options, RBAC."""

from __future__ import annotations

from typing import Any

from queueable_operator.runner_job import (
    RunnerDefaults,
    build_runner_job,
    build_runner_rbac,
    runner_job_name,
)


def qj(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "queueable.io/v1alpha1", "kind": "QueueableJob",
        "metadata": {"name": "report-abc123", "namespace": "apps", "uid": "u-1"},
        "spec": {"target": {"module": "app.reports", "qualname": "Report", "method": "execute",
                            "objectId": "7"},
                 "tenant": "acme", "tag": "report", **spec},
    }


def env_of(job: dict[str, Any]) -> dict[str, Any]:
    container = job["spec"]["template"]["spec"]["containers"][0]
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}


def test_retries_and_timeout_become_backoff_limit_and_deadline() -> None:
    job = build_runner_job(qj(retry={"maxAttempts": 4}, timeoutSeconds=90), RunnerDefaults())
    assert job["spec"]["backoffLimit"] == 3
    assert job["spec"]["activeDeadlineSeconds"] == 90


def test_single_attempt_and_no_timeout_by_default() -> None:
    job = build_runner_job(qj(), RunnerDefaults())
    assert job["spec"]["backoffLimit"] == 0
    assert "activeDeadlineSeconds" not in job["spec"]


def test_refused_exit_code_fails_the_job_without_retry() -> None:
    rules = build_runner_job(qj(), RunnerDefaults())["spec"]["podFailurePolicy"]["rules"]
    assert rules == [{"action": "FailJob", "onExitCodes": {
        "containerName": "runner", "operator": "In", "values": [2]}}]


def test_owned_by_the_queueable_job_and_labelled() -> None:
    job = build_runner_job(qj(), RunnerDefaults())
    (owner,) = job["metadata"]["ownerReferences"]
    assert (owner["kind"], owner["name"], owner["uid"], owner["controller"]) == (
        "QueueableJob", "report-abc123", "u-1", True)
    assert job["metadata"]["labels"] == {"queueable.io/tenant": "acme",
                                         "queueable.io/tag": "report",
                                         "queueable.io/job": "report-abc123"}
    assert job["spec"]["template"]["metadata"]["labels"] == job["metadata"]["labels"]


def test_runner_command_names_the_job() -> None:
    container = build_runner_job(qj(), RunnerDefaults())["spec"]["template"]["spec"][
        "containers"][0]
    assert container["command"] == ["queueable-runner", "--namespace", "apps",
                                    "--name", "report-abc123"]


def test_worker_options_override_installation_defaults() -> None:
    defaults = RunnerDefaults(image="queueable:1", service_account="runner",
                              ttl_seconds_after_finished=600, extra_env={"A": "1", "B": "1"})
    job = build_runner_job(qj(workerOptions={
        "image": "app:2", "resources": {"limits": {"cpu": "1"}}, "env": {"B": "2"},
        "nodeSelector": {"pool": "batch"}, "tolerations": [{"key": "batch",
                                                            "operator": "Exists"}],
        "serviceAccountName": "app-runner", "priorityClassName": "low",
        "ttlSecondsAfterFinished": 60}), defaults)
    pod = job["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["image"] == "app:2"
    assert container["resources"] == {"limits": {"cpu": "1"}}
    assert (env_of(job)["A"], env_of(job)["B"]) == ("1", "2")
    assert pod["nodeSelector"] == {"pool": "batch"}
    assert pod["tolerations"] == [{"key": "batch", "operator": "Exists"}]
    assert pod["serviceAccountName"] == "app-runner"
    assert pod["priorityClassName"] == "low"
    assert job["spec"]["ttlSecondsAfterFinished"] == 60


def test_user_env_cannot_replace_the_allow_list_or_redis() -> None:
    defaults = RunnerDefaults(allowed_modules=("app",), redis_url_secret=("redis", "url"))
    job = build_runner_job(qj(workerOptions={"env": {
        "QUEUEABLE_ALLOWED_MODULES": "os", "QUEUEABLE_REDIS_URL": "redis://evil"}}), defaults)
    env = env_of(job)
    assert env["QUEUEABLE_ALLOWED_MODULES"] == "app"
    assert env["QUEUEABLE_REDIS_URL"] == {"secretKeyRef": {"name": "redis", "key": "url"}}


def test_long_names_are_cut_to_a_valid_job_name() -> None:
    name = runner_job_name("x" * 63)
    assert len(name) <= 63
    assert name.endswith("-run")


def test_runner_rbac_reads_jobs_and_patches_status_only() -> None:
    sa, role, binding = build_runner_rbac("apps")
    assert sa["kind"] == "ServiceAccount"
    assert role["rules"] == [
        {"apiGroups": ["queueable.io"], "resources": ["queueablejobs"], "verbs": ["get"]},
        {"apiGroups": ["queueable.io"], "resources": ["queueablejobs/status"],
         "verbs": ["get", "patch"]},
    ]
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "queueable-runner",
                                    "namespace": "apps"}]
