"""The control plane and the local node behave like a cluster: scheduling, the Job
controller, RBAC for pods' service accounts, deletion, exit codes, retries, deadlines.

Everything goes through the real kube-apiserver, kube-controller-manager, kube-scheduler
and the built kubectl; the local node runs each container as a process.
"""

from __future__ import annotations

import json
import re
import subprocess
import textwrap
from typing import Any

import pytest
from fixtures.cluster import Cluster, wait_until

pytestmark = pytest.mark.cluster


def apply(kube: Cluster, namespace: str, manifest: dict[str, Any]) -> None:
    kube.kubectl("apply", "-n", namespace, "-f", "-", input=json.dumps(manifest))


def job(name: str, script: str, *, backoff_limit: int = 0, **pod_spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name},
        "spec": {"backoffLimit": backoff_limit, "template": {"spec": {
            "restartPolicy": "Never",
            "containers": [{"name": "main", "image": "python:3.11",
                            "command": ["python", "-c", textwrap.dedent(script)]}],
            **pod_spec}}},
    }


def pod(name: str, script: str, **spec: Any) -> dict[str, Any]:
    containers = spec.pop("containers", None) or [
        {"name": "main", "image": "python:3.11", "command": ["python", "-c",
                                                             textwrap.dedent(script)]}]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"restartPolicy": "Never", "containers": containers, **spec}}


def job_condition(kube: Cluster, namespace: str, name: str) -> str | None:
    status = kube.kubectl_json("get", "job", name, "-n", namespace).get("status", {})
    for cond in status.get("conditions") or []:
        if cond["type"] in ("Complete", "Failed") and cond["status"] == "True":
            return str(cond["type"])
    return None


def pods_of(kube: Cluster, namespace: str, job_name: str) -> list[dict[str, Any]]:
    items = kube.kubectl_json("get", "pods", "-n", namespace, "-l",
                              f"job-name={job_name}")["items"]
    return list(items)


def pod_phase(kube: Cluster, namespace: str, name: str) -> str | None:
    return kube.kubectl_json("get", "pod", name, "-n", namespace)["status"].get("phase")


def test_hello_job_completes_through_scheduler_job_controller_and_node(
        kube: Cluster, namespace: str) -> None:
    apply(kube, namespace, job("hello", "print('hello')"))
    assert wait_until(lambda: job_condition(kube, namespace, "hello"),
                      "Job hello to finish") == "Complete"
    (p,) = pods_of(kube, namespace, "hello")
    assert p["spec"]["nodeName"], "the scheduler bound the pod to a node"
    assert p["status"]["containerStatuses"][0]["state"]["terminated"]["exitCode"] == 0
    assert kube.pod_log(namespace, p["metadata"]["name"]).strip() == "hello"


RBAC_PROBE = """
import os, sys
from kubernetes import client, config
from kubernetes.client.rest import ApiException
config.load_kube_config()
try:
    client.CoreV1Api().list_namespaced_config_map(os.environ["NS"])
except ApiException as e:
    print("denied", e.status)
    sys.exit(4)
print("allowed")
"""


def test_pod_service_account_is_subject_to_rbac(kube: Cluster, namespace: str) -> None:
    kube.kubectl("create", "serviceaccount", "probe", "-n", namespace)
    env = [{"name": "NS", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}}]

    def run(name: str) -> tuple[str | None, str]:
        manifest = pod(name, RBAC_PROBE, serviceAccountName="probe")
        manifest["spec"]["containers"][0]["env"] = env
        apply(kube, namespace, manifest)
        phase = wait_until(lambda: pod_phase(kube, namespace, name) in ("Succeeded", "Failed")
                           and pod_phase(kube, namespace, name), f"pod {name} to finish")
        return phase, kube.pod_log(namespace, name)

    phase, out = run("before-grant")
    assert (phase, out.strip()) == ("Failed", "denied 403")

    kube.kubectl("create", "role", "read-cm", "-n", namespace, "--verb=list",
                 "--resource=configmaps")
    kube.kubectl("create", "rolebinding", "probe-read-cm", "-n", namespace, "--role=read-cm",
                 f"--serviceaccount={namespace}:probe")
    phase, out = run("after-grant")
    assert (phase, out.strip()) == ("Succeeded", "allowed")


