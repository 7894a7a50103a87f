"""The Node object and its heartbeat: a Lease renewed every 10 s, status every minute."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from typing import Any

from kubernetes import client
from kubernetes.client.exceptions import ApiException

log = logging.getLogger(__name__)

LEASE_SECONDS = 40
RENEW_EVERY = 10.0
STATUS_EVERY = 60.0


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _conditions() -> list[dict[str, Any]]:
    ts = _now().strftime("%Y-%m-%dT%H:%M:%SZ")
    def cond(kind: str, ok: bool, reason: str, message: str) -> dict[str, Any]:
        return {"type": kind, "status": "True" if ok else "False", "reason": reason,
                "message": message, "lastHeartbeatTime": ts, "lastTransitionTime": ts}
    return [
        cond("MemoryPressure", False, "KubeletHasSufficientMemory", "local node"),
        cond("DiskPressure", False, "KubeletHasNoDiskPressure", "local node"),
        cond("PIDPressure", False, "KubeletHasSufficientPID", "local node"),
        cond("Ready", True, "KubeletReady", "local node agent is running"),
    ]


def node_status() -> dict[str, Any]:
    capacity = {"cpu": "32", "memory": "64Gi", "pods": "250", "ephemeral-storage": "100Gi"}
    return {
        "capacity": capacity, "allocatable": capacity, "conditions": _conditions(),
        "addresses": [{"type": "InternalIP", "address": "127.0.0.1"},
                      {"type": "Hostname", "address": "localhost"}],
        "nodeInfo": {"architecture": "amd64", "operatingSystem": "linux",
                     "kubeletVersion": "v0.0.0-queueable-localnode", "kubeProxyVersion": "",
                     "containerRuntimeVersion": "local-process://1", "kernelVersion": "",
                     "osImage": "queueable local node", "bootID": "", "machineID": "",
                     "systemUUID": ""},
    }


def register(core: client.CoreV1Api, name: str) -> None:
    """Create the Node (or take over an existing one) and mark it Ready."""
    body = {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": {
                "kubernetes.io/hostname": name, "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64", "type": "queueable-local"}}}
    try:
        core.create_node(body)  # type: ignore[arg-type]  # the client accepts plain dicts
    except ApiException as e:
        if e.status != 409:
            raise
    core.patch_node_status(name, {"status": node_status()})


def _renew_lease(coord: client.CoordinationV1Api, name: str) -> None:
    micro = _now().strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    body = {"metadata": {"name": name, "namespace": "kube-node-lease"},
            "spec": {"holderIdentity": name, "leaseDurationSeconds": LEASE_SECONDS,
                     "renewTime": micro}}
    try:
        coord.patch_namespaced_lease(name, "kube-node-lease", body)
    except ApiException as e:
        if e.status != 404:
            raise
        coord.create_namespaced_lease("kube-node-lease", body)  # type: ignore[arg-type]


def heartbeat(core: client.CoreV1Api, coord: client.CoordinationV1Api, name: str,
              stop: threading.Event) -> None:
    """Renew the Lease every 10 s and the status conditions every minute until stop."""
    last_status = 0.0
    elapsed = 0.0
    while not stop.is_set():
        try:
            _renew_lease(coord, name)
            if elapsed - last_status >= STATUS_EVERY:
                core.patch_node_status(name, {"status": {"conditions": _conditions()}})
                last_status = elapsed
        except Exception:
            log.exception("node heartbeat failed")
        stop.wait(RENEW_EVERY)
        elapsed += RENEW_EVERY
