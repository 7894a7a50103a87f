"""The generated CRDs on the real API server: the same verdicts as the models, CEL included.

Every sample of tests/crd_samples.py is sent with a server-side dry run and strict field
validation (what `kubectl apply` does), so the API server's schema validation, its CEL
rules and its unknown-field check all take part; the verdict must be the sample's, which
tests/unit/test_crds.py checks is also the models'.
"""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from crd_samples import SAMPLES, Sample
from fixtures.cluster import Cluster
from kubernetes import client
from kubernetes.client.exceptions import ApiException
from queueable.models import API_VERSION, GROUP, JOB_KIND, JOB_PLURAL, QUOTA_KIND, QUOTA_PLURAL

VERSION = API_VERSION.split("/")[1]


@pytest.fixture(scope="module")
def crd_namespace(queueable_crds: Cluster) -> Any:
    name = f"t-crds-{secrets.token_hex(3)}"
    queueable_crds.kubectl("create", "namespace", name)
    yield name
    queueable_crds.kubectl("delete", "namespace", name, "--wait=false", check=False)


@pytest.fixture(scope="module")
def api(queueable_crds: Cluster) -> client.CustomObjectsApi:
    return client.CustomObjectsApi(queueable_crds.api_client())


@pytest.fixture(scope="module")
def status_job(api: client.CustomObjectsApi, crd_namespace: str) -> str:
    body = {"apiVersion": API_VERSION, "kind": JOB_KIND, "metadata": {"name": "status-target"},
            "spec": {"target": {"module": "app", "qualname": "f"}}}
    api.create_namespaced_custom_object(GROUP, VERSION, crd_namespace, JOB_PLURAL, body)
    return "status-target"


def _verdict(call: Any) -> str | None:
    """None when the API server accepts, else its message."""
    try:
        call()
    except ApiException as exc:
        if exc.status not in (400, 422):
            raise
        return str(exc.body)
    return None


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: f"{s.part}:{s.id}")
def test_the_api_server_agrees_with_the_models(
    sample: Sample, api: client.CustomObjectsApi, crd_namespace: str, status_job: str
) -> None:
    strict = {"dry_run": "All", "field_validation": "Strict"}
    name = f"s-{secrets.token_hex(4)}"
    if sample.part == "job-status":
        verdict = _verdict(lambda: api.patch_namespaced_custom_object_status(
            GROUP, VERSION, crd_namespace, JOB_PLURAL, status_job, {"status": sample.body},
            _content_type="application/merge-patch+json", **strict))
    else:
        kind, plural = ((JOB_KIND, JOB_PLURAL) if sample.part == "job-spec"
                        else (QUOTA_KIND, QUOTA_PLURAL))
        body = {"apiVersion": API_VERSION, "kind": kind, "metadata": {"name": name},
                "spec": sample.body}
        verdict = _verdict(lambda: api.create_namespaced_custom_object(
            GROUP, VERSION, crd_namespace, plural, body, **strict))
    assert (verdict is None) is sample.valid, verdict or "the API server accepted it"


def test_arguments_round_trip_through_the_api_server_nulls_included(
    api: client.CustomObjectsApi, crd_namespace: str
) -> None:
    args = [None, 1, 2.5, "s", [None, {"a": None}], {"$queueable": "tuple", "v": [1]}]
    kwargs = {"x": None, "y": {"z": [None]}}
    body = {"apiVersion": API_VERSION, "kind": JOB_KIND, "metadata": {"name": "nulls"},
            "spec": {"target": {"module": "app", "qualname": "f"}, "args": args,
                     "kwargs": kwargs}}
    stored = api.create_namespaced_custom_object(GROUP, VERSION, crd_namespace, JOB_PLURAL,
                                                 body)
    assert stored["spec"]["args"] == args
    assert stored["spec"]["kwargs"] == kwargs
    # Scalar defaults come from the models.
    assert stored["spec"]["tenant"] == "default"
    assert stored["spec"]["tag"] == "default"
    assert stored["spec"]["cancel"] is False


def test_kubectl_apply_rejects_a_bad_tenantquota(queueable_crds: Cluster,
                                                 crd_namespace: str) -> None:
    bad = f"""
apiVersion: {API_VERSION}
kind: {QUOTA_KIND}
metadata: {{name: acme, namespace: {crd_namespace}}}
spec:
  tenant: acme
  default: -1
  tags: {{Report_Tag: 5}}
"""
    proc = queueable_crds.kubectl("apply", "-f", "-", input=bad, check=False)
    assert proc.returncode != 0
    assert "spec.default" in proc.stderr
    assert "every key must match" in proc.stderr
    good = bad.replace("default: -1", "default: 3").replace("Report_Tag", "report")
    queueable_crds.kubectl("apply", "-f", "-", input=good)
    out = queueable_crds.kubectl("get", "tq", "-n", crd_namespace).stdout.splitlines()
    assert out[0].split() == ["NAME", "TENANT", "DEFAULT", "AGE"]
    assert out[1].split()[:3] == ["acme", "acme", "3"]
