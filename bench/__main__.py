"""`make bench`: run every benchmark against the local cluster (started or reused).

    python -m bench [--samples N]

Prints each scenario's p50/p99 against its same-run baseline, and the machine.
Record the output in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
from pathlib import Path

from localcluster import controlplane
from localcluster.layout import Layout

REPO = Path(__file__).resolve().parents[1]
CLUSTER = Path(os.environ.get("QUEUEABLE_CLUSTER_DIR", REPO / ".cluster"))


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem_kib = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                       if line.startswith("MemTotal")))
    return (f"{os.cpu_count()} cores ({cpu}), {mem_kib / 2**20:.0f} GiB, "
            f"{platform.system()} {platform.release()}, Python {platform.python_version()}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench")
    parser.add_argument("--samples", type=int, default=300)
    args = parser.parse_args()

    subprocess.run([sys.executable, "-m", "localcluster", "up"], check=True,
                   stdout=subprocess.DEVNULL)
    state = controlplane.State.load(Layout(CLUSTER))
    if state is None:
        raise SystemExit(f"no local cluster in {CLUSTER}: run `make cluster-up` first")
    kubeconfig = str(CLUSTER / "kubeconfig")
    redis_url = controlplane.redis_url(state)
    kubectl = [str(CLUSTER / "bin" / "kubectl"), f"--kubeconfig={kubeconfig}"]

    from bench import submit

    os.environ.update(KUBECONFIG=kubeconfig, QUEUEABLE_REDIS_URL=redis_url,
                      QUEUEABLE_NAMESPACE=submit.NAMESPACE)
    sys.path.insert(0, str(REPO / "examples"))
    from reports import ping

    for crd in sorted((REPO / "crds").glob("*.yaml")):
        subprocess.run([*kubectl, "apply", "--server-side", "-f", str(crd)], check=True,
                       stdout=subprocess.DEVNULL)
    subprocess.run([*kubectl, "create", "namespace", submit.NAMESPACE],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        print(f"machine: {machine()}")
        print(f"bench/submit, {args.samples} samples each, alternating:")
        print(submit.submission(kubeconfig, ping, args.samples))
        print(submit.cache_hit(redis_url, ping, args.samples * 10))
    finally:
        subprocess.run([*kubectl, "delete", "namespace", submit.NAMESPACE, "--wait=false"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


if __name__ == "__main__":
    main()
