"""The CRDs in crds/ are what `python -m queueable.crdgen` generates, and agree with the models.

Agreement is checked here on the generated OpenAPI schema with jsonschema (OpenAPI v3.0
is close to JSON Schema draft 4); the CEL rules, defaulting and strict field validation
are checked against the real API server in tests/integration/test_crds.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from crd_samples import SAMPLES, Sample
from pydantic import BaseModel, ValidationError
from queueable import crdgen, models

CRDS = Path(__file__).resolve().parents[2] / "crds"


def test_committed_crds_are_what_the_generator_writes() -> None:
    generated = crdgen.documents()
    assert sorted(p.name for p in CRDS.glob("*.yaml")) == sorted(generated)
    for name, content in generated.items():
        assert (CRDS / name).read_text() == content, (
            f"crds/{name} is out of date: run `python -m queueable.crdgen`"
        )


def test_check_mode_reports_drift_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert crdgen.main(["--output-dir", str(tmp_path)]) == 0
    assert crdgen.main(["--output-dir", str(tmp_path), "--check"]) == 0
    stale = tmp_path / "tenantquota.yaml"
    stale.write_text(stale.read_text().replace("tq", "tquota"))
    assert crdgen.main(["--output-dir", str(tmp_path), "--check"]) == 1
    assert "tquota" in stale.read_text()
    assert f"{stale}: out of date" in capsys.readouterr().err


def test_generation_is_deterministic() -> None:
    assert crdgen.documents() == crdgen.documents()


def _crd(name: str) -> dict[str, Any]:
    crd = yaml.safe_load((CRDS / name).read_text())
    assert isinstance(crd, dict)
    return crd


def test_queueablejob_names_columns_and_subresources() -> None:
    crd = _crd("queueablejob.yaml")
    assert crd["metadata"]["name"] == "queueablejobs.queueable.io"
    spec = crd["spec"]
    assert spec["group"] == "queueable.io"
    assert spec["scope"] == "Namespaced"
    assert spec["names"]["shortNames"] == ["qj"]
    assert spec["names"]["plural"] == "queueablejobs"
    assert spec["names"]["kind"] == "QueueableJob"
    (version,) = spec["versions"]
    assert version["name"] == "v1alpha1"
    assert version["subresources"] == {"status": {}}
    columns = {c["name"].upper(): c["jsonPath"] for c in version["additionalPrinterColumns"]
               if not c.get("priority")}
    assert list(columns) == ["PHASE", "TENANT", "TAG", "TARGET", "METHOD", "ATTEMPTS", "AGE"]
    assert columns["ATTEMPTS"] == ".status.attempts"


def test_tenantquota_names_and_columns() -> None:
    spec = _crd("tenantquota.yaml")["spec"]
    assert spec["names"]["shortNames"] == ["tq"]
    (version,) = spec["versions"]
    assert [c["name"].upper() for c in version["additionalPrinterColumns"]] == [
        "TENANT", "DEFAULT", "AGE"]


def _walk(node: Any, path: str = "") -> Any:
    if isinstance(node, dict):
        yield path, node
        for key, child in node.get("properties", {}).items():
            yield from _walk(child, f"{path}.{key}")
        for key in ("items", "additionalProperties"):
            if isinstance(node.get(key), dict):
                yield from _walk(node[key], f"{path}[{key}]")


@pytest.mark.parametrize("name", ["queueablejob.yaml", "tenantquota.yaml"])
def test_schemas_are_structural(name: str) -> None:
    schema = _crd(name)["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    for path, node in _walk(schema):
        for banned in ("anyOf", "oneOf", "allOf", "$ref", "title", "$defs"):
            assert banned not in node, f"{path}: {banned}"
        assert "type" in node or node.get("x-kubernetes-preserve-unknown-fields"), path
        assert not ("properties" in node and "additionalProperties" in node), path
        assert node.get("additionalProperties") is not False, path


def _json_schema(node: Any, strict_fields: bool) -> Any:
    """OpenAPI v3.0 (as in a CRD) -> JSON Schema draft 4; strict: unknown fields refused."""
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key.startswith("x-kubernetes-") or key in ("nullable", "default"):
            continue
        if key == "properties":
            out[key] = {k: _json_schema(v, strict_fields) for k, v in value.items()}
        elif key in ("items", "additionalProperties"):
            out[key] = _json_schema(value, strict_fields)
        else:
            out[key] = value
    if node.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"]
    if strict_fields and "properties" in out:
        out["additionalProperties"] = False
    return out


def _validator(part: str) -> jsonschema.Draft4Validator:
    name = "tenantquota.yaml" if part.startswith("quota") else "queueablejob.yaml"
    schema = _crd(name)["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    sub = schema["properties"]["status" if part == "job-status" else "spec"]
    return jsonschema.Draft4Validator(_json_schema(sub, strict_fields=True))


MODELS: dict[str, type[BaseModel]] = {
    "job-spec": models.QueueableJobSpec,
    "job-status": models.QueueableJobStatus,
    "quota-spec": models.TenantQuotaSpec,
}


def _model_accepts(sample: Sample) -> bool:
    try:
        # Strict JSON validation: what the API server stores is JSON, typed as it says.
        MODELS[sample.part].model_validate_json(json.dumps(sample.body), strict=True)
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: f"{s.part}:{s.id}")
def test_the_models_and_the_schema_agree(sample: Sample) -> None:
    assert _model_accepts(sample) is sample.valid, "the model disagrees with the sample"
    if sample.cel:
        return  # only the API server evaluates CEL: see tests/integration/test_crds.py
    errors = [e.message for e in _validator(sample.part).iter_errors(sample.body)]
    assert (not errors) is sample.valid, errors or "the schema accepts it"


def test_a_union_the_crd_cannot_express_is_refused_by_the_generator() -> None:
    class Bad(BaseModel):
        x: int | str

    with pytest.raises(crdgen.UnsupportedSchema, match=r"Bad\.x: only `X \| None` unions"):
        crdgen.openapi_schema(Bad)
