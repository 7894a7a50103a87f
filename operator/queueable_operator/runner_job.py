"""Pure builders of the objects that run one QueueableJob: the batch/v1 Job and the RBAC
its runner pod needs. No API calls here (dask-kubernetes style): handlers decide and call,
these functions only describe.

One Job per QueueableJob ("attempt set"): `backoffLimit` comes from `retry.maxAttempts`,
`activeDeadlineSeconds` from `timeoutSeconds`, and the runner's exit code 2 (refused:
would fail again) ends the Job at once through a `podFailurePolicy`. The Job is owned by
the QueueableJob, so deleting the job deletes its runner.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from queueable import labels
from queueable.models import API_VERSION, GROUP, JOB_KIND, JOB_PLURAL, QueueableJobSpec

RUNNER_COMMAND = ("queueable-runner",)
REFUSED_EXIT_CODE = 2  # queueable_runner.exitcodes.ExitCode.REFUSED
RUNNER_SERVICE_ACCOUNT = "queueable-runner"
JOB_NAME_LABEL = f"{GROUP}/job"
MAX_NAME = 63


@dataclass(frozen=True)
class RunnerDefaults:
    """What the installation decides for every runner (Helm values); workerOptions win."""

    image: str = "queueable:latest"
    service_account: str = RUNNER_SERVICE_ACCOUNT
    allowed_modules: tuple[str, ...] = ()
    redis_url_secret: tuple[str, str] | None = None  # (Secret name, key) holding the URL
    redis_url: str | None = None                     # plain URL when there is no Secret
    ttl_seconds_after_finished: int | None = 3600
    extra_env: dict[str, str] = field(default_factory=dict)


def runner_job_name(job_name: str) -> str:
    """The runner Job's name, derived from the QueueableJob's (63 characters at most)."""
    suffix = "-run"
    return job_name[: MAX_NAME - len(suffix)].rstrip("-") + suffix


def _env(spec: QueueableJobSpec, defaults: RunnerDefaults) -> list[dict[str, Any]]:
    env: list[dict[str, Any]] = [
        {"name": "QUEUEABLE_ALLOWED_MODULES", "value": ",".join(defaults.allowed_modules)},
        {"name": "QUEUEABLE_NAMESPACE",
         "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
    ]
    if defaults.redis_url_secret is not None:
        secret, key = defaults.redis_url_secret
        env.append({"name": "QUEUEABLE_REDIS_URL",
                    "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}})
    elif defaults.redis_url is not None:
        env.append({"name": "QUEUEABLE_REDIS_URL", "value": defaults.redis_url})
    user_env = {**defaults.extra_env, **(spec.worker_options.env or {})}
    reserved = {e["name"] for e in env}
    env += [{"name": k, "value": v} for k, v in sorted(user_env.items()) if k not in reserved]
    return env


def build_runner_job(job: dict[str, Any], defaults: RunnerDefaults) -> dict[str, Any]:
    """The batch/v1 Job that runs QueueableJob `job` (a full resource body with uid)."""
    meta = job["metadata"]
    spec = QueueableJobSpec.model_validate(job["spec"])
    wo = spec.worker_options
    name, namespace = meta["name"], meta["namespace"]
    job_labels = {**labels.job_labels(spec.tenant, spec.tag), JOB_NAME_LABEL: name}
    container: dict[str, Any] = {
        "name": "runner",
        "image": wo.image or defaults.image,
        "command": [*RUNNER_COMMAND, "--namespace", namespace, "--name", name],
        "env": _env(spec, defaults),
    }
    if wo.resources:
        container["resources"] = wo.resources
    pod_spec: dict[str, Any] = {
        "restartPolicy": "Never",
        "serviceAccountName": wo.service_account_name or defaults.service_account,
        "containers": [container],
    }
    for key, value in (("nodeSelector", wo.node_selector), ("tolerations", wo.tolerations),
                       ("priorityClassName", wo.priority_class_name)):
        if value:
            pod_spec[key] = value
    job_spec: dict[str, Any] = {
        "backoffLimit": spec.retry.max_attempts - 1,
        "podFailurePolicy": {"rules": [{
            "action": "FailJob",
            "onExitCodes": {"containerName": "runner", "operator": "In",
                            "values": [REFUSED_EXIT_CODE]}}]},
        "template": {"metadata": {"labels": job_labels}, "spec": pod_spec},
    }
    if spec.timeout_seconds is not None:
        job_spec["activeDeadlineSeconds"] = spec.timeout_seconds
    ttl = (wo.ttl_seconds_after_finished if wo.ttl_seconds_after_finished is not None
           else defaults.ttl_seconds_after_finished)
    if ttl is not None:
        job_spec["ttlSecondsAfterFinished"] = ttl
    return {
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": {
            "name": runner_job_name(name), "namespace": namespace, "labels": job_labels,
            "ownerReferences": [{"apiVersion": API_VERSION, "kind": JOB_KIND, "name": name,
                                 "uid": meta["uid"], "controller": True,
                                 "blockOwnerDeletion": True}],
        },
        "spec": job_spec,
    }


def build_runner_rbac(namespace: str, service_account: str = RUNNER_SERVICE_ACCOUNT
                      ) -> list[dict[str, Any]]:
    """ServiceAccount, Role and RoleBinding of runner pods: read QueueableJobs and patch
    their status, nothing more (ARCHITECTURE.md, Security)."""
    role = service_account
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount",
         "metadata": {"name": service_account, "namespace": namespace}},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
         "metadata": {"name": role, "namespace": namespace},
         "rules": [
             {"apiGroups": [GROUP], "resources": [JOB_PLURAL], "verbs": ["get"]},
             {"apiGroups": [GROUP], "resources": [f"{JOB_PLURAL}/status"],
              "verbs": ["get", "patch"]},
         ]},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
         "metadata": {"name": role, "namespace": namespace},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": role},
         "subjects": [{"kind": "ServiceAccount", "name": service_account,
                       "namespace": namespace}]},
    ]
