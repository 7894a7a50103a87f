"""The status patches the runner writes, built by pure functions."""

from __future__ import annotations

import datetime as dt

from queueable import results
from queueable.jobstatus import INLINE_RESULT_MAX_BYTES
from queueable.models import QueueableJobStatus
from queueable_runner import report
from queueable_runner.exitcodes import ExitCode
from queueable_runner.invoke import Outcome, Reason
from queueable_runner.report import (
    STATUS_TRACEBACK_MAX_CHARS,
    finished,
    retrying,
    started,
)

T0, T1 = "2026-12-01T10:00:00Z", "2026-12-01T10:00:05Z"


def test_started_counts_the_attempt_and_sets_running() -> None:
    patch = started({}, T0)
    assert patch["phase"] == "Running"
    assert patch["startedAt"] == T0
    assert patch["attempts"] == 1
    assert patch["conditions"] == [{"type": "Running", "status": "True", "reason": "Running",
                                    "message": "attempt 1 started", "lastTransitionTime": T0}]
    again = started({**patch, "conditions": patch["conditions"]}, T1)
    assert again["attempts"] == 2
    # Running stayed True: its transition time is the first one.
    assert again["conditions"][0]["lastTransitionTime"] == T0
    QueueableJobStatus.model_validate(again)


def test_a_success_inlines_a_small_result_and_clears_an_earlier_error() -> None:
    outcome = Outcome(code=ExitCode.SUCCEEDED, reason=Reason.SUCCEEDED, value={"a": [1, 2]})
    patch = finished(started({}, T0), outcome, "ns", "job-1", T1)
    assert patch["phase"] == "Succeeded"
    assert patch["finishedAt"] == T1
    assert patch["result"] == {"a": [1, 2]}
    assert patch["error"] is None
    assert patch["resultKey"] == "queueable:ns:result:job-1"
    kinds = {c["type"]: (c["status"], c["reason"]) for c in patch["conditions"]}
    assert kinds == {"Running": ("False", "Succeeded"), "Finished": ("True", "Succeeded")}
    QueueableJobStatus.model_validate(patch)


def test_a_result_over_the_inline_limit_stays_in_redis_only() -> None:
    fits = "x" * (INLINE_RESULT_MAX_BYTES - 2)  # the quotes make it exactly the limit
    assert finished({}, Outcome(ExitCode.SUCCEEDED, "Succeeded", value=fits), "n", "j",
                    T1)["result"] == fits
    patch = finished({}, Outcome(ExitCode.SUCCEEDED, "Succeeded", value=fits + "x"), "n", "j",
                     T1)
    assert patch["result"] is None
    assert patch["resultInline"] is False
    assert "read it from Redis" in patch["message"]


def test_a_none_result_is_recorded_as_inline() -> None:
    # A merge patch cannot write `result: null` (it deletes the field): resultInline says
    # that the absent result is the whole result, not one that is only in Redis.
    patch = finished({}, Outcome(ExitCode.SUCCEEDED, "Succeeded", value=None), "n", "j", T1)
    assert (patch["result"], patch["resultInline"]) == (None, True)
    assert patch["message"] == "succeeded"
    status = QueueableJobStatus.model_validate({k: v for k, v in patch.items()
                                                if v is not None})
    assert (status.result, status.result_inline) == (None, True)
    small = finished({}, Outcome(ExitCode.SUCCEEDED, "Succeeded", value=[1]), "n", "j", T1)
    assert (small["result"], small["resultInline"]) == ([1], True)
    failed = finished({}, Outcome(ExitCode.FAILED, Reason.FAILED, error=KeyError("k")), "n",
                      "j", T1)
    assert failed["resultInline"] is None  # removed with the result


