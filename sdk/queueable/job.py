"""The handle of a submitted job: its name, its phase, its result, its cancellation.

`result()` is woken by Redis (see `queueable.results`), not by polling the API server:
it reads the outcome, reads the resource once to learn whether it was merged into another
job (then follows that job) or finished while its Redis outcome expired, and otherwise
blocks on the job's completion signal until its deadline. A handle that already holds
its outcome (a cache hit, an inline or testing-mode job) answers without any I/O.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from queueable import codec, config, kube, results, store
from queueable.errors import (
    ClusterUnavailableError,
    ConfigurationError,
    JobCancelled,
    JobFailed,
    JobNotFoundError,
    QueueableError,
)
from queueable.models import Phase, QueueableJobSpec, QueueableJobStatus
from queueable.results import Envelope

log = logging.getLogger("queueable")

DEFAULT_TIMEOUT = 300.0
"""Seconds `result()` waits when given no timeout: every wait has a deadline."""

MAX_MERGE_HOPS = 16
"""How many `duplicateOf` links a handle follows before it gives up (a loop guard)."""


def phase_of(envelope: Envelope | None) -> Phase:
    """The phase an outcome envelope stands for (Pending when there is none yet)."""
    if envelope is None or "duplicateOf" in envelope:
        return Phase.PENDING if envelope is None else Phase.MERGED
    if envelope.get("ok") is True:
        return Phase.SUCCEEDED
    if envelope.get("error", {}).get("type") == results.CANCELLED_TYPE:
        return Phase.CANCELLED
    return Phase.FAILED


def unwrap(job_id: str, envelope: Envelope) -> Any:
    """The value of a success envelope; raises the job's failure or cancellation."""
    if envelope.get("ok") is True:
        return codec.decode(envelope.get("value"))
    error = envelope.get("error") or {}
    if error.get("type") == results.CANCELLED_TYPE:
        raise JobCancelled(job_id, str(error.get("message", "")))
    raise JobFailed(job_id, str(error.get("type", "unknown")), str(error.get("message", "")),
                    str(error.get("traceback", "")))


