"""localcluster: start, stop and inspect the local Kubernetes control plane.

    python -m localcluster up       start it (or reuse the running one) and print how to use it
    python -m localcluster down     stop every process it started, by pid
    python -m localcluster status   say whether it is running
    python -m localcluster env      export lines for a shell: eval "$(python -m localcluster env)"
    python -m localcluster logs NAMESPACE POD [-c CONTAINER]   a local pod's output
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import controlplane, podlogs, processes
from .layout import Layout, default_root


def _exports(layout: Layout, state: controlplane.State) -> list[str]:
    """The shell lines that point kubectl, helm and Queueable at this cluster."""
    return [f"export KUBECONFIG={layout.kubeconfig}",
            f"export PATH={layout.bin}:$PATH",
            f"export QUEUEABLE_REDIS_URL={controlplane.redis_url(state)}"]


def _usage(layout: Layout, state: controlplane.State) -> str:
    return "\n".join([
        f"cluster up: API server {state.server}",
        *(f"  {line}" for line in _exports(layout, state)),
        "  kubectl get nodes",
        "  pod output: python -m localcluster logs NAMESPACE POD   (kubectl logs needs a kubelet)",
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="localcluster", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", default=None, help="cluster directory (default .cluster)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("up")
    sub.add_parser("down")
    sub.add_parser("status")
    sub.add_parser("env")
    logs = sub.add_parser("logs")
    logs.add_argument("namespace")
    logs.add_argument("pod")
    logs.add_argument("-c", "--container", default=None)
    args = parser.parse_args(argv)
    layout = Layout(default_root() if args.root is None else Path(args.root).resolve())

    if args.command == "up":
        try:
            state = controlplane.up(layout)
        except processes.ComponentError as e:
            print(f"cluster up failed: {e}", file=sys.stderr)
            return 1
        print(_usage(layout, state))
        return 0
    if args.command == "down":
        controlplane.down(layout)
        print("cluster down: every process it started is stopped")
        return 0
    if args.command == "status":
        running = controlplane.is_running(layout)
        print("running" if running else "not running")
        return 0 if running else 3
    if args.command == "env":
        current = controlplane.State.load(layout)
        if current is None or not controlplane.is_running(layout):
            print("the local cluster is not running: make cluster-up", file=sys.stderr)
            return 3
        print("\n".join(_exports(layout, current)))
        return 0
    if args.command == "logs":
        try:
            sys.stdout.write(podlogs.read(layout, args.namespace, args.pod, args.container))
        except FileNotFoundError as e:
            print(e, file=sys.stderr)
            return 1
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
