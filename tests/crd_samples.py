"""Sample resources, valid and not, on which the models and the CRDs' schemas must agree.

Used by tests/unit/test_crds.py (the generated schema, checked with jsonschema) and
tests/integration/test_crds.py (the real API server, which also runs the CEL rules and
strict field validation). Each sample names its resource part and whether the models
accept it; `cel` marks the samples whose refusal only a CEL rule expresses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

T = {"module": "app.reports", "qualname": "Report"}


@dataclass(frozen=True)
class Sample:
    id: str
    part: str            # "job-spec", "job-status" or "quota-spec"
    body: dict[str, Any]
    valid: bool
    cel: bool = False


def _job(id_: str, valid: bool, **spec: Any) -> Sample:
    return Sample(id_, "job-spec", {"target": T, **spec}, valid)


def _status(id_: str, valid: bool, **status: Any) -> Sample:
    return Sample(id_, "job-status", status, valid)


def _quota(id_: str, valid: bool, cel: bool = False, **spec: Any) -> Sample:
    return Sample(id_, "quota-spec", {"tenant": "acme", "default": 3, **spec}, valid, cel)


SAMPLES: list[Sample] = [
    # QueueableJob spec: accepted
    _job("minimal", True),
    _job("method-and-object", True, target={**T, "method": "execute", "objectId": "7"}),
    _job("args-any-json", True, args=[1, "x", None, 2.5, True, [1, {"a": None}],
                                      {"$queueable": "date", "v": "2026-12-01"}]),
    _job("kwargs-nested", True, kwargs={"a": {"b": [None, {"c": 1}]}, "n": None}),
    _job("names", True, tenant="a-b", tag="r" * 63),
    _job("full", True, tenant="acme", tag="report",
         cache={"key": "k", "durationSeconds": 60}, dedup={"key": "h", "windowSeconds": 1},
         retry={"maxAttempts": 100, "backoffSeconds": 0}, timeoutSeconds=1,
         workerOptions={"image": "app:1", "resources": {"limits": {"cpu": "1"}},
                        "env": {"A": "1"}, "nodeSelector": {"k": "v"},
                        "tolerations": [{"key": "k", "operator": "Exists"}],
                        "serviceAccountName": "sa", "priorityClassName": "high",
                        "ttlSecondsAfterFinished": 0},
         executeInline=True, cancel=False),
    # QueueableJob spec: refused
    Sample("no-target", "job-spec", {"args": []}, False),
    _job("empty-module", False, target={**T, "module": ""}),
    _job("no-qualname", False, target={"module": "app"}),
    _job("long-method", False, target={**T, "method": "m" * 254}),
    _job("long-object-id", False, target={**T, "objectId": "i" * 1025}),
    _job("tenant-uppercase", False, tenant="Acme"),
    _job("tenant-leading-dash", False, tenant="-acme"),
    _job("tenant-too-long", False, tenant="a" * 64),
    _job("tag-underscore", False, tag="a_b"),
    _job("cache-duration-zero", False, cache={"key": "k", "durationSeconds": 0}),
    _job("cache-without-key", False, cache={"durationSeconds": 5}),
    _job("dedup-window-zero", False, dedup={"key": "h", "windowSeconds": 0}),
    _job("dedup-key-too-long", False, dedup={"key": "h" * 129}),
    _job("max-attempts-zero", False, retry={"maxAttempts": 0}),
    _job("max-attempts-101", False, retry={"maxAttempts": 101}),
    _job("backoff-negative", False, retry={"backoffSeconds": -1}),
    _job("timeout-zero", False, timeoutSeconds=0),
    _job("args-object", False, args={"a": 1}),
    _job("kwargs-list", False, kwargs=[1]),
    _job("inline-not-bool", False, executeInline="yes"),
    _job("env-not-string", False, workerOptions={"env": {"A": 1}}),
    _job("ttl-negative", False, workerOptions={"ttlSecondsAfterFinished": -1}),
    _job("unknown-spec-field", False, priority=3),
    _job("unknown-target-field", False, target={**T, "function": "f"}),
    # QueueableJob status: accepted
    _status("running", True, phase="Running", attempts=1, startedAt="2026-12-01T10:00:00Z",
            conditions=[{"type": "Running", "status": "True", "reason": "Running",
                         "message": "", "lastTransitionTime": "2026-12-01T10:00:00Z"}]),
    _status("succeeded", True, phase="Succeeded", result={"a": [1, None]},
            resultKey="queueable:ns:result:j"),
    _status("scalar-result", True, phase="Succeeded", result=3, resultInline=True),
    _status("none-result-inline", True, phase="Succeeded", resultInline=True,
            resultKey="queueable:ns:result:j"),
    _status("result-only-in-redis", True, phase="Succeeded", resultInline=False),
    _status("failed", True, phase="Failed", error={"type": "ValueError", "message": "m",
                                                   "traceback": "tb"}),
    # QueueableJob status: refused
    _status("bad-phase", False, phase="Exploded"),
    _status("attempts-not-int", False, attempts="one"),
    _status("result-inline-not-bool", False, resultInline="yes"),
    _status("error-without-message", False, error={"type": "ValueError"}),
    _status("condition-without-type", False, conditions=[{"status": "True"}]),
    # TenantQuota spec: accepted
    _quota("plain", True, tags={"report": 5, "filter": 10}),
    _quota("star", True, tenant="*", default=0),
    _quota("many-tags", True, tags={f"t{i}": i for i in range(256)}),
    # TenantQuota spec: refused
    _quota("default-negative", False, default=-1),
    _quota("tag-limit-negative", False, tags={"report": -1}),
    _quota("tenant-uppercase", False, tenant="Acme"),
    _quota("tenant-star-prefix", False, tenant="a*"),
    _quota("tenant-too-long", False, tenant="a" * 64),
    _quota("tag-name-uppercase", False, cel=True, tags={"Report": 1}),
    _quota("tag-name-underscore", False, cel=True, tags={"a_b": 1}),
    _quota("tag-name-too-long", False, cel=True, tags={"t" * 64: 1}),
    _quota("too-many-tags", False, tags={f"t{i}": i for i in range(257)}),
    _quota("limit-not-int", False, tags={"report": "5"}),
    Sample("quota-no-default", "quota-spec", {"tenant": "acme"}, False),
    Sample("quota-no-tenant", "quota-spec", {"default": 1}, False),
    _quota("unknown-quota-field", False, max=3),
]
