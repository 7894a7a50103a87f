"""The built helm installs a chart whose Deployment becomes Available on the local node,
and the node keeps up with a burst of Jobs: what the chart and the operator will need.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from fixtures.cluster import Cluster, wait_until

pytestmark = pytest.mark.cluster

CHART = Path(__file__).parent / "charts" / "sleeper"


def helm(kube: Cluster, *args: str) -> str:
    proc = subprocess.run([str(kube.bin_dir / "helm"), *args], env=kube.env,
                          capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, f"helm {' '.join(args)}: {proc.stderr}"
    return proc.stdout


def test_helm_install_upgrade_uninstall_of_a_deployment(kube: Cluster, namespace: str) -> None:
    helm(kube, "install", "sleepy", str(CHART), "-n", namespace, "--wait", "--timeout=90s")
    deployment = kube.kubectl_json("get", "deployment", "sleepy", "-n", namespace)
    assert deployment["status"]["availableReplicas"] == 2
    pods = kube.kubectl_json("get", "pods", "-n", namespace, "-l", "app=sleepy")["items"]
    assert {kube.pod_log(namespace, p["metadata"]["name"]).strip() for p in pods} == {"up"}

    helm(kube, "upgrade", "sleepy", str(CHART), "-n", namespace, "--set", "replicas=1",
         "--wait", "--timeout=90s")
    wait_until(lambda: len(kube.kubectl_json("get", "pods", "-n", namespace, "-l",
                                             "app=sleepy")["items"]) == 1,
               "the scaled-down Deployment to keep one pod")
    releases = json.loads(helm(kube, "list", "-n", namespace, "-o", "json"))
    assert [(r["name"], r["revision"], r["status"]) for r in releases] == [
        ("sleepy", "2", "deployed")]

    helm(kube, "uninstall", "sleepy", "-n", namespace, "--wait", "--timeout=90s")
    assert kube.kubectl("get", "deployment", "sleepy", "-n", namespace,
                        check=False).returncode != 0
    # The garbage collector then deletes the ReplicaSet and its pods (SIGTERM, grace, gone).
    wait_until(lambda: kube.kubectl_json("get", "pods", "-n", namespace, "-l",
                                         "app=sleepy")["items"] == [],
               "the uninstalled release's pods to be garbage-collected")


def test_a_burst_of_jobs_all_complete(kube: Cluster, namespace: str) -> None:
    count = 20
    jobs = [{"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": f"burst-{i}"},
             "spec": {"backoffLimit": 0, "template": {"spec": {
                 "restartPolicy": "Never",
                 "containers": [{"name": "main", "image": "python:3.11",
                                 "command": ["python", "-c", f"print({i} * {i})"]}]}}}}
            for i in range(count)]
    kube.kubectl("apply", "-n", namespace, "-f", "-",
                 input=json.dumps({"apiVersion": "v1", "kind": "List", "items": jobs}))

    def complete() -> int:
        items = kube.kubectl_json("get", "jobs", "-n", namespace)["items"]
        return sum(1 for j in items if j.get("status", {}).get("succeeded") == 1)

    wait_until(lambda: complete() == count, f"all {count} Jobs to complete", timeout=180)
    pods = kube.kubectl_json("get", "pods", "-n", namespace)["items"]
    outputs = {kube.pod_log(namespace, p["metadata"]["name"]).strip() for p in pods}
    assert outputs == {str(i * i) for i in range(count)}