def _process_alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_deleting_a_running_jobs_pod_stops_its_process(kube: Cluster, namespace: str) -> None:
    script = """
        import os, time
        print(os.getpid(), flush=True)
        time.sleep(600)
    """
    apply(kube, namespace, job("sleeper", script))
    p = wait_until(lambda: [x for x in pods_of(kube, namespace, "sleeper")
                            if x["status"].get("phase") == "Running"],
                   "the sleeper pod to run")[0]
    name = p["metadata"]["name"]
    pid = int(wait_until(lambda: re.findall(r"^\d+$", kube.pod_log(namespace, name), re.M),
                         "the sleeper to print its pid")[0])
    assert kube.local_root is None or _process_alive(pid)

    kube.kubectl("delete", "pod", name, "-n", namespace, "--grace-period=2", "--wait=true",
                 "--timeout=60s")
    if kube.local_root is not None:
        wait_until(lambda: not _process_alive(pid), f"process {pid} of deleted pod to end",
                   timeout=15)
    assert name not in [x["metadata"]["name"] for x in pods_of(kube, namespace, "sleeper")]


def test_deletion_sends_sigterm_then_sigkill_after_the_grace_period(
        kube: Cluster, namespace: str) -> None:
    script = """
        import os, signal, time
        def on_term(signum, frame):
            print("got SIGTERM, ignoring it", flush=True)
        signal.signal(signal.SIGTERM, on_term)
        print(os.getpid(), flush=True)
        while True:
            time.sleep(0.1)
    """
    apply(kube, namespace, pod("stubborn", script, terminationGracePeriodSeconds=1))
    wait_until(lambda: pod_phase(kube, namespace, "stubborn") == "Running", "pod to run")
    pid = int(wait_until(lambda: re.findall(r"^\d+$", kube.pod_log(namespace, "stubborn"),
                                            re.M), "the pod to print its pid")[0])
    kube.kubectl("delete", "pod", "stubborn", "-n", namespace, "--wait=true", "--timeout=60s")
    assert "got SIGTERM, ignoring it" in kube.pod_log(namespace, "stubborn")
    if kube.local_root is not None:
        wait_until(lambda: not _process_alive(pid), f"process {pid} to be killed", timeout=15)


def test_restart_policy_on_failure_restarts_the_container(kube: Cluster, namespace: str) -> None:
    script = """
        import os, sys
        marker = os.path.join(os.environ["HOME"], "tried")
        if not os.path.exists(marker):
            open(marker, "w").close()
            print("first try fails", flush=True)
            sys.exit(1)
        print("second try works", flush=True)
    """
    apply(kube, namespace, pod("again", script, restartPolicy="OnFailure"))
    wait_until(lambda: pod_phase(kube, namespace, "again") == "Succeeded", "pod again to succeed")
    status = kube.kubectl_json("get", "pod", "again", "-n", namespace)["status"]
    assert status["containerStatuses"][0]["restartCount"] == 1
    assert kube.pod_log(namespace, "again").split("\n")[:2] == ["first try fails",
                                                               "second try works"]


def test_init_containers_run_first_and_in_order(kube: Cluster, namespace: str) -> None:
    def step(name: str, code: str) -> dict[str, Any]:
        return {"name": name, "image": "python:3.11", "command": ["python", "-c", code]}

    append = "import os; open(os.path.join(os.environ['HOME'], 'steps'), 'a').write('{}\\n')"
    manifest = pod("ordered", "", containers=[step("main", "import os; print(open(os.path.join("
                                                   "os.environ['HOME'], 'steps')).read())")],
                   initContainers=[step("first", append.format("first")),
                                   step("second", append.format("second"))])
    apply(kube, namespace, manifest)
    wait_until(lambda: pod_phase(kube, namespace, "ordered") == "Succeeded", "pod to succeed")
    assert kube.pod_log(namespace, "ordered", "main").split() == ["first", "second"]
    status = kube.kubectl_json("get", "pod", "ordered", "-n", namespace)["status"]
    assert [s["state"]["terminated"]["exitCode"] for s in status["initContainerStatuses"]] == [
        0, 0]


def test_pod_exiting_3_is_failed_with_exit_code_3(kube: Cluster, namespace: str) -> None:
    apply(kube, namespace, pod("three", "raise SystemExit(3)"))
    wait_until(lambda: pod_phase(kube, namespace, "three") == "Failed", "pod three to fail")
    state = kube.kubectl_json("get", "pod", "three", "-n", namespace)["status"][
        "containerStatuses"][0]["state"]
    assert state["terminated"]["exitCode"] == 3
    assert state["terminated"]["reason"] == "Error"


