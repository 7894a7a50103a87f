"""The local cluster's pure parts: waits that explain themselves, env resolution, status."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from localcluster import processes
from localcluster.node import envs, status
from localcluster.node.status import ContainerRun


def test_a_component_that_dies_is_named_with_its_log_tail(tmp_path: Path) -> None:
    log = tmp_path / "etcd.log"
    pid = processes.start([sys.executable, "-c", "print('bind: address already in use');"
                                                 "raise SystemExit(1)"], log)
    with pytest.raises(processes.ComponentError) as err:
        processes.wait_for(lambda: False, component="etcd", timeout=60, log_path=log, pid=pid)
    assert str(err.value).startswith("etcd exited before it was ready")
    assert "bind: address already in use" in str(err.value)


def test_a_component_that_never_answers_times_out_naming_it(tmp_path: Path) -> None:
    log = tmp_path / "kube-scheduler.log"
    log.write_text("waiting for the API server\n")
    with pytest.raises(processes.ComponentError) as err:
        processes.wait_for(lambda: False, component="kube-scheduler", timeout=0.3,
                           log_path=log)
    assert "kube-scheduler was not ready within 0 s" in str(err.value)
    assert "waiting for the API server" in str(err.value)


def test_stop_ends_a_process_that_ignores_sigterm(tmp_path: Path) -> None:
    pid = processes.start([sys.executable, "-c", "import signal, time; "
                           "signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)"],
                          tmp_path / "stubborn.log")
    processes.stop(pid, grace_seconds=0.5)
    assert not processes.alive(pid)


def _pod(**meta: Any) -> dict[str, Any]:
    return {"metadata": {"name": "p", "namespace": "ns", "uid": "u", **meta},
            "spec": {"nodeName": "localnode", "serviceAccountName": "sa"}, "status": {}}


def _lookup(data: dict[str, dict[str, str]]) -> envs.Lookup:
    return lambda namespace, name: data.get(f"{namespace}/{name}")


def test_env_resolution_order_and_sources() -> None:
    container = {"name": "c", "envFrom": [{"configMapRef": {"name": "base"}, "prefix": "B_"}],
                 "env": [
                     {"name": "A", "value": "1"},
                     {"name": "S", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}},
                     {"name": "L", "valueFrom": {"fieldRef": {
                         "fieldPath": "metadata.labels['app']"}}},
                     {"name": "X", "value": "$(A)-$(S)-$$(A)-$(MISSING)"},
                 ]}
    env = envs.container_env(_pod(labels={"app": "web"}), container,
                             secrets=_lookup({"ns/s": {"k": "secret"}}),
                             config_maps=_lookup({"ns/base": {"one": "1"}}))
    assert env == {"B_one": "1", "A": "1", "S": "secret", "L": "web",
                   "X": "1-secret-$(A)-$(MISSING)"}


def test_missing_secret_is_a_config_error_unless_optional() -> None:
    ref = {"name": "S", "valueFrom": {"secretKeyRef": {"name": "gone", "key": "k"}}}
    with pytest.raises(envs.EnvError, match=r"Secret ns/gone \(for env S\) not found"):
        envs.container_env(_pod(), {"name": "c", "env": [ref]}, secrets=_lookup({}),
                           config_maps=_lookup({}))
    ref["valueFrom"]["secretKeyRef"]["optional"] = True  # type: ignore[index]
    assert envs.container_env(_pod(), {"name": "c", "env": [ref]}, secrets=_lookup({}),
                              config_maps=_lookup({})) == {}


def test_a_container_without_command_is_refused_with_the_reason() -> None:
    with pytest.raises(envs.EnvError, match="has no command"):
        envs.argv({"name": "web", "args": ["serve"]}, {})


def test_status_of_a_failed_container_reports_exit_code_and_not_ready() -> None:
    run = ContainerRun("main", started_at="t0", finished_at="t1", exit_code=3, waiting=False)
    pod = {"spec": {"containers": [{"name": "main", "image": "python"}]}}
    st = status.pod_status(pod, [run], phase=status.final_phase([run]), start_time="t0")
    assert st["phase"] == "Failed"
    (cs,) = st["containerStatuses"]
    assert cs["state"]["terminated"] == {"exitCode": 3, "reason": "Error", "startedAt": "t0",
                                         "finishedAt": "t1"}
    ready = {c["type"]: c["status"] for c in st["conditions"]}
    assert ready["Ready"] == "False"
