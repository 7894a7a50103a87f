"""Bring the local control plane up and down.

`up` is idempotent: a cluster whose processes are alive and whose API server answers
/readyz is reused. Each component is started, then waited for with a deadline; a
component that does not come up raises ComponentError naming it, with its log's tail.
`down` stops every process recorded in state.json (and any local pod processes), by pid.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import certs, kubeconfigs, processes
from .layout import NODE_NAME, Layout

REPO = Path(__file__).resolve().parents[2]
BUILD_SCRIPT = REPO / "cluster" / "gobuild" / "build.sh"
BINARIES = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl",
            "helm")
# The controllers Queueable needs (names as kube-controller-manager --help lists them).
CONTROLLERS = (
    "job-controller", "garbage-collector-controller", "ttl-after-finished-controller",
    "serviceaccount-controller", "serviceaccount-token-controller", "namespace-controller",
    "node-lifecycle-controller", "deployment-controller", "replicaset-controller",
    "root-ca-certificate-publisher-controller", "clusterrole-aggregation-controller",
    "pod-garbage-collector-controller",
)
SERVICE_CIDR = "10.96.0.0/16"
START_TIMEOUT = 90.0


@dataclass
class State:
    """What a running cluster is: its ports, its processes' pids, its API server URL."""

    server: str = ""
    ports: dict[str, int] = field(default_factory=dict)
    pids: dict[str, int] = field(default_factory=dict)

    @classmethod
    def load(cls, layout: Layout) -> State | None:
        try:
            return cls(**json.loads(layout.state.read_text()))
        except FileNotFoundError:
            return None

    def save(self, layout: Layout) -> None:
        layout.state.write_text(json.dumps(asdict(self), indent=2))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def build_binaries() -> Path:
    """Build (or find in the cache) the Go binaries; return the cache's bin directory."""
    out = subprocess.run(["bash", str(BUILD_SCRIPT)], check=True, stdout=subprocess.PIPE,
                         text=True)
    return Path(out.stdout.strip().splitlines()[-1])


def link_binaries(layout: Layout, cache_bin: Path) -> None:
    layout.bin.mkdir(parents=True, exist_ok=True)
    for name in BINARIES:
        link = layout.bin / name
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(cache_bin / name)


def _admin_ssl_context(layout: Layout) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(layout.pki / "ca.crt"))
    ctx.load_cert_chain(str(layout.pki / "admin.crt"), str(layout.pki / "admin.key"))
    return ctx


def api_ready(layout: Layout, server: str) -> bool:
    with urllib.request.urlopen(f"{server}/readyz", context=_admin_ssl_context(layout),
                                timeout=5) as resp:
        return bool(resp.status == 200)


def is_running(layout: Layout) -> bool:
    state = State.load(layout)
    if state is None or not state.pids:
        return False
    if not all(processes.alive(pid) for pid in state.pids.values()):
        return False
    try:
        return api_ready(layout, state.server)
    except OSError:
        return False


def _start_etcd(layout: Layout, state: State) -> None:
    client, peer = free_port(), free_port()
    state.ports.update(etcd=client, etcd_peer=peer)
    log = layout.log("etcd")
    pid = processes.start([
        str(layout.bin / "etcd"), "--name", "local", "--data-dir", str(layout.etcd_data),
        "--listen-client-urls", f"http://127.0.0.1:{client}",
        "--advertise-client-urls", f"http://127.0.0.1:{client}",
        "--listen-peer-urls", f"http://127.0.0.1:{peer}",
        "--initial-advertise-peer-urls", f"http://127.0.0.1:{peer}",
        "--initial-cluster", f"local=http://127.0.0.1:{peer}",
        "--listen-metrics-urls", "",
        # A throwaway test cluster: durability is not worth an fsync per write.
        "--unsafe-no-fsync", "--log-level", "warn",
    ], log)
    state.pids["etcd"] = pid
    state.save(layout)

    def healthy() -> bool:
        with urllib.request.urlopen(f"http://127.0.0.1:{client}/health", timeout=2) as r:
            return bool(json.loads(r.read()).get("health") == "true")

    processes.wait_for(healthy, component="etcd", timeout=START_TIMEOUT, log_path=log, pid=pid)


