"""Pod status as a kubelet reports it, built by pure functions from what the node saw."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any


def now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class ContainerRun:
    """One container's life on this node."""

    name: str
    started_at: str | None = None
    finished_at: str | None = None
    exit_code: int | None = None
    reason: str | None = None       # terminated reason (Completed, Error, ...) or waiting reason
    message: str | None = None
    restart_count: int = 0
    waiting: bool = True            # not started yet, or waiting to restart

    def state(self) -> dict[str, Any]:
        if self.waiting:
            waiting: dict[str, Any] = {"reason": self.reason or "ContainerCreating"}
            if self.message:
                waiting["message"] = self.message
            return {"waiting": waiting}
        if self.exit_code is None:
            return {"running": {"startedAt": self.started_at}}
        terminated: dict[str, Any] = {
            "exitCode": self.exit_code, "reason": self.reason or _reason(self.exit_code),
            "startedAt": self.started_at, "finishedAt": self.finished_at,
        }
        if self.message:
            terminated["message"] = self.message
        return {"terminated": terminated}

    def status(self, image: str) -> dict[str, Any]:
        running = not self.waiting and self.exit_code is None
        return {
            "name": self.name, "image": image, "imageID": "", "containerID": "",
            "ready": running, "started": running, "restartCount": self.restart_count,
            "state": self.state(),
        }


def _reason(exit_code: int) -> str:
    return "Completed" if exit_code == 0 else "Error"


def _condition(kind: str, ok: bool, reason: str | None = None) -> dict[str, Any]:
    cond: dict[str, Any] = {"type": kind, "status": "True" if ok else "False",
                            "lastTransitionTime": now(), "lastProbeTime": None}
    if reason:
        cond["reason"] = reason
    return cond


def pod_status(pod: dict[str, Any], runs: list[ContainerRun], *, phase: str, start_time: str,
               init_runs: list[ContainerRun] | None = None, reason: str | None = None,
               message: str | None = None) -> dict[str, Any]:
    """The full status object for a pods/status patch."""
    images = {c["name"]: c.get("image", "") for c in
              (pod["spec"].get("containers") or []) + (pod["spec"].get("initContainers") or [])}
    statuses = [r.status(images.get(r.name, "")) for r in runs]
    all_ready = bool(statuses) and all(s["ready"] for s in statuses)
    initialized = all(r.exit_code == 0 for r in (init_runs or []))
    not_ready = None if all_ready else (
        "PodCompleted" if phase in ("Succeeded", "Failed") else "ContainersNotReady")
    status: dict[str, Any] = {
        "phase": phase, "hostIP": "127.0.0.1", "hostIPs": [{"ip": "127.0.0.1"}],
        "podIP": "127.0.0.1", "podIPs": [{"ip": "127.0.0.1"}], "startTime": start_time,
        "qosClass": "BestEffort",
        "conditions": [
            _condition("PodScheduled", True),
            _condition("Initialized", initialized),
            _condition("ContainersReady", all_ready, not_ready),
            _condition("Ready", all_ready, not_ready),
        ],
        "containerStatuses": statuses,
    }
    if init_runs:
        status["initContainerStatuses"] = [r.status(images.get(r.name, "")) for r in init_runs]
    status["reason"] = reason
    status["message"] = message
    return status


def final_phase(runs: list[ContainerRun]) -> str:
    return "Succeeded" if all(r.exit_code == 0 for r in runs) else "Failed"
