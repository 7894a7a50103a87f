"""Running a job's target in-process: import, resolve, load, call, await, encode.

No servers: `invoke.run` only imports and calls; the runner's Redis and status writes are
tested in tests/integration/test_runner.py.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

import pytest
import targets_runner
from queueable import codec
from queueable.models import QueueableJobSpec, Target
from queueable.resolve import AllowList
from queueable_runner.exitcodes import ExitCode
from queueable_runner.invoke import Outcome, Reason, run

ALLOW = AllowList.of(["targets_runner"])


def job(qualname: str, *args: Any, method: str | None = None, object_id: str | None = None,
        module: str = "targets_runner", **kwargs: Any) -> QueueableJobSpec:
    return QueueableJobSpec(
        target=Target(module=module, qualname=qualname, method=method, object_id=object_id),
        args=codec.encode(list(args), "args"), kwargs=codec.encode(kwargs, "kwargs"),
    )


def succeeded(outcome: Outcome) -> Any:
    assert outcome.error is None, outcome.traceback or outcome.error
    assert outcome.code is ExitCode.SUCCEEDED
    assert outcome.envelope() == {"ok": True, "value": outcome.value}
    return codec.decode(outcome.value)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (job("add", 2, 3), 5),
        (job("echo", 1, when=dt.date(2026, 12, 1)),
         {"args": [1], "kwargs": {"when": dt.date(2026, 12, 1)}}),
        (job("slow_double", 21), 42),
        (job("Counter", 5, method="plus", object_id="10"), 15),
        (job("Counter", 5, method="aplus", object_id="10"), 15),
        (job("SubCounter", 1, method="plus", object_id="1"), 2),
        (job("Counter", "?", method="named"), "Counter?"),
        (job("SubCounter", "!", method="named"), "SubCounter!"),
        (job("Counter", (1, 2), method="ping"), (1, 2)),
        (job("Counter.Inner", method="deep"), "deep"),
    ],
    ids=lambda v: v.target.qualname + "." + str(v.target.method)
    if isinstance(v, QueueableJobSpec) else "",
)
def test_each_kind_of_target_runs_and_its_result_is_encoded(
    spec: QueueableJobSpec, expected: Any
) -> None:
    assert succeeded(run(spec, ALLOW)) == expected


def test_a_coroutine_is_awaited() -> None:
    outcome = run(job("slow_double", 4), ALLOW)
    assert outcome.value == 8  # not a coroutine object (that would not encode)


def test_a_raising_target_fails_with_its_type_message_and_traceback() -> None:
    outcome = run(job("boom", "no luck"), ALLOW)
    assert outcome.code is ExitCode.FAILED
    assert outcome.reason == Reason.FAILED
    error = outcome.envelope()["error"]
    assert error["type"] == "ValueError"
    assert error["message"] == "no luck"
    assert 'targets_runner.py", line' in error["traceback"]
    assert "in boom" in error["traceback"]
    assert "queueable_runner" not in error["traceback"]


def test_a_module_outside_the_allow_list_is_refused_and_never_imported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = tmp_path / "imported"
    monkeypatch.setenv("QUEUEABLE_TEST_IMPORT_MARKER", str(marker))
    outcome = run(job("steal", module="targets_forbidden"), ALLOW)
    assert outcome.code is ExitCode.REFUSED
    assert outcome.reason == Reason.NOT_ALLOWED
    assert outcome.envelope()["error"] == {
        "type": "queueable.resolve.RefusedTarget",
        "message": "module 'targets_forbidden' is not in the allow-list "
                   "(QUEUEABLE_ALLOWED_MODULES: targets_runner); it was not imported",
        "traceback": "",
    }
    assert "targets_forbidden" not in sys.modules
    assert not marker.exists()


def test_an_empty_allow_list_refuses_everything() -> None:
    outcome = run(job("add", 1, 2), AllowList.of([]))
    assert outcome.reason == Reason.NOT_ALLOWED
    assert "(empty: nothing is allowed)" in outcome.envelope()["error"]["message"]


def test_a_missing_dependency_of_the_module_surfaces_as_that_import_error() -> None:
    allow = AllowList.of(["targets_runner", "targets_runner_broken"])
    outcome = run(job("never", module="targets_runner_broken"), allow)
    assert outcome.code is ExitCode.FAILED
    assert outcome.reason == Reason.IMPORT_FAILED
    error = outcome.envelope()["error"]
    assert error["type"] == "ModuleNotFoundError"
    assert error["message"] == "No module named 'queueable_no_such_dependency'"
    assert "targets_runner_broken.py" in error["traceback"]


def test_a_target_module_that_does_not_exist_is_refused_with_the_real_error() -> None:
    outcome = run(job("f", module="targets_runner.nonexistent"), ALLOW)
    assert outcome.code is ExitCode.REFUSED
    assert outcome.reason == Reason.MODULE_NOT_FOUND
    assert outcome.envelope()["error"]["type"] == "ModuleNotFoundError"
    assert "targets_runner.nonexistent" in outcome.envelope()["error"]["message"]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (job("os", method="system"), "'os' is a module, not a class or function"),
        (job("os.system"), "'os' is a module, not a class or function"),
        (job("system"), "'system' is a builtin_function_or_method"),
        (job("add.__globals__"), "'__globals__' starts with an underscore"),
        (job("dumps"), "'dumps' comes from module 'json', which is not allowed"),
        (job("Counter", method="plus"), "instance method: the job needs objectId"),
        (job("add", object_id="1"), "is a function: objectId must not be set"),
        (job("Counter", method="ping", object_id="1"), "objectId must not be set"),
        (job("NoLoader", method="work", object_id="1"), "NoLoader has no queueable_load"),
    ],
)
def test_refused_targets_are_never_called(spec: QueueableJobSpec, message: str) -> None:
    outcome = run(spec, ALLOW)
    assert outcome.code is ExitCode.REFUSED
    assert outcome.reason == Reason.INVALID_TARGET
    assert message in outcome.envelope()["error"]["message"]


def test_an_argument_referring_to_an_object_outside_the_allow_list_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = tmp_path / "imported"
    monkeypatch.setenv("QUEUEABLE_TEST_IMPORT_MARKER", str(marker))
    spec = job("echo")
    spec.args = [{codec.TAG: "object", "module": "targets_forbidden", "qualname": "X", "id": "1"}]
    outcome = run(spec, ALLOW)
    assert outcome.code is ExitCode.REFUSED
    assert outcome.reason == Reason.INVALID_ARGUMENTS
    assert "module 'targets_forbidden', which is not allowed" in outcome.envelope()["error"][
        "message"]
    assert not marker.exists()


def test_an_argument_referring_to_an_allowed_object_is_rebuilt() -> None:
    spec = job("Counter", method="ping")
    spec.args = [{codec.TAG: "object", "module": "targets_runner", "qualname": "Counter",
                  "id": "7"}]
    outcome = run(spec, ALLOW)
    # ping returns the rebuilt Counter, stored as a reference to it again.
    assert outcome.value == spec.args[0]
    rebuilt = succeeded(outcome)
    assert isinstance(rebuilt, targets_runner.Counter)
    assert rebuilt.start == 7


def test_a_failing_queueable_load_is_a_failure_of_the_job() -> None:
    outcome = run(job("BadLoader", method="work", object_id="9"), ALLOW)
    assert outcome.code is ExitCode.FAILED
    assert outcome.reason == Reason.FAILED
    assert outcome.envelope()["error"]["type"] == "LookupError"
    assert outcome.envelope()["error"]["message"] == "no BadLoader 9"


def test_a_result_that_cannot_be_serialized_is_a_clear_failure() -> None:
    outcome = run(job("unserializable"), ALLOW)
    assert outcome.code is ExitCode.FAILED
    assert outcome.reason == Reason.NOT_SERIALIZABLE
    error = outcome.envelope()["error"]
    assert error["type"] == "queueable_runner.invoke.ResultNotSerializable"
    assert error["message"].startswith(
        "targets_runner:unserializable returned a object, which cannot be stored as its "
        "result: result: "
    )