class Job:
    """A submitted call: `id` is the QueueableJob's name."""

    def __init__(
        self, id: str, namespace: str, *, outcome: Envelope | None = None,
        cache_hit: bool = False, has_resource: bool = True,
    ) -> None:
        self.id = id
        self.namespace = namespace
        self.cache_hit = cache_hit
        """True when the result came from the cache and no job ran (then `id` names the
        job that produced the cached result)."""
        self.has_resource = has_resource
        """False when no QueueableJob exists for this handle (cache hit, testing mode)."""
        self._outcome = outcome

    def __repr__(self) -> str:
        return f"<Job {self.namespace}/{self.id}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Job) and (self.id, self.namespace) == (other.id,
                                                                          other.namespace)

    def __hash__(self) -> int:
        return hash((self.id, self.namespace))

    # -- state ---------------------------------------------------------------------------

    def resource(self) -> dict[str, Any]:
        """The QueueableJob as the API server has it (one GET)."""
        return kube.get_job(self.namespace, self.id)

    def status(self) -> QueueableJobStatus:
        """The resource's status (one GET); built from the outcome when there is none."""
        if not self.has_resource:
            return QueueableJobStatus(phase=phase_of(self._outcome), cache_hit=self.cache_hit)
        return QueueableJobStatus.model_validate(self.resource().get("status") or {})

    @property
    def phase(self) -> Phase:
        """Pending, Queued, Running, Succeeded, Failed, Cancelled or Merged (reads the
        resource unless the handle already holds the outcome)."""
        if self._outcome is not None or not self.has_resource:
            return phase_of(self._outcome)
        return self.status().phase or Phase.PENDING

    # -- result --------------------------------------------------------------------------

    def result(self, timeout: float = DEFAULT_TIMEOUT) -> Any:
        """The job's return value, waiting at most `timeout` seconds.

        Raises JobFailed (remote type, message and traceback), JobCancelled, or
        TimeoutError. A merged job answers with the result of the job it was merged into.
        """
        deadline = time.monotonic() + timeout
        job_id, envelope = self.id, self._outcome
        for _ in range(MAX_MERGE_HOPS):
            if envelope is None:
                envelope = self._fetch(job_id, deadline)
            if envelope is None:
                raise TimeoutError(f"job {job_id} did not finish within {timeout:g} s")
            if "duplicateOf" not in envelope:
                if job_id == self.id:
                    self._outcome = envelope
                return unwrap(job_id, envelope)
            job_id, envelope = str(envelope["duplicateOf"]), None
        raise QueueableError(f"job {self.id}: more than {MAX_MERGE_HOPS} duplicateOf links")

    async def aresult(self, timeout: float = DEFAULT_TIMEOUT) -> Any:
        """`result()` for asyncio applications: waits without blocking the event loop."""
        deadline = time.monotonic() + timeout
        job_id, envelope = self.id, self._outcome
        backend = store.current()
        for _ in range(MAX_MERGE_HOPS):
            if envelope is None:
                envelope = await asyncio.to_thread(self._peek, job_id, deadline)
            if envelope is None:
                remaining = max(deadline - time.monotonic(), 0.0)
                envelope = await backend.wait_outcome_async(self.namespace, job_id, remaining)
            if envelope is None:
                raise TimeoutError(f"job {job_id} did not finish within {timeout:g} s")
            if "duplicateOf" not in envelope:
                return unwrap(job_id, envelope)
            job_id, envelope = str(envelope["duplicateOf"]), None
        raise QueueableError(f"job {self.id}: more than {MAX_MERGE_HOPS} duplicateOf links")

    def _peek(self, job_id: str, deadline: float) -> Envelope | None:
        """The outcome if there is one already (Redis, then the resource's status)."""
        backend = store.current()
        envelope = backend.get_outcome(self.namespace, job_id)
        if envelope is None and self.has_resource:
            envelope = self._from_resource(backend, job_id, deadline)
        return envelope

    def _fetch(self, job_id: str, deadline: float) -> Envelope | None:
        envelope = self._peek(job_id, deadline)
        if envelope is None:
            remaining = max(deadline - time.monotonic(), 0.0)
            envelope = store.current().wait_outcome(self.namespace, job_id, remaining)
        return envelope

    def _from_resource(self, backend: store.Store, job_id: str,
                       deadline: float) -> Envelope | None:
        """An envelope from the resource's status when it is Merged or already finished
        (its Redis outcome then expired or was never written), else None. The read ends
        by `deadline`."""
        if store.testing_active():
            return None
        try:
            resource = kube.get_job(self.namespace, job_id,
                                    timeout=max(deadline - time.monotonic(), 0.0))
        except (ClusterUnavailableError, ConfigurationError) as exc:
            log.warning("job %s: cannot read its resource (%s); waiting on Redis", job_id, exc)
            return None
        except JobNotFoundError:
            if job_id == self.id:
                raise
            raise JobNotFoundError(
                f"job {self.id} in namespace {self.namespace} was merged into job {job_id}, "
                "which no longer exists and left no outcome in Redis (deleted before it "
                "finished, or its result expired)"
            ) from None
        status = QueueableJobStatus.model_validate(resource.get("status") or {})
        if status.phase == Phase.MERGED and status.duplicate_of:
            return {"duplicateOf": status.duplicate_of}
        if status.phase == Phase.CANCELLED:
            return results.cancelled_envelope(status.message or "")
        if status.phase not in (Phase.SUCCEEDED, Phase.FAILED):
            return None
        # Finished: Redis is written before the status, so read it again (the outcome may
        # have been stored since the first read) before answering from the status.
        stored = backend.get_outcome(self.namespace, job_id)
        if stored is not None:
            return stored
        if status.phase == Phase.SUCCEEDED:
            # resultInline: the status holds the whole result, None included (a merge
            # patch leaves a None result absent). Statuses written without the field
            # hold a result only when it is there.
            inline = status.result_inline
            if inline is None:
                inline = status.result is not None
            if not inline:  # too large for the status: it was only in Redis
                raise results.expired(self.namespace, job_id)
            return results.ok_envelope(status.result)
        if status.error is not None:
            return results.error_envelope(status.error.type, status.error.message,
                                          status.error.traceback)
        # Failed without a recorded error (e.g. marked by the operator when the pod died).
        return results.error_envelope(status.reason or "Failed",
                                      status.message or "the job failed (no error recorded)")

    # -- cancel --------------------------------------------------------------------------

    def cancel(self) -> bool:
        """Ask for the job to be cancelled (sets `spec.cancel`); False if it had finished.

        Also releases the job's dedup claim, so that the same call submitted again runs.
        The operator stops the runner and records the Cancelled phase.
        """
        if self._outcome is not None or not self.has_resource:
            return False
        body = kube.patch_spec(self.namespace, self.id, {"cancel": True})
        spec = QueueableJobSpec.model_validate(body.get("spec") or {})
        if spec.dedup is not None:
            try:
                store.current().release_dedup(self.namespace, spec.tenant, spec.dedup.key,
                                              self.id)
            except QueueableError as exc:
                log.warning("job %s cancelled; its dedup claim stays until it expires: %s",
                            self.id, exc)
        return True


def get_job(name: str, namespace: str | None = None) -> Job:
    """The handle of an existing job (JobNotFoundError when there is none)."""
    ns = namespace or config.get_settings().namespace
    backend = store.current()
    if store.testing_active():
        envelope = backend.get_outcome(ns, name)
        if envelope is None:
            raise JobNotFoundError(f"no QueueableJob {ns}/{name} (testing mode)")
        return Job(name, ns, outcome=envelope, has_resource=False)
    kube.get_job(ns, name)
    return Job(name, ns)
