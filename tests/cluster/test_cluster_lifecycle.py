"""`cluster up` reuses a running cluster and `cluster down` leaves no process behind.

This starts a second, separate cluster in a temporary directory, so the session's
cluster is untouched.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.cluster


def _cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "localcluster", *args],
                          env={**os.environ, "QUEUEABLE_CLUSTER_DIR": str(root)},
                          capture_output=True, text=True, timeout=600)


def _running_pids_under(root: Path) -> list[int]:
    """Processes (not zombies) whose command line mentions the cluster directory."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        if str(root) in cmdline and state != "Z":
            found.append(int(proc.name))
    return found


def test_up_reuses_and_down_stops_every_process(tmp_path: Path) -> None:
    root = tmp_path / "cluster"
    try:
        first = _cli(root, "up")
        assert first.returncode == 0, first.stderr
        pids = json.loads((root / "state.json").read_text())["pids"]
        assert set(pids) >= {"etcd", "kube-apiserver", "kube-controller-manager",
                             "kube-scheduler", "node"}
        assert _running_pids_under(root), "the cluster's processes run with its directory"

        second = _cli(root, "up")
        assert second.returncode == 0, second.stderr
        assert json.loads((root / "state.json").read_text())["pids"] == pids, \
            "a second `up` reuses the running cluster"
    finally:
        down = _cli(root, "down")
    assert down.returncode == 0, down.stderr
    assert _running_pids_under(root) == []
    assert _cli(root, "status").returncode == 3
