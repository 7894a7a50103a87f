"""One definition of what every status writer shares: the inline-result limit, its
measure, and the clock (`queueable.jobstatus`), used by the runner and by inline mode."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import queueable
import targets
from queueable import config, inline, jobstatus, results, submit
from queueable_runner import __main__ as runner_main
from queueable_runner import report
from queueable_runner.exitcodes import ExitCode
from queueable_runner.invoke import Outcome, Reason


@pytest.fixture(autouse=True)
def settings() -> Iterator[None]:
    queueable.configure(namespace="apps", tenant="acme")
    yield
    config.reset()


def _inline_status(value: Any) -> dict[str, Any]:
    bound = queueable.async_(targets.echo_value, execute_inline=True)
    prepared = submit.prepare(bound._call((value,), {}), bound._options)
    return inline._final_status(prepared, results.ok_envelope(value), jobstatus.now())


def _runner_status(value: Any) -> dict[str, Any]:
    outcome = Outcome(ExitCode.SUCCEEDED, Reason.SUCCEEDED, value=value)
    return report.finished({}, outcome, "apps", "j", jobstatus.now())


def test_the_runner_and_inline_mode_share_one_limit_and_one_measure(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert not hasattr(report, "INLINE_RESULT_MAX_BYTES")
    assert not hasattr(inline, "INLINE_RESULT_MAX_BYTES")
    monkeypatch.setattr(jobstatus, "INLINE_RESULT_MAX_BYTES", 12)
    fits, over = "é" * 1, "é" * 2  # '"\\u00e9"' is 8 bytes, two of them 14
    assert jobstatus.result_size(fits) == 8
    assert jobstatus.result_size(over) == 14
    for status in (_inline_status(fits), _runner_status(fits)):
        assert (status["result"], status["resultInline"]) == (fits, True)
    for status in (_inline_status(over), _runner_status(over)):
        assert status.get("result") is None
        assert status["resultInline"] is False
    assert "over 12 bytes" in _runner_status(over)["message"]


def test_none_results_are_inline_in_both_writers() -> None:
    assert _inline_status(None)["resultInline"] is True
    assert _runner_status(None)["resultInline"] is True


def test_one_clock_for_every_status_time() -> None:
    assert not hasattr(report, "now")
    assert not hasattr(inline, "_now")
    assert runner_main.now is jobstatus.now
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", jobstatus.now())
