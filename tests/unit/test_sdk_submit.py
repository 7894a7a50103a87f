"""What a submission builds, without any server: targets, spec, labels, names."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
import queueable
import targets
from queueable import config, delegator, submit
from queueable.models import QueueableJobSpec


@pytest.fixture(autouse=True)
def settings() -> Iterator[None]:
    queueable.configure(namespace="apps", tenant="acme")
    yield
    config.reset()


def _prepare(bound: delegator.BoundCall, *args: object, **kwargs: object) -> submit.Prepared:
    return submit.prepare(bound._call(args, dict(kwargs)), bound._options)


def test_instance_method_target_and_spec() -> None:
    bound = targets.Report(7).async_(
        cache_duration=60, merge_duplicate=True, duplicate_duration=dt.timedelta(minutes=2),
        tag="report", retries=2, retry_backoff=5, timeout=300,
        worker_options={"node_selector": {"disk": "ssd"}, "image": "app:1"},
    ).execute
    prepared = _prepare(bound, 1, params={"when": dt.date(2026, 12, 1)})
    body = prepared.body
    assert body["apiVersion"] == "queueable.io/v1alpha1"
    assert body["kind"] == "QueueableJob"
    assert body["metadata"]["namespace"] == "apps"
    assert body["metadata"]["labels"] == {"queueable.io/tenant": "acme",
                                          "queueable.io/tag": "report"}
    spec = body["spec"]
    assert spec["target"] == {"module": "targets", "qualname": "Report", "method": "execute",
                              "objectId": "7"}
    assert spec["args"] == [1]
    assert spec["kwargs"] == {"params": {"when": {"$queueable": "date", "v": "2026-12-01"}}}
    assert spec["cache"] == {"key": prepared.call_hash, "durationSeconds": 60}
    assert spec["dedup"] == {"key": prepared.call_hash, "windowSeconds": 120}
    assert spec["retry"] == {"maxAttempts": 3, "backoffSeconds": 5}
    assert spec["timeoutSeconds"] == 300
    assert spec["workerOptions"] == {"nodeSelector": {"disk": "ssd"}, "image": "app:1"}
    assert spec["tenant"] == "acme"
    assert spec["executeInline"] is False
    QueueableJobSpec.model_validate(spec)


def test_class_static_and_function_targets() -> None:
    totals = _prepare(targets.Report.async_().totals, "2026-12-01").spec.target
    assert (totals.qualname, totals.method, totals.object_id) == ("Report", "totals", None)
    ping = _prepare(targets.Report(3).async_().ping, 1).spec.target
    assert (ping.method, ping.object_id) == ("ping", None)
    func = _prepare(queueable.async_(targets.add, tag="mail"), 1, 2).spec.target
    assert (func.module, func.qualname, func.method) == ("targets", "add", None)
    plain = _prepare(queueable.async_(targets.Plain("k")).shout, "!").spec.target
    assert (plain.qualname, plain.method, plain.object_id) == ("Plain", "shout", "k")
    bound = _prepare(queueable.async_(targets.Report(9).execute), 1, {}).spec.target
    assert (bound.qualname, bound.method, bound.object_id) == ("Report", "execute", "9")
    coro = _prepare(queueable.async_(targets.async_add), 1, 2).spec.target
    assert coro.qualname == "async_add"


def test_cache_key_from_option_and_from_cache_method() -> None:
    keyed = _prepare(targets.Report(7).async_(cache_duration=5, cache_key="k1").execute, 1, {})
    assert keyed.spec.cache is not None
    assert keyed.spec.cache.key == "k1"
    method = _prepare(
        targets.Report(7).async_(cache_duration=5, cache_method="cache_name").execute, 1, {})
    assert method.spec.cache is not None
    assert method.spec.cache.key == "report-7-1"


def test_names_are_fresh_dns_labels() -> None:
    names = {submit.generate_name("a" * 63) for _ in range(100)}
    assert len(names) == 100
    for name in names:
        assert len(name) <= 63
        assert re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", name)
    assert submit.generate_name("report").startswith("report-")


def test_identical_calls_hash_alike_and_tenants_apart() -> None:
    first = _prepare(targets.Report(7).async_().execute, 1, {"a": 1, "b": 2})
    second = _prepare(targets.Report(7).async_().execute, 1, {"b": 2, "a": 1})
    other = _prepare(targets.Report(7).async_(tenant="beta").execute, 1, {"a": 1, "b": 2})
    assert first.call_hash == second.call_hash != other.call_hash
    assert first.name != second.name
