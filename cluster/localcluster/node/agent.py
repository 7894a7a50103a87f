"""The node agent's main loop: register, beat, list-and-watch the pods bound to this node."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from kubernetes import client, config, watch
from kubernetes.client.exceptions import ApiException

from . import pidfiles, registration
from .pods import NodeConfig, PodRunner, deletion_grace

log = logging.getLogger(__name__)

FINISHED = ("Succeeded", "Failed")
WATCH_SECONDS = 60


def base_env(image_pythonpath: str) -> dict[str, str]:
    """What every local container starts with: the project's virtualenv first on PATH.

    `image_pythonpath` stands for the code an image would contain (for example the
    application whose methods the runner imports).
    """
    venv_bin = str(Path(sys.executable).parent)
    env = {
        "PATH": f"{venv_bin}:/usr/local/bin:/usr/bin:/bin",
        "LANG": os.environ.get("LANG", "C.UTF-8"),
        "PYTHONUNBUFFERED": "1",
    }
    if image_pythonpath:
        env["PYTHONPATH"] = image_pythonpath
    return env


class Agent:
    def __init__(self, api: client.ApiClient, node: NodeConfig) -> None:
        self.core = client.CoreV1Api(api)
        self.coord = client.CoordinationV1Api(api)
        self.node = node
        self.runners: dict[str, PodRunner] = {}
        self.stop = threading.Event()

    def run(self) -> None:
        registration.register(self.core, self.node.name)
        threading.Thread(target=registration.heartbeat, daemon=True, name="heartbeat",
                         args=(self.core, self.coord, self.node.name, self.stop)).start()
        selector = f"spec.nodeName={self.node.name}"
        while not self.stop.is_set():
            try:
                listing = self.core.list_pod_for_all_namespaces(field_selector=selector)
                seen = set()
                for pod in listing.items:
                    body = self.core.api_client.sanitize_for_serialization(pod)
                    seen.add(body["metadata"]["uid"])
                    self.reconcile(body, deleted=False)
                for uid in set(self.runners) - seen:
                    self.runners.pop(uid).object_deleted()
                stream = watch.Watch().stream(  # type: ignore[no-untyped-call]
                    self.core.list_pod_for_all_namespaces, field_selector=selector,
                    resource_version=listing.metadata.resource_version if listing.metadata
                    else None,
                    timeout_seconds=WATCH_SECONDS)
                for event in stream:
                    if self.stop.is_set():
                        break
                    body = self.core.api_client.sanitize_for_serialization(event["object"])
                    self.reconcile(body, deleted=event["type"] == "DELETED")
            except ApiException as e:
                if e.status != 410:
                    log.warning("pod watch failed: %s; relisting", e.reason)
                    self.stop.wait(1)
            except Exception:
                log.exception("pod watch failed; relisting")
                self.stop.wait(1)

    def reconcile(self, pod: dict[str, Any], *, deleted: bool) -> None:
        meta = pod["metadata"]
        uid = meta["uid"]
        runner = self.runners.get(uid)
        if deleted:
            if runner is not None:
                self.runners.pop(uid).object_deleted()
            return
        terminating = meta.get("deletionTimestamp") is not None
        if runner is None:
            phase = (pod.get("status") or {}).get("phase")
            if phase in FINISHED or (terminating and phase is None):
                if terminating:
                    self._force_delete(pod)
                return
            if phase == "Running":
                # Running before this agent started: its processes died with the old agent.
                runner = PodRunner(self.core, self.node, pod)
                self.runners[uid] = runner
                self._report_lost(pod)
                return
            runner = PodRunner(self.core, self.node, pod)
            self.runners[uid] = runner
            runner.start()
        if terminating and not runner.delete_requested.is_set():
            if runner.finished.is_set() or not runner.thread.is_alive():
                self._force_delete(pod)
            else:
                runner.request_delete(deletion_grace(pod))

    def _report_lost(self, pod: dict[str, Any]) -> None:
        meta = pod["metadata"]
        body = {"status": {"phase": "Failed", "reason": "NodeAgentRestarted",
                           "message": "the local node agent restarted while the pod ran; "
                                      "its processes were stopped"}}
        try:
            self.core.patch_namespaced_pod_status(meta["name"], meta["namespace"], body)
        except ApiException as e:
            log.warning("cannot mark %s/%s lost: %s", meta["namespace"], meta["name"], e.reason)

    def _force_delete(self, pod: dict[str, Any]) -> None:
        meta = pod["metadata"]
        try:
            self.core.delete_namespaced_pod(
                meta["name"], meta["namespace"], grace_period_seconds=0,
                body=client.V1DeleteOptions(grace_period_seconds=0,
                                            preconditions=client.V1Preconditions(
                                                uid=meta["uid"])))
        except ApiException as e:
            if e.status not in (404, 409):
                log.warning("delete %s/%s failed: %s", meta["namespace"], meta["name"], e.reason)

    def shutdown(self) -> None:
        """Stop every pod's processes (SIGTERM, short grace, SIGKILL)."""
        self.stop.set()
        for runner in list(self.runners.values()):
            runner.vanished.set()
            runner.request_delete(2)
        for runner in list(self.runners.values()):
            if runner.thread.is_alive():
                runner.thread.join(timeout=10)


def main(argv: list[str] | None = None) -> None:
    import argparse

    from ..layout import Layout

    parser = argparse.ArgumentParser(prog="localcluster.node", description=__doc__)
    parser.add_argument("--root", required=True, type=Path)
    parser.add_argument("--kubeconfig", required=True, type=Path)
    parser.add_argument("--node-name", default="localnode")
    parser.add_argument("--image-pythonpath", default=os.environ.get(
        "QUEUEABLE_LOCAL_NODE_PYTHONPATH", ""),
        help="PYTHONPATH of every local container: the code an image would contain")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    layout = Layout(args.root.resolve())
    api = config.new_client_from_config(  # type: ignore[no-untyped-call]
        config_file=str(args.kubeconfig))
    node = NodeConfig(name=args.node_name, server=api.configuration.host,
                      ca_file=layout.pki / "ca.crt", pods_dir=layout.pods,
                      base_env=base_env(args.image_pythonpath))
    pidfiles.stop_leftover_pods(layout)
    agent = Agent(api, node)

    def on_term(signum: int, frame: object) -> None:
        agent.shutdown()
        sys.exit(0)

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    log.info("node %s serving pods from %s", node.name, node.server)
    agent.run()
