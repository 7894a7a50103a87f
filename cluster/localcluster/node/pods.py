"""One local pod: its containers as processes, its status, its deletion and deadline.

A PodRunner owns one pod (by uid) on its own thread. It runs init containers one after
another, then the containers side by side, restarts them as `restartPolicy` says,
enforces `activeDeadlineSeconds`, and on deletion sends SIGTERM, waits the grace period,
sends SIGKILL and removes the pod object, as the kubelet does.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import os
import signal
import subprocess
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kubernetes import client
from kubernetes.client.exceptions import ApiException

from . import envs, pidfiles, status, tokens
from .status import ContainerRun

log = logging.getLogger(__name__)

POLL = 0.1
MAX_RESTART_BACKOFF = 10.0


@dataclass(frozen=True)
class Launch:
    """How one container's process is started."""

    argv: list[str]
    env: dict[str, str]
    cwd: str


@dataclass(frozen=True)
class NodeConfig:
    """What every pod on this node shares."""

    name: str
    server: str
    ca_file: Path
    pods_dir: Path
    base_env: Mapping[str, str]  # PATH, LANG, ... and what the "image" contains


class PodRunner:
    def __init__(self, core: client.CoreV1Api, node: NodeConfig, pod: dict[str, Any]) -> None:
        self.core = core
        self.node = node
        self.pod = pod
        meta = pod["metadata"]
        self.namespace, self.name, self.uid = meta["namespace"], meta["name"], meta["uid"]
        self.dir = node.pods_dir / self.namespace / self.name
        self.delete_requested = threading.Event()
        self.grace_seconds: float = 30.0
        self.vanished = threading.Event()  # the object is gone: stop without reporting
        self.finished = threading.Event()
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        spec = pod["spec"]
        self.init_runs = [ContainerRun(c["name"]) for c in spec.get("initContainers") or []]
        self.runs = [ContainerRun(c["name"]) for c in spec.get("containers") or []]
        self.start_time = status.now()
        self.started_monotonic = time.monotonic()
        self.deadline = spec.get("activeDeadlineSeconds")
        self.base_env: dict[str, str] = {}
        self.thread = threading.Thread(target=self._run, name=f"pod-{self.name}", daemon=True)

    # -- called by the agent --------------------------------------------------------------
    def start(self) -> None:
        self.thread.start()

    def request_delete(self, grace_seconds: float) -> None:
        self.grace_seconds = grace_seconds
        self.delete_requested.set()

    def object_deleted(self) -> None:
        self.vanished.set()
        self.delete_requested.set()
        self.grace_seconds = 0

    # -- the pod's life --------------------------------------------------------------------
    def _run(self) -> None:
        try:
            self._live()
        except Exception:
            log.exception("pod %s/%s: unexpected error", self.namespace, self.name)
            self._kill_all(0)
        finally:
            self.finished.set()
            if self.delete_requested.is_set() and not self.vanished.is_set():
                self._remove_object()

    def _live(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        spec = self.pod["spec"]
        policy = spec.get("restartPolicy") or "Always"
        init_specs = spec.get("initContainers") or []
        specs = spec.get("containers") or []
        self._report("Pending")
        launches = self._prepare_launches(init_specs + specs)
        if launches is None:
            return

        for c, run in zip(init_specs, self.init_runs, strict=True):
            while True:
                code = self._run_to_end(run, launches[c["name"]], c)
                if code is None:
                    return
                if code == 0:
                    break
                if policy == "Never":
                    self._finish("Failed", reason="InitContainerFailed")
                    return
                self._backoff(run)
                if self.delete_requested.is_set():
                    return self._stop_for_delete()

        for c, run in zip(specs, self.runs, strict=True):
            self._spawn(run, launches[c["name"]], c)
        self._report("Running")
        self._supervise(specs, policy, launches)

    def _prepare_launches(self, specs: list[dict[str, Any]]) -> dict[str, Launch] | None:
        """Every container's argv and environment; retried while they cannot be built.

        As the kubelet does, a missing Secret or ConfigMap (or a failed TokenRequest) keeps
        the pod Pending with CreateContainerConfigError and is retried, so that creating
        the Secret later lets the pod start. None when the pod is deleted or its deadline
        passes first.
        """
        delay = 1.0
        while True:
            try:
                base_env = self._pod_env()
                return {c["name"]: self._launch(c, base_env) for c in specs}
            except (envs.EnvError, ApiException) as e:
                message = str(e) if isinstance(e, envs.EnvError) else f"API: {e.reason}"
                for r in self.init_runs + self.runs:
                    r.reason, r.message = "CreateContainerConfigError", message
                self._report("Pending")
            if self.delete_requested.wait(delay):
                return None
            if self._deadline_passed():
                self._finish("Failed", reason="DeadlineExceeded",
                             message="Pod was active on the node longer than the specified "
                                     "deadline")
                return None
            delay = min(delay * 2, MAX_RESTART_BACKOFF)

    def _launch(self, c: dict[str, Any], base_env: Mapping[str, str]) -> Launch:
        env = {**base_env, **envs.container_env(self.pod, c, secrets=self._secret,
                                                config_maps=self._config_map)}
        return Launch(argv=envs.argv(c, env), env=env, cwd=c.get("workingDir") or str(self.dir))

    def _supervise(self, specs: list[dict[str, Any]], policy: str,
                   launches: Mapping[str, Launch]) -> None:
        restart_at: dict[str, float] = {}
        by_name = {c["name"]: c for c in specs}
        token_refresh_at = time.monotonic() + tokens.REFRESH_EVERY
        while True:
            if self.delete_requested.is_set():
                return self._stop_for_delete()
            if "KUBECONFIG" in self.base_env and time.monotonic() >= token_refresh_at:
                self._refresh_token()
                token_refresh_at = time.monotonic() + tokens.REFRESH_EVERY
            if self._deadline_passed():
                self._kill_all(0)
                self._finish("Failed", reason="DeadlineExceeded",
                             message="Pod was active on the node longer than the specified "
                                     "deadline")
                return
            changed = False
            for run in self.runs:
                proc = self.procs.get(run.name)
                if proc is not None and run.exit_code is None and proc.poll() is not None:
                    self._record_exit(run, proc.returncode)
                    changed = True
                    code = run.exit_code or 0
                    if policy == "Always" or (policy == "OnFailure" and code != 0):
                        restart_at[run.name] = time.monotonic() + self._backoff_seconds(run)
            for name, when in list(restart_at.items()):
                if time.monotonic() >= when:
                    del restart_at[name]
                    run = next(r for r in self.runs if r.name == name)
                    run.restart_count += 1
                    self._spawn(run, launches[name], by_name[name])
                    changed = True
            if all(r.exit_code is not None for r in self.runs) and not restart_at:
                self._finish(status.final_phase(self.runs))
                return
            if changed:
                self._report("Running")
            time.sleep(POLL)

    # -- processes -------------------------------------------------------------------------
    def _spawn(self, run: ContainerRun, launch: Launch, c: dict[str, Any]) -> None:
        log_path = self.dir / f"{run.name}.log"
        run.exit_code, run.finished_at, run.waiting = None, None, False
        run.started_at, run.reason, run.message = status.now(), None, None
        try:
            with log_path.open("ab") as out:
                proc = subprocess.Popen(launch.argv, env=launch.env, cwd=launch.cwd,
                                        stdout=out, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, start_new_session=True)
        except OSError as e:
            run.exit_code, run.finished_at = 128, status.now()
            run.reason, run.message = "StartError", f"{launch.argv[0]}: {e.strerror}"
            with log_path.open("a") as out:
                out.write(f"local node: cannot start {launch.argv!r} in container "
                          f"{c['name']}: {e}\n")
            return
        self.procs[run.name] = proc
        pidfiles.record(self.dir, run.name, proc.pid)

    def _record_exit(self, run: ContainerRun, returncode: int) -> None:
        # A process killed by signal N exits as 128 + N in a container runtime.
        run.exit_code = returncode if returncode >= 0 else 128 - returncode
        run.finished_at = status.now()
        pidfiles.forget(self.dir, run.name)

    def _run_to_end(self, run: ContainerRun, launch: Launch, c: dict[str, Any]) -> int | None:
        """Run an init container to its end; None when the pod is being deleted."""
        self._spawn(run, launch, c)
        self._report("Pending")
        proc = self.procs.get(run.name)
        while proc is not None and proc.poll() is None:
            if self.delete_requested.is_set():
                self._stop_for_delete()
                return None
            time.sleep(POLL)
        if proc is not None:
            self._record_exit(run, proc.returncode)
        self._report("Pending")
        return run.exit_code

    def _backoff_seconds(self, run: ContainerRun) -> float:
        return float(min(MAX_RESTART_BACKOFF, 2 ** run.restart_count))

    def _backoff(self, run: ContainerRun) -> None:
        self.delete_requested.wait(self._backoff_seconds(run))
        run.restart_count += 1

    def _kill_all(self, grace_seconds: float) -> None:
        live = {n: p for n, p in self.procs.items() if p.poll() is None}
        for p in live.values():
            _signal_group(p.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace_seconds
        while any(p.poll() is None for p in live.values()) and time.monotonic() < deadline:
            time.sleep(POLL)
        for p in live.values():
            if p.poll() is None:
                _signal_group(p.pid, signal.SIGKILL)
        for name, p in live.items():
            p.wait()
            run = next((r for r in self.runs + self.init_runs if r.name == name), None)
            if run is not None and run.exit_code is None:
                self._record_exit(run, p.returncode)

    def _stop_for_delete(self) -> None:
        self._kill_all(self.grace_seconds)
        if not self.vanished.is_set():
            phase = status.final_phase(self.runs) if self.runs else "Failed"
            self._report(phase)

    def _deadline_passed(self) -> bool:
        return (self.deadline is not None
                and time.monotonic() - self.started_monotonic > float(self.deadline))

    def _finish(self, phase: str, reason: str | None = None, message: str | None = None) -> None:
        self._report(phase, reason=reason, message=message)

    # -- API -------------------------------------------------------------------------------
    def _pod_env(self) -> dict[str, str]:
        """The node's environment plus the pod's own: its name and service account."""
        env = dict(self.node.base_env)
        env["HOSTNAME"] = self.name
        env["HOME"] = str(self.dir)  # a writable home of the pod's own, as an image gives
        if self.pod["spec"].get("automountServiceAccountToken", True) is not False:
            env["KUBECONFIG"] = str(tokens.write_pod_kubeconfig(
                self.core, self.pod, self.dir, self.node.server, self.node.ca_file))
        self.base_env = env
        return env

    def _refresh_token(self) -> None:
        try:
            tokens.write_token(self.core, self.pod, self.dir)
        except (ApiException, OSError) as e:
            log.warning("pod %s/%s: token refresh failed (retried in an hour): %s",
                        self.namespace, self.name, e)

    def _secret(self, namespace: str, name: str) -> dict[str, str] | None:
        try:
            secret = self.core.read_namespaced_secret(name, namespace)
        except ApiException as e:
            if e.status == 404:
                return None
            raise
        data = {k: base64.b64decode(v).decode() for k, v in (secret.data or {}).items()}
        data.update(secret.string_data or {})
        return data

    def _config_map(self, namespace: str, name: str) -> dict[str, str] | None:
        try:
            return dict(self.core.read_namespaced_config_map(name, namespace).data or {})
        except ApiException as e:
            if e.status == 404:
                return None
            raise

    def _report(self, phase: str, reason: str | None = None, message: str | None = None) -> None:
        if self.vanished.is_set():
            return
        body = {"status": status.pod_status(self.pod, self.runs, phase=phase,
                                            start_time=self.start_time,
                                            init_runs=self.init_runs, reason=reason,
                                            message=message)}
        try:
            self.core.patch_namespaced_pod_status(self.name, self.namespace, body)
        except ApiException as e:
            if e.status == 404:
                self.vanished.set()
                return
            log.warning("pod %s/%s: status patch failed: %s", self.namespace, self.name,
                        e.reason)

    def _remove_object(self) -> None:
        try:
            self.core.delete_namespaced_pod(
                self.name, self.namespace, grace_period_seconds=0,
                body=client.V1DeleteOptions(grace_period_seconds=0,
                                            preconditions=client.V1Preconditions(uid=self.uid)))
        except ApiException as e:
            if e.status not in (404, 409):
                log.warning("pod %s/%s: final delete failed: %s", self.namespace, self.name,
                            e.reason)


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def deletion_grace(pod: dict[str, Any]) -> float:
    meta = pod["metadata"]
    grace = meta.get("deletionGracePeriodSeconds")
    if grace is None:
        grace = pod["spec"].get("terminationGracePeriodSeconds", 30)
    return float(grace)

