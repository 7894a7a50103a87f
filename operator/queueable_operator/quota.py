"""Quota decisions as pure functions: which bucket a job counts against, and which queued
jobs may start now. The operator's handlers gather the inputs (TenantQuotas, running and
queued jobs) and act on the answer; nothing here talks to the API server.

Semantics (ARCHITECTURE.md, "Quota", and the decisions where it is silent):

- A TenantQuota names a tenant, or "*" for every tenant that has none of its own. The
  "*" quota is applied per tenant: each such tenant gets its own buckets of those sizes
  (one noisy tenant cannot use up another's share).
- A tag listed under `tags` has a bucket of its own; every other tag of the tenant shares
  the `default` bucket. A limit of 0 holds the bucket's jobs Queued (a pause).
- No quota at all for a tenant (neither its own nor "*") means no limit.
- Two TenantQuotas for the same tenant in one namespace: the oldest (creation time, then
  name) applies and the others are reported as conflicts, so that a GitOps mistake is
  visible instead of silently merged.
- Slots go in FIFO order (creation time, then name) within each bucket; a full bucket
  never holds back jobs of another bucket.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from queueable.models import TenantQuotaSpec

ANY_TENANT = "*"
DEFAULT_BUCKET = "*"
"""The bucket name of the tags a quota does not list (not a valid tag, so never a clash)."""


@dataclass(frozen=True, order=True)
class Bucket:
    tenant: str
    tag: str  # a listed tag, or DEFAULT_BUCKET


@dataclass(frozen=True)
class QuotaObject:
    """A TenantQuota as the operator read it."""

    name: str
    created: str  # RFC 3339 creation timestamp: sorts in time order
    spec: TenantQuotaSpec


@dataclass(frozen=True)
class Quotas:
    """The quotas in force in one namespace."""

    by_tenant: Mapping[str, TenantQuotaSpec]
    conflicts: tuple[str, ...] = ()  # names of TenantQuotas overridden by an older one

    def for_tenant(self, tenant: str) -> TenantQuotaSpec | None:
        return self.by_tenant.get(tenant) or self.by_tenant.get(ANY_TENANT)

    def bucket(self, tenant: str, tag: str) -> Bucket:
        quota = self.for_tenant(tenant)
        if quota is not None and tag in quota.tags:
            return Bucket(tenant, tag)
        return Bucket(tenant, DEFAULT_BUCKET)

    def limit(self, bucket: Bucket) -> int | None:
        """The bucket's limit, or None for no limit."""
        quota = self.for_tenant(bucket.tenant)
        if quota is None:
            return None
        if bucket.tag == DEFAULT_BUCKET:
            return quota.default
        return quota.tags[bucket.tag]


def resolve(objects: Iterable[QuotaObject]) -> Quotas:
    """The quota in force per tenant; later duplicates become conflicts."""
    by_tenant: dict[str, TenantQuotaSpec] = {}
    conflicts: list[str] = []
    for obj in sorted(objects, key=lambda o: (o.created, o.name)):
        if obj.spec.tenant in by_tenant:
            conflicts.append(obj.name)
        else:
            by_tenant[obj.spec.tenant] = obj.spec
    return Quotas(by_tenant=by_tenant, conflicts=tuple(conflicts))


@dataclass(frozen=True)
class JobRef:
    """What the quota decision needs to know about one job."""

    name: str
    tenant: str
    tag: str
    created: str  # RFC 3339 creation timestamp


def admit(queued: Iterable[JobRef], running: Iterable[JobRef], quotas: Quotas) -> list[str]:
    """Names of the queued jobs that may start now, oldest first.

    `running` are the jobs holding a slot (launched and not finished); never more than a
    bucket's limit are admitted, also when the limit was lowered below what runs (then
    nothing more starts in that bucket until enough finish).
    """
    used = Counter(quotas.bucket(j.tenant, j.tag) for j in running)
    admitted: list[str] = []
    for job in sorted(queued, key=lambda j: (j.created, j.name)):
        bucket = quotas.bucket(job.tenant, job.tag)
        limit = quotas.limit(bucket)
        if limit is None or used[bucket] < limit:
            used[bucket] += 1
            admitted.append(job.name)
    return admitted
