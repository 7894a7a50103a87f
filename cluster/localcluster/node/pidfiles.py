"""Pid files of local pod processes, so `cluster down` stops them even if the agent died."""

from __future__ import annotations

from pathlib import Path

from .. import processes
from ..layout import Layout


def pid_file(pod_dir: Path, container: str) -> Path:
    return pod_dir / f"{container}.pid"


def record(pod_dir: Path, container: str, pid: int) -> None:
    pid_file(pod_dir, container).write_text(str(pid))


def forget(pod_dir: Path, container: str) -> None:
    pid_file(pod_dir, container).unlink(missing_ok=True)


def stop_leftover_pods(layout: Layout) -> list[int]:
    """Stop every process a pid file names; return the pids that were still alive."""
    stopped: list[int] = []
    if not layout.pods.exists():
        return stopped
    for path in layout.pods.glob("*/*/*.pid"):
        try:
            pid = int(path.read_text().strip())
        except (ValueError, OSError):
            continue
        if processes.alive(pid):
            processes.stop(pid, grace_seconds=2)
            stopped.append(pid)
        path.unlink(missing_ok=True)
    return stopped
