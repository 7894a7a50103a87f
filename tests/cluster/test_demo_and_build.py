"""The README's promises that no other test covers: `make demo` runs its example job to a
result, and the Kubernetes go.mod is what the generator makes of k8s.io/kubernetes's own.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from fixtures.cluster import Cluster

REPO = Path(__file__).resolve().parents[2]
GOBUILD = REPO / "cluster" / "gobuild"


@pytest.mark.local_cluster
def test_demo_runs_the_example_job_and_then_serves_it_from_the_cache(
        kube: Cluster, queueable_crds: Cluster) -> None:
    if kube.local_root is None:
        pytest.fail("the demo runs on the local control plane only (its runner pod reaches "
                    "the local redis-server); deselect with -m 'not local_cluster'")
    env = {**os.environ, "QUEUEABLE_CLUSTER_DIR": str(kube.local_root)}
    demo = subprocess.run([sys.executable, str(REPO / "examples" / "demo.py")], env=env,
                          capture_output=True, text=True, timeout=300)
    assert demo.returncode == 0, demo.stderr[-3000:]
    out = demo.stdout
    assert "'total': 526, 'median': 101" in out
    assert "(cache hit, no runner)" in out
    assert "Succeeded" in out.split("kubectl get queueablejobs")[-1]


def _versions() -> dict[str, str]:
    pairs = (line.split("=", 1) for line in (GOBUILD / "versions.env").read_text().splitlines()
             if line and not line.startswith("#"))
    return dict(pairs)


def _lines_with(text: str, marker: str) -> set[str]:
    return {line.strip() for line in text.splitlines() if marker in line}


def test_kubernetes_go_mod_matches_its_generator(tmp_path: Path) -> None:
    """The staging pins are generated from the release's go.mod, never edited by hand
    (`go mod tidy` then adds the requirements, so only the generated lines are compared)."""
    version = _versions()["KUBERNETES_VERSION"]
    subprocess.run([sys.executable, str(GOBUILD / "gen_gomod.py"), version, str(tmp_path)],
                   check=True, capture_output=True, timeout=300)
    committed = (GOBUILD / "kubernetes" / "go.mod").read_text()
    generated = (tmp_path / "go.mod").read_text()
    assert _lines_with(committed, "=>") == _lines_with(generated, "=>")
    assert _lines_with(generated, "k8s.io/kubernetes/cmd/") <= _lines_with(committed,
                                                                          "k8s.io/kubernetes/cmd/")
    assert f"k8s.io/kubernetes {version}" in committed
