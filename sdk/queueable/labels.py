"""Every label Queueable puts on a QueueableJob, built here and nowhere else.

Labels let `kubectl get qj -l queueable.io/tenant=acme,queueable.io/tag=report` select
jobs, and let the operator list a tenant's jobs without reading every spec.
"""

from __future__ import annotations

from queueable.models import GROUP

TENANT = f"{GROUP}/tenant"
TAG = f"{GROUP}/tag"


def job_labels(tenant: str, tag: str) -> dict[str, str]:
    """The labels of a QueueableJob of `tenant` with `tag` (both RFC 1123 names)."""
    return {TENANT: tenant, TAG: tag}


def selector(tenant: str | None = None, tag: str | None = None) -> str:
    """A label selector for the jobs of a tenant and/or a tag ('' selects all)."""
    parts = []
    if tenant is not None:
        parts.append(f"{TENANT}={tenant}")
    if tag is not None:
        parts.append(f"{TAG}={tag}")
    return ",".join(parts)