def test_a_failure_records_the_error_and_truncates_a_long_traceback() -> None:
    outcome = Outcome(code=ExitCode.FAILED, reason=Reason.FAILED, error=KeyError("k"),
                      traceback="frame\n" * 5000)
    patch = finished({}, outcome, "ns", "j", T1)
    assert patch["phase"] == "Failed"
    assert patch["reason"] == "TargetFailed"
    assert patch["result"] is None
    assert patch["error"]["type"] == "KeyError"
    assert patch["error"]["message"] == "'k'"
    assert patch["error"]["traceback"].startswith("[truncated]\n")
    assert len(patch["error"]["traceback"]) == STATUS_TRACEBACK_MAX_CHARS + len("[truncated]\n")
    assert patch["message"] == "KeyError: 'k'"
    QueueableJobStatus.model_validate(patch)


def test_a_failed_attempt_that_will_be_retried_keeps_the_phase() -> None:
    outcome = Outcome(code=ExitCode.FAILED, reason=Reason.FAILED, error=ValueError("x"))
    patch = retrying(started({}, T0), outcome, 1, 3, T1)
    assert "phase" not in patch
    assert patch["reason"] == "AttemptFailed"
    assert patch["message"] == "attempt 1 of 3 failed, will be retried: ValueError: x"
    assert patch["conditions"][0]["status"] == "False"
    assert patch["conditions"][0]["lastTransitionTime"] == T1


def test_an_outcome_read_back_from_redis_gives_the_same_final_status() -> None:
    # What `report.store` wrote is enough to write the final status again (a runner that
    # finds its outcome in Redis after the API server failed).
    outcomes = [
        Outcome(ExitCode.SUCCEEDED, Reason.SUCCEEDED, value={"a": [1, None]}),
        Outcome(ExitCode.SUCCEEDED, Reason.SUCCEEDED, value=None),
        Outcome(ExitCode.FAILED, Reason.FAILED, error=ValueError("bad"), traceback="tb"),
        Outcome(ExitCode.REFUSED, Reason.NOT_ALLOWED, error=PermissionError("no")),
    ]
    for outcome in outcomes:
        envelope = outcome.envelope()
        if not outcome.ok:
            envelope["reason"] = outcome.reason
        stored = results.loads(results.dumps({**envelope, "job": "j"}))
        again = Outcome.from_envelope(stored)
        assert (again.code, again.reason, again.ok) == (outcome.code, outcome.reason,
                                                        outcome.ok)
        assert again.envelope() == outcome.envelope()
        running = started({}, T0)
        assert finished(running, again, "ns", "j", T1) == finished(running, outcome, "ns", "j",
                                                                   T1)
    # An envelope without a reason (written by something else) is a target failure.
    legacy = Outcome.from_envelope(results.error_envelope("ValueError", "m"))
    assert (legacy.code, legacy.reason) == (ExitCode.FAILED, Reason.FAILED)


def _after_failure(at: str) -> dict[str, object]:
    return {"reason": "AttemptFailed", "conditions": [
        {"type": "Running", "status": "False", "reason": "AttemptFailed",
         "lastTransitionTime": at}]}


def test_retry_waits_out_the_rest_of_the_backoff() -> None:
    at = dt.datetime(2026, 12, 4, 10, 0, 12, tzinfo=dt.UTC)
    assert report.retry_wait_seconds(_after_failure("2026-12-04T10:00:00Z"), 30, at) == 18.0


def test_no_wait_once_the_backoff_has_passed_or_on_a_first_attempt() -> None:
    at = dt.datetime(2026, 12, 4, 10, 1, 0, tzinfo=dt.UTC)
    assert report.retry_wait_seconds(_after_failure("2026-12-04T10:00:00Z"), 30, at) == 0.0
    assert report.retry_wait_seconds({}, 30, at) == 0.0
    running = {"reason": "AttemptFailed", "conditions": [
        {"type": "Running", "status": "True", "lastTransitionTime": "2026-12-04T10:00:59Z"}]}
    assert report.retry_wait_seconds(running, 30, at) == 0.0


def test_a_clock_behind_the_failure_never_waits_longer_than_the_backoff() -> None:
    at = dt.datetime(2026, 12, 4, 9, 0, 0, tzinfo=dt.UTC)
    assert report.retry_wait_seconds(_after_failure("2026-12-04T10:00:00Z"), 30, at) == 30.0
