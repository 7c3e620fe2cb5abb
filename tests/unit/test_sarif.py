from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from kuberay_gitops.reporters import REPORTERS
from tests.unit.test_reporters import REPORT

SCHEMA = Path(__file__).resolve().parents[2] / ".tools" / "schemas" / "sarif-2.1.0.json"


def _schema() -> dict[str, object]:
    if not SCHEMA.is_file():
        pytest.fail(f"{SCHEMA.name} missing from .tools/schemas: run `make setup`")
    data: dict[str, object] = json.loads(SCHEMA.read_text())
    return data


def test_sarif_output_validates_against_the_sarif_2_1_0_schema() -> None:
    sarif = json.loads(REPORTERS["sarif"](REPORT))
    jsonschema.Draft4Validator(_schema()).validate(sarif)


def test_sarif_results_carry_rule_level_and_repository_location() -> None:
    run = json.loads(REPORTERS["sarif"](REPORT))["runs"][0]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == [
        "ports-service-target",
        "yamllint/truthy",
    ]
    first = run["results"][0]
    assert (first["ruleId"], first["level"]) == ("ports-service-target", "error")
    assert first["locations"][0]["physicalLocation"] == {
        "artifactLocation": {
            "uri": "overlays/prod/raycluster/patch-raycluster.yaml",
            "uriBaseId": "%SRCROOT%",
        },
        "region": {"startLine": 14, "startColumn": 9},
    }
