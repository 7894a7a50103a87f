"""Starting, watching and stopping the cluster's local processes, always by pid."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

# Processes started by this interpreter, kept so that they are reaped (no zombies, no
# "still running" warnings) while the caller lives; they outlive it on purpose.
_children: dict[int, subprocess.Popen[bytes]] = {}


class ComponentError(RuntimeError):
    """A component did not come up; the message names it and ends with its log's tail."""


def tail(path: Path, lines: int = 30) -> str:
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return f"(no log at {path})"
    return "\n".join(text.splitlines()[-lines:])


def start(argv: Sequence[str], log_path: Path, env: Mapping[str, str] | None = None,
          cwd: Path | None = None) -> int:
    """Start a process in its own session (so it outlives the caller), output to log_path."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        proc = subprocess.Popen(
            list(argv), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env=dict(env) if env is not None else None, cwd=cwd, start_new_session=True,
        )
    _children[proc.pid] = proc
    return proc.pid


def alive(pid: int) -> bool:
    """True while the process exists and is not a zombie waiting to be reaped."""
    child = _children.get(pid)
    if child is not None:
        return child.poll() is None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    state = stat.rsplit(")", 1)[1].split()[0]
    return state != "Z"


def stop(pid: int, grace_seconds: float = 10.0, group: bool = True) -> None:
    """SIGTERM the process (and its group), then SIGKILL what is left after the grace period."""
    def send(sig: signal.Signals) -> None:
        try:
            if group:
                os.killpg(pid, sig)
            else:
                os.kill(pid, sig)
        except (ProcessLookupError, PermissionError):
            if group:  # not a group leader, or the group is gone: fall back to the pid
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, sig)

    if not alive(pid):
        return
    send(signal.SIGTERM)
    deadline = time.monotonic() + grace_seconds
    while time.monotonic() < deadline:
        if not alive(pid):
            break
        time.sleep(0.05)
    send(signal.SIGKILL)
    deadline = time.monotonic() + 5
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)


def wait_for(check: Callable[[], bool], *, component: str, timeout: float, log_path: Path,
             pid: int | None = None, what: str = "ready") -> None:
    """Poll `check` until it is true; on timeout or process death raise ComponentError."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if check():
                return
        except Exception:  # noqa: BLE001 - the component is not answering yet
            pass
        if pid is not None and not alive(pid):
            raise ComponentError(
                f"{component} exited before it was {what}; last lines of {log_path}:\n"
                f"{tail(log_path)}")
        if time.monotonic() > deadline:
            raise ComponentError(
                f"{component} was not {what} within {timeout:.0f} s; last lines of "
                f"{log_path}:\n{tail(log_path)}")
        time.sleep(0.2)
