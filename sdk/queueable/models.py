"""The QueueableJob and TenantQuota resources as pydantic models.

These models are the single source of truth for the resources: the CRDs in `crds/` are
generated from them (`python -m queueable.crdgen`), and the SDK, the operator and the
runner all read and write the resources through them. Field names are snake_case in
Python and camelCase on the wire (`model_dump(by_alias=True)`).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

GROUP = "queueable.io"
VERSION = "v1alpha1"
API_VERSION = f"{GROUP}/{VERSION}"
JOB_KIND = "QueueableJob"
JOB_PLURAL = "queueablejobs"
QUOTA_KIND = "TenantQuota"
QUOTA_PLURAL = "tenantquotas"

# Kubernetes names (RFC 1123 labels) for tenants and tags: they end up in labels and keys.
NAME_PATTERN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
NAME_MAX = 63
# How many tags one TenantQuota may list (bounds the CRD's validation cost, too).
QUOTA_TAGS_MAX = 256

TagName = Annotated[str, Field(pattern=NAME_PATTERN, max_length=NAME_MAX)]
"""A tag (or tenant) name: an RFC 1123 label."""


class _Wire(BaseModel):
    """Base: camelCase on the wire, snake_case in Python, unknown fields refused."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=False
    )


class Phase(StrEnum):
    """Where a job is in its life (ARCHITECTURE.md, "A job's life")."""

    PENDING = "Pending"
    QUEUED = "Queued"
    RUNNING = "Running"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    CANCELLED = "Cancelled"
    MERGED = "Merged"

    @property
    def finished(self) -> bool:
        """True once the job will not change phase again (Merged follows another job)."""
        return self in (Phase.SUCCEEDED, Phase.FAILED, Phase.CANCELLED)


class Target(_Wire):
    """What to call: `module:qualname`, then `.method` on the object when there is one."""

    module: str = Field(min_length=1, max_length=253, description="Importable module name.")
    qualname: str = Field(
        min_length=1, max_length=253,
        description="Dotted name of a function or class defined in the module.",
    )
    method: str | None = Field(
        default=None, max_length=253,
        description="Method to call on the class, or on the object rebuilt from objectId.",
    )
    object_id: str | None = Field(
        default=None, max_length=1024,
        description="Identity passed to the class's queueable_load() to rebuild the object.",
    )


class CacheSpec(_Wire):
    key: str = Field(min_length=1, max_length=512, description="Cache key, scoped by tenant.")
    duration_seconds: int = Field(gt=0, description="How long a result stays fresh.")


class DedupSpec(_Wire):
    key: str = Field(min_length=1, max_length=128, description="Canonical hash of the call.")
    window_seconds: int = Field(
        default=600, gt=0, description="How long an identical call is merged into this one."
    )


class RetrySpec(_Wire):
    max_attempts: int = Field(
        default=1, ge=1, le=100, description="Attempts in all, first included."
    )
    backoff_seconds: int = Field(default=10, ge=0, description="Wait before a retry.")


class WorkerOptions(_Wire):
    """Passed to the execution layer (the runner Job's pod)."""

    image: str | None = None
    resources: dict[str, Any] | None = Field(
        default=None, description="A core/v1 ResourceRequirements (requests, limits)."
    )
    env: dict[str, str] | None = Field(default=None, description="Extra environment variables.")
    node_selector: dict[str, str] | None = None
    tolerations: list[dict[str, Any]] | None = None
    service_account_name: str | None = None
    priority_class_name: str | None = None
    ttl_seconds_after_finished: int | None = Field(default=None, ge=0)


class QueueableJobSpec(_Wire):
    target: Target
    args: list[Any] = Field(
        default_factory=list, description="Positional arguments, JSON-encoded."
    )
    kwargs: dict[str, Any] = Field(
        default_factory=dict, description="Keyword arguments, JSON-encoded."
    )
    tenant: str = Field(default="default", max_length=NAME_MAX, pattern=NAME_PATTERN)
    tag: str = Field(default="default", max_length=NAME_MAX, pattern=NAME_PATTERN)
    cache: CacheSpec | None = None
    dedup: DedupSpec | None = None
    retry: RetrySpec = Field(default_factory=RetrySpec)
    timeout_seconds: int | None = Field(
        default=None, gt=0, description="Deadline of one attempt set."
    )
    worker_options: WorkerOptions = Field(default_factory=WorkerOptions)
    execute_inline: bool = Field(default=False, description="Ran in the caller; recorded only.")
    cancel: bool = Field(default=False, description="Set to true to cancel the job.")


class JobError(_Wire):
    type: str = Field(description="The exception's qualified type name.")
    message: str
    traceback: str = ""


class Condition(_Wire):
    type: str
    status: str
    reason: str = ""
    message: str = ""
    last_transition_time: str | None = None


class QueueableJobStatus(_Wire):
    phase: Phase | None = None
    reason: str | None = None
    message: str | None = None
    duplicate_of: str | None = None
    cache_hit: bool | None = None
    attempts: int | None = None
    runner_job: str | None = None
    submitted_at: str | None = None
    admitted_at: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    result_key: str | None = None
    result: Any = Field(default=None, description="The JSON result, when small.")
    result_inline: bool | None = Field(
        default=None,
        description="True when result holds the whole result (an absent result is then "
                    "null); false when the result is only in Redis (resultKey).",
    )
    error: JobError | None = None
    conditions: list[Condition] | None = None


class TenantQuotaSpec(_Wire):
    tenant: str = Field(
        description='Tenant this quota applies to; "*" for tenants that have none of their own.',
        pattern=r"^(\*|[a-z0-9]([-a-z0-9]*[a-z0-9])?)$", max_length=NAME_MAX,
    )
    default: int = Field(ge=0, description="Shared bucket of every tag not listed in tags.")
    tags: dict[TagName, Annotated[int, Field(ge=0)]] = Field(
        default_factory=dict, max_length=QUOTA_TAGS_MAX,
        description="Tags with a bucket of their own: tag -> running limit.",
    )
