"""`queueable-runner --namespace NS --name NAME`: run one QueueableJob, inside a runner pod.

The command reads the job from the API server, marks the attempt started, runs the
target (`invoke`), stores the outcome (`report`: Redis, then the status) and exits with
an `ExitCode` that tells the Job controller whether to retry. Settings come from the
environment (`queueable.config`): QUEUEABLE_ALLOWED_MODULES, QUEUEABLE_REDIS_URL,
QUEUEABLE_RESULT_TTL_SECONDS, KUBECONFIG (or the pod's service account).

Redis is reached before the target is called, so that a runner that could not store a
result never runs the target's side effects for nothing. An outcome already in Redis
(an earlier attempt stored it, then the API server failed before the final status) is
not run again: the final status is written from it and the runner exits with its code.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys
import time
from typing import Any

import redis
from pydantic import ValidationError
from queueable import config, results
from queueable.errors import JobNotFoundError, QueueableError
from queueable.jobstatus import now
from queueable.models import Phase, QueueableJobSpec
from queueable.resolve import AllowList

from queueable_runner import invoke, report
from queueable_runner.exitcodes import ExitCode

log = logging.getLogger("queueable_runner")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="queueable-runner",
        description="Run one QueueableJob: call its target and store the outcome.",
        epilog="Exit codes: 0 succeeded, 1 failed (retry), 2 refused or invalid (do not "
               "retry), 3 runner error (settings, API server or Redis unreachable).",
    )
    parser.add_argument("--namespace", required=True, help="the QueueableJob's namespace")
    parser.add_argument("--name", required=True, help="the QueueableJob's name")
    return parser


def _redis(url: str) -> redis.Redis:
    client = redis.Redis.from_url(url, socket_connect_timeout=10, socket_timeout=30)
    client.ping()
    return client


def _phase(status: dict[str, Any]) -> Phase | None:
    try:
        return Phase(str(status.get("phase")))
    except ValueError:
        return None


def _run_spec(spec_raw: dict[str, Any], settings: config.Settings, job: str,
              attempt: int) -> tuple[QueueableJobSpec | None, invoke.Outcome]:
    try:
        spec = QueueableJobSpec.model_validate(spec_raw)
    except ValidationError as exc:
        refused = invoke.Outcome(ExitCode.REFUSED, invoke.Reason.INVALID_SPEC, error=exc)
        return None, refused
    target = spec.target
    log.info("job %s attempt %d: %s:%s%s", job, attempt, target.module, target.qualname,
             f".{target.method}" if target.method else "")
    return spec, invoke.run(spec, AllowList.from_settings(settings))


def _wait_for_backoff(status: dict[str, Any], spec_raw: dict[str, Any], job: str) -> None:
    """Honour `retry.backoffSeconds` between a failed attempt and this one."""
    retry = spec_raw.get("retry")
    backoff = retry.get("backoffSeconds") if isinstance(retry, dict) else None
    if not isinstance(backoff, int) or isinstance(backoff, bool) or backoff <= 0:
        return
    wait = report.retry_wait_seconds(status, backoff, dt.datetime.now(dt.UTC))
    if wait > 0:
        log.info("job %s: waiting %.1f s (retry backoff %d s) before this attempt", job, wait,
                 backoff)
        time.sleep(wait)


def _stored_outcome(client: redis.Redis, namespace: str,
                   name: str) -> results.Envelope | None:
    """The outcome already in Redis for this job (stored by an earlier attempt), or None."""
    try:
        return results.get_outcome(client, namespace, name)
    except ValueError as exc:
        log.warning("job %s/%s: ignoring an unreadable outcome in Redis: %s", namespace, name,
                    exc)
        return None


def _finish_stored(namespace: str, name: str, status: dict[str, Any],
                   envelope: results.Envelope) -> ExitCode:
    """An earlier attempt stored the outcome in Redis, then could not write the final
    status (the API server failed): write it now from that outcome, without calling the
    target again, and exit with the outcome's code."""
    error = envelope.get("error")
    if "duplicateOf" in envelope or (
            isinstance(error, dict) and error.get("type") == results.CANCELLED_TYPE):
        log.warning("job %s/%s was merged or cancelled (its outcome in Redis says so): not "
                    "running it", namespace, name)
        return ExitCode.REFUSED
    outcome = invoke.Outcome.from_envelope(envelope)
    log.warning("job %s/%s already has its outcome in Redis (%s): not running it again, "
                "writing its final status", namespace, name, report.describe(outcome))
    report.patch_status(namespace, name, report.finished(status, outcome, namespace, name,
                                                         now()))
    return outcome.code


def run(namespace: str, name: str) -> ExitCode:
    """Run the job once; every outcome is logged and becomes an exit code."""
    try:
        settings = config.get_settings()
    except QueueableError as exc:
        log.error("%s", exc)
        return ExitCode.RUNNER_ERROR
    try:
        job = report.read_job(namespace, name)
    except JobNotFoundError as exc:
        log.error("%s", exc)
        return ExitCode.REFUSED
    except QueueableError as exc:
        log.error("cannot read the job: %s", exc)
        return ExitCode.RUNNER_ERROR
    status: dict[str, Any] = job.get("status") or {}
    spec_raw = job.get("spec") or {}
    if spec_raw.get("cancel") is True:
        log.warning("job %s/%s is cancelled: not running it", namespace, name)
        return ExitCode.REFUSED
    phase = _phase(status)
    if phase is not None and (phase.finished or phase is Phase.MERGED):
        log.warning("job %s/%s is already %s: not running it again", namespace, name, phase)
        return ExitCode.SUCCEEDED if phase is Phase.SUCCEEDED else ExitCode.REFUSED

    try:
        client = _redis(settings.redis_url)
    except redis.RedisError as exc:
        log.error("cannot reach Redis (QUEUEABLE_REDIS_URL): %s", exc)
        return ExitCode.RUNNER_ERROR

    try:
        try:
            stored = _stored_outcome(client, namespace, name)
        except redis.RedisError as exc:
            log.error("cannot read the job's outcome from Redis: %s", exc)
            return ExitCode.RUNNER_ERROR
        if stored is not None:
            return _finish_stored(namespace, name, status, stored)
        _wait_for_backoff(status, spec_raw, f"{namespace}/{name}")
        status = report.patch_status(namespace, name, report.started(status, now()))
        attempt = int(status.get("attempts") or 1)
        spec, outcome = _run_spec(spec_raw, settings, f"{namespace}/{name}", attempt)
        log.info("job %s/%s: %s", namespace, name, report.describe(outcome))
        max_attempts = spec.retry.max_attempts if spec else 1
        if outcome.code is ExitCode.FAILED and attempt < max_attempts:
            report.patch_status(namespace, name, report.retrying(
                status, outcome, attempt, max_attempts, now()))
            return outcome.code
        try:
            report.store(client, namespace, name, spec, outcome, settings.result_ttl_seconds)
        except redis.RedisError as exc:
            # The target has run: record its outcome in the status all the same, so that it
            # is not lost and a restarted pod does not run the target again.
            log.error("cannot store the outcome in Redis (%s); it is recorded in the "
                      "job's status only", exc)
        report.patch_status(namespace, name, report.finished(
            status, outcome, namespace, name, now()))
        return outcome.code
    except QueueableError as exc:
        log.error("cannot update the job's status: %s", exc)
        return ExitCode.RUNNER_ERROR
    finally:
        client.close()


def main(argv: list[str] | None = None) -> int:
    """The console script's entry point; returns the exit code."""
    options = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    return int(run(options.namespace, options.name))


if __name__ == "__main__":
    sys.exit(main())