def test_job_backoff_limit_retries_then_fails(kube: Cluster, namespace: str) -> None:
    apply(kube, namespace, job("flaky", "print('attempt'); raise SystemExit(1)",
                               backoff_limit=1))
    assert wait_until(lambda: job_condition(kube, namespace, "flaky"),
                      "Job flaky to give up", timeout=120) == "Failed"
    status = kube.kubectl_json("get", "job", "flaky", "-n", namespace)["status"]
    assert status["failed"] == 2, "backoffLimit 1 means two attempts"
    reasons = {c["reason"] for c in status["conditions"] if c["type"] == "Failed"}
    assert reasons == {"BackoffLimitExceeded"}


def test_active_deadline_fails_a_pod(kube: Cluster, namespace: str) -> None:
    apply(kube, namespace, pod("slow", "import time; time.sleep(600)",
                               activeDeadlineSeconds=2))
    wait_until(lambda: pod_phase(kube, namespace, "slow") == "Failed", "pod slow to fail")
    status = kube.kubectl_json("get", "pod", "slow", "-n", namespace)["status"]
    assert status["reason"] == "DeadlineExceeded"


def test_env_from_secret_config_map_and_field(kube: Cluster, namespace: str) -> None:
    kube.kubectl("create", "secret", "generic", "creds", "-n", namespace,
                 "--from-literal=password=s3cret")
    kube.kubectl("create", "configmap", "settings", "-n", namespace, "--from-literal=mode=fast")
    script = "import os; print(os.environ['PASSWORD'], os.environ['MODE'], os.environ['POD'], " \
             "os.environ['PLAIN'])"
    manifest = pod("env", script)
    manifest["spec"]["containers"][0]["env"] = [
        {"name": "PASSWORD", "valueFrom": {"secretKeyRef": {"name": "creds", "key": "password"}}},
        {"name": "MODE", "valueFrom": {"configMapKeyRef": {"name": "settings", "key": "mode"}}},
        {"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
        {"name": "PLAIN", "value": "x-$(MODE)"},
    ]
    apply(kube, namespace, manifest)
    wait_until(lambda: pod_phase(kube, namespace, "env") == "Succeeded", "pod env to succeed")
    assert kube.pod_log(namespace, "env").split() == ["s3cret", "fast", "env", "x-fast"]


def test_a_missing_secret_holds_the_pod_until_it_exists(kube: Cluster, namespace: str) -> None:
    """As with a kubelet: CreateContainerConfigError, retried, then the pod runs."""
    manifest = pod("late", "import os; print(os.environ['TOKEN'])")
    manifest["spec"]["containers"][0]["env"] = [
        {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "later", "key": "token"}}}]
    apply(kube, namespace, manifest)

    def waiting_reason() -> str | None:
        statuses = kube.kubectl_json("get", "pod", "late", "-n", namespace)["status"].get(
            "containerStatuses") or []
        return statuses[0]["state"].get("waiting", {}).get("reason") if statuses else None

    assert wait_until(waiting_reason, "the pod to report why it waits") == \
        "CreateContainerConfigError"
    assert pod_phase(kube, namespace, "late") == "Pending"
    kube.kubectl("create", "secret", "generic", "later", "-n", namespace,
                 "--from-literal=token=arrived")
    wait_until(lambda: pod_phase(kube, namespace, "late") == "Succeeded", "pod late to run")
    assert kube.pod_log(namespace, "late").strip() == "arrived"


def test_version_is_stamped(kube: Cluster) -> None:
    """Helm's kubeVersion checks read this; an unstamped build reports v0.0.0."""
    version = kube.kubectl_json("version")["serverVersion"]["gitVersion"]
    assert re.fullmatch(r"v1\.\d+\.\d+.*", version), version
    assert not version.startswith("v0.0.0")


def test_helm_is_built_and_reaches_the_cluster(kube: Cluster) -> None:
    helm = str(kube.bin_dir / "helm")
    version = subprocess.run([helm, "version", "--short"], capture_output=True, text=True,
                             check=True).stdout
    assert version.startswith("v4."), version
    listing = subprocess.run([helm, "list", "--all-namespaces", "-o", "json"], env=kube.env,
                             capture_output=True, text=True, timeout=60)
    assert listing.returncode == 0, listing.stderr
    assert isinstance(json.loads(listing.stdout), list)
