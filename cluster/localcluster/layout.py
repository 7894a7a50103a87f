"""Where the local cluster keeps its files: one directory, `.cluster/` by default.

    .cluster/kubeconfig          admin kubeconfig (what users and tests use)
    .cluster/bin/                kubectl, helm, the control-plane binaries (links to the cache)
    .cluster/pki/                certificates and keys
    .cluster/etcd/               etcd's data
    .cluster/logs/<component>.log
    .cluster/pods/<ns>/<pod>/    each local pod: <container>.log, <container>.pid, kubeconfig
    .cluster/state.json          ports and pids of the running processes
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

NODE_NAME = "localnode"


def default_root() -> Path:
    """QUEUEABLE_CLUSTER_DIR, else `.cluster` in the current directory."""
    return Path(os.environ.get("QUEUEABLE_CLUSTER_DIR", ".cluster")).resolve()


@dataclass(frozen=True)
class Layout:
    root: Path

    @property
    def kubeconfig(self) -> Path:
        return self.root / "kubeconfig"

    @property
    def bin(self) -> Path:
        return self.root / "bin"

    @property
    def pki(self) -> Path:
        return self.root / "pki"

    @property
    def etcd_data(self) -> Path:
        return self.root / "etcd"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def pods(self) -> Path:
        return self.root / "pods"

    @property
    def state(self) -> Path:
        return self.root / "state.json"

    def log(self, component: str) -> Path:
        return self.logs / f"{component}.log"

    def component_kubeconfig(self, stem: str) -> Path:
        return self.root / f"{stem}.kubeconfig"

    def pod_dir(self, namespace: str, pod: str) -> Path:
        return self.pods / namespace / pod