def _start_apiserver(layout: Layout, state: State) -> None:
    port = free_port()
    state.ports["apiserver"] = port
    state.server = f"https://127.0.0.1:{port}"
    pki = layout.pki
    log = layout.log("kube-apiserver")
    pid = processes.start([
        str(layout.bin / "kube-apiserver"),
        f"--etcd-servers=http://127.0.0.1:{state.ports['etcd']}",
        f"--secure-port={port}", "--bind-address=127.0.0.1", "--advertise-address=127.0.0.1",
        f"--tls-cert-file={pki / 'apiserver.crt'}",
        f"--tls-private-key-file={pki / 'apiserver.key'}",
        f"--client-ca-file={pki / 'ca.crt'}",
        f"--service-account-key-file={pki / 'sa.pub'}",
        f"--service-account-signing-key-file={pki / 'sa.key'}",
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
        "--authorization-mode=RBAC",
        f"--service-cluster-ip-range={SERVICE_CIDR}",
        # Loopback addresses are refused as endpoints of the kubernetes Service.
        "--endpoint-reconciler-type=none",
        "--allow-privileged=true",
        "--profiling=false",
    ], log)
    state.pids["kube-apiserver"] = pid
    state.save(layout)
    processes.wait_for(lambda: api_ready(layout, state.server), component="kube-apiserver",
                       timeout=START_TIMEOUT, log_path=log, pid=pid)


def _write_kubeconfigs(layout: Layout, server: str) -> None:
    ca = layout.pki / "ca.crt"
    for ident in certs.CLIENTS:
        path = (layout.kubeconfig if ident is certs.ADMIN
                else layout.component_kubeconfig(ident.file_stem))
        kubeconfigs.write_cert_kubeconfig(
            path, server, ca, layout.pki / f"{ident.file_stem}.crt",
            layout.pki / f"{ident.file_stem}.key", ident.user)


def _healthz(port: int) -> bool:
    """A component's /healthz on its own (self-signed) serving port; anonymous is allowed."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with urllib.request.urlopen(f"https://127.0.0.1:{port}/healthz", context=ctx,
                                timeout=2) as resp:
        return bool(resp.status == 200)


def _start_client_component(layout: Layout, state: State, component: str, identity: str,
                            extra_flags: list[str]) -> None:
    """Start a component that is a client of the API server and serves its own /healthz
    (controller manager, scheduler), and wait until it is healthy."""
    kc = layout.component_kubeconfig(identity)
    log = layout.log(component)
    port = free_port()
    state.ports[component] = port
    pid = processes.start([
        str(layout.bin / component),
        f"--kubeconfig={kc}", f"--authentication-kubeconfig={kc}",
        f"--authorization-kubeconfig={kc}",
        "--bind-address=127.0.0.1", f"--secure-port={port}",
        f"--cert-dir={layout.root / (component + '-certs')}",
        "--leader-elect=false", "--profiling=false", *extra_flags,
    ], log)
    state.pids[component] = pid
    state.save(layout)
    processes.wait_for(lambda: _healthz(port), component=component,
                       timeout=START_TIMEOUT, log_path=log, pid=pid, what="healthy")


def _start_controller_manager(layout: Layout, state: State) -> None:
    _start_client_component(layout, state, "kube-controller-manager", "controller-manager", [
        "--use-service-account-credentials=true",
        f"--controllers={','.join(CONTROLLERS)}",
        f"--service-account-private-key-file={layout.pki / 'sa.key'}",
        f"--root-ca-file={layout.pki / 'ca.crt'}",
        f"--service-cluster-ip-range={SERVICE_CIDR}",
    ])


def _start_scheduler(layout: Layout, state: State) -> None:
    _start_client_component(layout, state, "kube-scheduler", "scheduler", [])


def _start_node(layout: Layout, state: State) -> None:
    log = layout.log("node")
    pid = processes.start([
        sys.executable, "-m", "localcluster.node", "--root", str(layout.root),
        "--kubeconfig", str(layout.component_kubeconfig("node-agent")),
        "--node-name", NODE_NAME,
    ], log, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    state.pids["node"] = pid
    state.save(layout)


def _start_redis(layout: Layout, state: State) -> None:
    """The Redis that Queueable's demo and a local operator use beside the control plane."""
    server = shutil.which("redis-server")
    if server is None:
        raise processes.ComponentError(
            "redis-server is not installed (apt-get install redis-server, or `make cluster-up`)")
    port = free_port()
    state.ports["redis"] = port
    log = layout.log("redis")
    (layout.root / "redis").mkdir(exist_ok=True)
    pid = processes.start([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                           "--appendonly", "no", "--dir", str(layout.root / "redis")], log)
    state.pids["redis"] = pid
    state.save(layout)

    def pong() -> bool:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")

    processes.wait_for(pong, component="redis-server", timeout=START_TIMEOUT, log_path=log,
                       pid=pid)


