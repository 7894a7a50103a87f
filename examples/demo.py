"""`make demo`: an example job on the local control plane, from the SDK to its result.

1. the QueueableJob CRD is applied, and a namespace with the runner's service account;
2. `Report(7).async_(...).execute(...)` records the call as a QueueableJob;
3. a runner Job (built by `queueable_operator.runner_job`, the launch step the operator
   takes over) runs on the local node and stores the result in Redis and the status;
4. `job.result()` wakes on Redis; the same call again is served from the cache;
5. `kubectl get queueablejobs` shows both.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from localcluster import controlplane
from localcluster.layout import Layout

REPO = Path(__file__).resolve().parents[1]
CLUSTER = Path(os.environ.get("QUEUEABLE_CLUSTER_DIR", REPO / ".cluster"))
NAMESPACE = "queueable-demo"


def kubectl(*args: str, input: str | None = None) -> str:
    return subprocess.run([str(CLUSTER / "bin" / "kubectl"), *args], input=input, text=True,
                          check=True, capture_output=True,
                          env={**os.environ, "KUBECONFIG": str(CLUSTER / "kubeconfig")}).stdout


def main() -> None:
    state = controlplane.State.load(Layout(CLUSTER))
    if state is None:
        raise SystemExit(f"no local cluster in {CLUSTER}: run `make cluster-up` first")
    redis_url = controlplane.redis_url(state)
    os.environ.update(KUBECONFIG=str(CLUSTER / "kubeconfig"), QUEUEABLE_REDIS_URL=redis_url,
                      QUEUEABLE_NAMESPACE=NAMESPACE, QUEUEABLE_ALLOWED_MODULES="reports")
    sys.path.insert(0, str(REPO / "examples"))

    from kubernetes import client, config
    from queueable import kube
    from queueable_operator.runner_job import RunnerDefaults, build_runner_job, build_runner_rbac
    from reports import Report

    print("1. CRDs, namespace and the runner's service account")
    for crd in sorted((REPO / "crds").glob("*.yaml")):
        kubectl("apply", "--server-side", "-f", str(crd))
    kubectl("wait", "--for=condition=Established", "crd/queueablejobs.queueable.io")
    kubectl("apply", "-f", "-", input=kubectl("create", "namespace", NAMESPACE,
                                              "--dry-run=client", "-o", "yaml"))
    kubectl("apply", "-n", NAMESPACE, "-f", "-",
            input=json.dumps({"apiVersion": "v1", "kind": "List",
                              "items": build_runner_rbac(NAMESPACE)}))

    print("2. submit: Report(7).async_(cache_duration=300, tag='report')"
          ".execute(42, {'region': 'emea'})")
    options = dict(cache_duration=300, tag="report",
                   worker_options={"env": {"PYTHONPATH": str(REPO / "examples")}})
    started = time.monotonic()
    job = Report(7).async_(**options).execute(42, {"region": "emea"})
    print(f"   job {job.id}: {job.phase}")

    if not job.phase.finished:
        print("3. launch its runner Job on the local node")
        api = config.new_client_from_config(config_file=str(CLUSTER / "kubeconfig"))
        body = build_runner_job(kube.get_job(NAMESPACE, job.id),
                                RunnerDefaults(redis_url=redis_url,
                                               allowed_modules=("reports",)))
        client.BatchV1Api(api).create_namespaced_job(NAMESPACE, body)
    else:
        print("3. (a fresh cached result existed: no runner needed)")

    result = job.result(timeout=120)
    print(f"4. result after {time.monotonic() - started:.1f} s: {result}")

    started = time.monotonic()
    again = Report(7).async_(**options).execute(42, {"region": "emea"})
    print(f"   the same call again: {again.phase}, {again.result(timeout=10)} "
          f"in {(time.monotonic() - started) * 1000:.1f} ms (cache hit, no runner)")

    print("5. kubectl get queueablejobs -n", NAMESPACE)
    print(kubectl("get", "queueablejobs", "-n", NAMESPACE))


if __name__ == "__main__":
    main()
