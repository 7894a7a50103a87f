"""Start many Python processes and release them at the same instant, for race tests.

Each process runs a script that calls `wait_for_start()` (importable: tests/ is on the
path) right before the racing step. The parent waits until every process has announced
itself ready, then creates the start file, so the race does not depend on how fast
interpreters start on a loaded machine. Every wait has a deadline.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

START_ENV = "QUEUEABLE_TEST_START_FILE"
READY_SECONDS = 120.0


def wait_for_start() -> None:
    """In a child: say it is ready, then block until the parent releases everyone."""
    start = Path(os.environ[START_ENV])
    Path(f"{start}.ready.{os.getpid()}").touch()
    deadline = time.monotonic() + READY_SECONDS
    while not start.exists():
        if time.monotonic() > deadline:
            sys.exit(f"the start file {start} never appeared")
        time.sleep(0.005)


def run_together(script: str, args: Sequence[str], env: Mapping[str, str], workdir: Path,
                 count: int = 20, timeout: float = 180) -> list[str]:
    """Run `count` copies of `script` with `args`, released together; their stdouts."""
    start = workdir / "start"
    child_env = {**env, START_ENV: str(start)}
    procs = [subprocess.Popen([sys.executable, "-c", script, *args], env=child_env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(count)]
    deadline = time.monotonic() + READY_SECONDS
    while len(list(workdir.glob("start.ready.*"))) < count:
        failed = [p for p in procs if p.poll() not in (None, 0)]
        if failed:
            start.touch()
            raise AssertionError(f"a process died before the start: {failed[0].stderr.read()}"
                                 if failed[0].stderr else "a process died before the start")
        if time.monotonic() > deadline:
            start.touch()
            raise AssertionError(f"only {len(list(workdir.glob('start.ready.*')))} of "
                                 f"{count} processes were ready within {READY_SECONDS:.0f} s")
        time.sleep(0.01)
    start.touch()
    outputs = []
    for proc in procs:
        out, err = proc.communicate(timeout=timeout)
        assert proc.returncode == 0, err
        outputs.append(out)
    return outputs
