"""Reading a local pod's container output (there is no kubelet to serve `kubectl logs`)."""

from __future__ import annotations

from .layout import Layout


def read(layout: Layout, namespace: str, pod: str, container: str | None = None) -> str:
    pod_dir = layout.pod_dir(namespace, pod)
    logs = sorted(pod_dir.glob("*.log"))
    if container is not None:
        logs = [p for p in logs if p.stem == container]
    if not logs:
        raise FileNotFoundError(
            f"no output of pod {namespace}/{pod}"
            + (f" container {container}" if container else "")
            + f" under {pod_dir}: was it scheduled to the local node and started?")
    if len(logs) == 1:
        return logs[0].read_text(errors="replace")
    return "".join(f"==> {p.stem} <==\n{p.read_text(errors='replace')}" for p in logs)