def redis_url(state: State) -> str:
    return f"redis://127.0.0.1:{state.ports['redis']}/0"


def _wait_cluster_usable(layout: Layout, state: State) -> None:
    """Wait until the node is Ready and untainted and `default` has its service account."""
    kubectl = [str(layout.bin / "kubectl"), f"--kubeconfig={layout.kubeconfig}"]

    def node_schedulable() -> bool:
        out = subprocess.run([*kubectl, "get", "node", NODE_NAME, "-o", "json"],
                             capture_output=True, text=True, check=True)
        node = json.loads(out.stdout)
        ready = any(c["type"] == "Ready" and c["status"] == "True"
                    for c in node["status"].get("conditions", []))
        return ready and not node["spec"].get("taints")

    def default_sa() -> bool:
        return subprocess.run([*kubectl, "get", "serviceaccount", "default", "-n", "default"],
                              capture_output=True).returncode == 0

    processes.wait_for(node_schedulable, component=f"node {NODE_NAME}", timeout=START_TIMEOUT,
                       log_path=layout.log("node"), pid=state.pids["node"],
                       what="Ready without the not-ready taint")
    processes.wait_for(default_sa, component="kube-controller-manager (serviceaccount controller)",
                       timeout=START_TIMEOUT, log_path=layout.log("kube-controller-manager"),
                       pid=state.pids["kube-controller-manager"],
                       what="done creating the default service account")


def up(layout: Layout) -> State:
    """Start the cluster, or reuse the one already running in this directory."""
    cache_bin = build_binaries()
    layout.root.mkdir(parents=True, exist_ok=True)
    link_binaries(layout, cache_bin)
    running = State.load(layout) if is_running(layout) else None
    if running is not None:
        return running
    down(layout)  # whatever is left of a half-dead cluster goes first
    for d in (layout.etcd_data, layout.pods, layout.logs, layout.pki):
        shutil.rmtree(d, ignore_errors=True)
    certs.generate(layout.pki)
    state = State()
    try:
        _start_redis(layout, state)
        _start_etcd(layout, state)
        _start_apiserver(layout, state)
        _write_kubeconfigs(layout, state.server)
        _start_controller_manager(layout, state)
        _start_scheduler(layout, state)
        _start_node(layout, state)
        _wait_cluster_usable(layout, state)
    except BaseException:
        down(layout)
        raise
    return state


def down(layout: Layout) -> None:
    """Stop the node first (it stops its pods), then the control plane, by recorded pid."""
    state = State.load(layout)
    if state is not None:
        order = ["node", "kube-scheduler", "kube-controller-manager", "kube-apiserver", "etcd",
                 "redis"]
        for name in order + [n for n in state.pids if n not in order]:
            if name in state.pids:
                processes.stop(state.pids[name])
    from .node.pidfiles import stop_leftover_pods  # local import: node pulls in the client

    stop_leftover_pods(layout)
    if layout.state.exists():
        layout.state.unlink()
