"""Quota buckets and FIFO admission (queueable_operator.quota)."""

from __future__ import annotations

from queueable.models import TenantQuotaSpec
from queueable_operator.quota import (
    DEFAULT_BUCKET,
    Bucket,
    JobRef,
    QuotaObject,
    Quotas,
    admit,
    resolve,
)


def quota(name: str, tenant: str, default: int, created: str = "2026-01-01T00:00:00Z",
          **tags: int) -> QuotaObject:
    return QuotaObject(name, created, TenantQuotaSpec(tenant=tenant, default=default,
                                                      tags=tags))


def job(name: str, tenant: str = "acme", tag: str = "report", t: int = 0) -> JobRef:
    return JobRef(name, tenant, tag, f"2026-12-04T10:00:{t:02d}Z")


ACME = resolve([quota("acme", "acme", 1, report=2)])


def test_listed_tag_has_its_own_bucket_others_share_default() -> None:
    assert ACME.bucket("acme", "report") == Bucket("acme", "report")
    assert ACME.bucket("acme", "filter") == ACME.bucket("acme", "mail") == Bucket(
        "acme", DEFAULT_BUCKET)
    assert ACME.limit(Bucket("acme", "report")) == 2
    assert ACME.limit(Bucket("acme", DEFAULT_BUCKET)) == 1


def test_fifo_within_a_bucket_up_to_its_limit() -> None:
    queued = [job("c", t=3), job("a", t=1), job("b", t=2)]
    assert admit(queued, [], ACME) == ["a", "b"]
    assert admit(queued, [job("r")], ACME) == ["a"]


def test_unlisted_tags_compete_for_the_default_bucket() -> None:
    queued = [job("mail-1", tag="mail", t=1), job("filter-1", tag="filter", t=2)]
    assert admit(queued, [], ACME) == ["mail-1"]


def test_a_full_bucket_does_not_hold_back_another() -> None:
    queued = [job("r1", t=1), job("r2", t=2), job("r3", t=3), job("m1", tag="mail", t=4)]
    assert admit(queued, [], ACME) == ["r1", "r2", "m1"]


def test_no_quota_means_no_limit() -> None:
    queued = [job(f"j{i}", tenant="other", t=i) for i in range(20)]
    assert len(admit(queued, [], ACME)) == 20


def test_star_quota_applies_to_each_tenant_without_its_own() -> None:
    quotas = resolve([quota("acme", "acme", 5), quota("everyone", "*", 1)])
    queued = [job("b1", tenant="beta", t=1), job("b2", tenant="beta", t=2),
              job("g1", tenant="gamma", t=3), job("a1", t=4), job("a2", t=5)]
    assert admit(queued, [], quotas) == ["b1", "g1", "a1", "a2"]


def test_zero_pauses_a_bucket() -> None:
    quotas = resolve([quota("acme", "acme", 0, report=0)])
    assert admit([job("r1"), job("m1", tag="mail")], [], quotas) == []


def test_lowered_limit_admits_nothing_until_enough_finish() -> None:
    running = [job("r1"), job("r2")]
    lowered = resolve([quota("acme", "acme", 1, report=1)])
    assert admit([job("r3", t=9)], running, lowered) == []
    assert admit([job("r3", t=9)], running[1:], lowered) == []
    assert admit([job("r3", t=9)], [], lowered) == ["r3"]


def test_duplicate_quota_for_a_tenant_oldest_wins_and_the_rest_conflict() -> None:
    quotas = resolve([quota("acme-new", "acme", 9, created="2026-02-01T00:00:00Z"),
                      quota("acme-old", "acme", 1, created="2026-01-01T00:00:00Z")])
    assert quotas.conflicts == ("acme-new",)
    assert quotas.limit(Bucket("acme", DEFAULT_BUCKET)) == 1


def test_running_jobs_of_other_buckets_do_not_count() -> None:
    running = [job("m1", tag="mail"), job("x", tenant="other")]
    assert admit([job("r1"), job("r2", t=1)], running, ACME) == ["r1", "r2"]


def test_an_empty_namespace_has_no_limits() -> None:
    assert Quotas(by_tenant={}).limit(Bucket("acme", DEFAULT_BUCKET)) is None
