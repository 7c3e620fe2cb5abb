"""SARIF rules are described (summary, why, fix, docs link, security severity) from the registry."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from kuberay_gitops import checks as registry
from kuberay_gitops import harden, inputs, ruleinfo, secretscan
from kuberay_gitops.findings import Finding, Location, ObjectRef, Report, Severity, TargetSummary
from kuberay_gitops.reporters import sarif
from tests.property.test_reporters_props import _validate  # schema + uri formats

REPO = Path(__file__).resolve().parents[2]
REPO_URL = "https://github.com/platform-team/kuberay-gitops.git"
BLOB = "https://github.com/platform-team/kuberay-gitops/blob/HEAD"
RULES = ruleinfo.rules(REPO_URL)


def _headings(path: str) -> set[str]:
    text = (REPO / path).read_text()
    return {ruleinfo.anchor(h) for h in re.findall(r"^#{1,6} (.+)$", text, re.MULTILINE)}


def test_every_registered_check_is_described_from_its_spec_and_docstring() -> None:
    for spec in registry.all_specs():
        info = RULES[spec.id]
        first_line = (registry.REGISTRY[spec.id].__doc__ or "").strip().splitlines()[0]
        assert (info.summary, info.hint) == (spec.summary, spec.hint)
        assert info.description.startswith(first_line + "\n\n"), spec.id
        assert re.search(r"\n\n(Why|Risk): ", info.description), spec.id
        assert "PASS / FAIL" not in info.description
        assert info.help_uri == f"{BLOB}/docs/checks.md#{spec.id}"


def test_every_repository_scan_id_is_described() -> None:
    ids = [*inputs.CHECK_IDS, *harden.CHECK_IDS, *secretscan.CHECK_IDS]
    assert [(i, bool(RULES[i].summary), bool(RULES[i].hint)) for i in ids] == [
        (i, True, True) for i in ids
    ]
    assert RULES[harden.UNPINNED].hint == harden.HINTS[harden.UNPINNED]
    assert RULES[harden.UNPINNED].help_uri == f"{BLOB}/docs/checks.md#harden"
    assert RULES[inputs.UNSAFE].help_uri == f"{BLOB}/docs/checks.md#inputs"


def test_every_repository_docs_link_names_a_heading_of_the_linked_file() -> None:
    anchors = {path: _headings(path) for path in ("docs/checks.md", "README.md")}
    for rule_id, info in RULES.items():
        if not info.help_uri.startswith(BLOB):
            continue
        path, _, fragment = info.help_uri.removeprefix(BLOB + "/").partition("#")
        assert fragment in anchors[path], (rule_id, info.help_uri)


@pytest.mark.parametrize(
    ("rule_id", "security"),
    [
        ("pod-privileged", True),
        ("rbac-wildcard", True),
        ("secret-committed", True),
        ("exposure-ray-ports", True),
        ("harden-plugins", True),
        ("input-unsafe", True),
        ("secret-high-entropy", True),
        ("checkov/*", True),
        ("ports-service-target", False),
        ("netpol-selects-nothing", False),
        ("input-encoding", False),
        ("render", False),
        ("yamllint/*", False),
        ("kubeconform/*", False),
    ],
)
def test_security_rules_are_the_security_check_families(rule_id: str, security: bool) -> None:
    assert RULES[rule_id].security is security


@pytest.mark.parametrize(
    ("repo_url", "expected"),
    [
        (REPO_URL, f"{BLOB}/docs/checks.md#x-y"),
        ("https://github.com/o/r", "https://github.com/o/r/blob/HEAD/docs/checks.md#x-y"),
        ("https://github.com/o/r.git/", "https://github.com/o/r/blob/HEAD/docs/checks.md#x-y"),
        ("git@github.com:o/r.git", "https://github.com/o/r/blob/HEAD/docs/checks.md#x-y"),
        ("ssh://git@github.com/o/r.git", "https://github.com/o/r/blob/HEAD/docs/checks.md#x-y"),
        (
            "https://x-access-token:ghp_secret@github.com/o/r.git",
            "https://github.com/o/r/blob/HEAD/docs/checks.md#x-y",
        ),
        (
            "https://ghe.example:8443/o/r",
            "https://ghe.example:8443/o/r/blob/HEAD/docs/checks.md#x-y",
        ),
        ("", ""),
        ("https://github.com/o", ""),
        ("file:///srv/git/r.git", ""),
        ("https://host:port/o/r", ""),
    ],
    ids=[
        "config",
        "no-suffix",
        "slash",
        "scp",
        "ssh",
        "credentials-dropped",
        "enterprise-port",
        "empty",
        "owner-only",
        "file",
        "bad-port",
    ],
)
def test_docs_url_is_a_browsable_link_without_credentials(repo_url: str, expected: str) -> None:
    assert ruleinfo.docs_url(repo_url, "docs/checks.md", "`x-y`") == expected


def test_no_repo_url_means_no_repository_links_but_tool_links_stay() -> None:
    rules = ruleinfo.rules("")
    assert rules["ports-service-target"].help_uri == ""
    assert rules["render"].help_uri == ""
    assert rules["checkov/*"].help_uri == "https://www.checkov.io/5.Policy%20Index/kubernetes.html"


def test_description_keeps_the_first_and_why_paragraphs_unwrapped() -> None:
    doc = (
        "Summary line.\n\nDetails nobody needs here.\n\n"
        "Why: a reason\nthat wraps.\n- a bullet\nPASS / FAIL examples: tests/x.py\n\nRisk: later\n"
    )
    assert ruleinfo.description(doc) == "Summary line.\n\nWhy: a reason that wraps.\n- a bullet"
    assert ruleinfo.description(None) == ""


# --- the SARIF document ---------------------------------------------------------------------

REPORT = Report(
    findings=[
        Finding(
            Location("overlays/dev/kustomization.yaml"),  # no line: a render failure
            "render",
            Severity.ERROR,
            "kustomize build overlays/dev failed: accumulating resources",
            hint="run `kuberay-gitops render overlays/dev` and fix the kustomization it names",
            target="overlays/dev",
        ),
        Finding(
            Location("overlays/prod/raycluster/patch-raycluster.yaml", 14, 9),
            "ports-service-target[name]",
            Severity.WARNING,  # configured down from the spec's error
            'targetPort "dashbord" matches no container port',
            ObjectRef("Service", "ray-head", "kuberay"),
            ("spec", "ports", 1, "targetPort"),
            "use one of: dashboard, client",
            target="overlays/prod/raycluster",
        ),
        Finding(
            Location("base/raycluster/raycluster.yaml", 30, 11),
            "pod-privileged",
            Severity.ERROR,
            "container ray-head sets privileged: true",
            ObjectRef("RayCluster", "rc", "kuberay"),
            ("spec", "headGroupSpec"),
            "remove it",
            target="overlays/prod/raycluster",
        ),
        Finding(
            Location("base/raycluster/service.yaml", 3, 1),
            "CKV_K8S_21",
            Severity.ERROR,
            "The default namespace should not be used",
            ObjectRef("Service", "s"),
            hint="see https://docs.prismacloud.io/x; fix the object",
            source="checkov",
            target="overlays/prod/raycluster",
        ),
        Finding(Location(".yamllint", 3), "truthy", Severity.WARNING, "truthy", source="yamllint"),
        Finding(Location("x.yaml", 1), "made-up", Severity.ERROR, "m", source="elsewhere"),
    ],
    targets=[TargetSummary("overlays/prod/raycluster", 12, True)],
    rules=RULES,
)


def _run(report: Report = REPORT) -> dict[str, Any]:
    document = json.loads(sarif.render(report))
    _validate(document)
    run: dict[str, Any] = document["runs"][0]
    return run


def _rules() -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in _run()["tool"]["driver"]["rules"]}


def test_a_check_rule_carries_summary_why_hint_docs_link_and_severity() -> None:
    spec = registry.spec(registry.REGISTRY["pod-privileged"])
    assert _rules()["pod-privileged"] == {
        "id": "pod-privileged",
        "shortDescription": {"text": spec.summary},
        "fullDescription": {"text": RULES["pod-privileged"].description},
        "help": {"text": spec.hint},
        "helpUri": f"{BLOB}/docs/checks.md#pod-privileged",
        "properties": {"security-severity": "8.0", "tags": ["security"]},
    }


def test_a_variant_is_its_own_rule_described_by_its_check() -> None:
    spec = registry.spec(registry.REGISTRY["ports-service-target"])
    rule = _rules()["ports-service-target[name]"]
    assert rule["shortDescription"] == {"text": spec.summary}
    assert rule["help"] == {"text": spec.hint}
    assert rule["helpUri"] == f"{BLOB}/docs/checks.md#ports-service-target"
    # Only warnings in this report (the configured severity), and not a security check.
    assert rule["properties"] == {"security-severity": "5.0"}


def test_a_wrapped_tool_rule_is_described_tool_wide_with_its_own_hint() -> None:
    rules = _rules()
    assert rules["checkov/CKV_K8S_21"] == {
        "id": "checkov/CKV_K8S_21",
        "shortDescription": {"text": f"checkov/CKV_K8S_21: {RULES['checkov/*'].summary}"},
        "fullDescription": {"text": RULES["checkov/*"].description},
        "help": {"text": "see https://docs.prismacloud.io/x; fix the object"},
        "helpUri": "https://www.checkov.io/5.Policy%20Index/kubernetes.html",
        "properties": {"security-severity": "8.0", "tags": ["security"]},
    }
    assert rules["yamllint/truthy"]["help"] == {"text": RULES["yamllint/*"].hint}
    assert rules["yamllint/truthy"]["properties"] == {"security-severity": "5.0"}


def test_an_undescribed_rule_falls_back_to_its_id() -> None:
    assert _rules()["elsewhere/made-up"] == {
        "id": "elsewhere/made-up",
        "shortDescription": {"text": "elsewhere/made-up"},
        "fullDescription": {"text": "elsewhere/made-up"},
        "help": {"text": "elsewhere/made-up"},
        "properties": {"security-severity": "8.0"},
    }


def test_every_rule_has_the_fields_code_scanning_shows() -> None:
    for rule in _run()["tool"]["driver"]["rules"]:
        assert {"id", "shortDescription", "fullDescription", "help", "properties"} <= set(rule)
        assert rule["properties"]["security-severity"] in {"8.0", "5.0"}
        assert all(rule[k]["text"] for k in ("shortDescription", "fullDescription", "help"))


def test_a_finding_without_a_line_is_placed_on_line_1() -> None:
    (render,) = [r for r in _run()["results"] if r["ruleId"] == "render"]
    assert render["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "overlays/dev/kustomization.yaml", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 1},
    }
    assert all("region" in r["locations"][0]["physicalLocation"] for r in _run()["results"])


def test_rules_are_sorted_and_the_output_is_deterministic() -> None:
    ids = [r["id"] for r in _run()["tool"]["driver"]["rules"]]
    assert ids == sorted(ids)
    assert sarif.render(REPORT) == sarif.render(REPORT)


def test_a_report_without_rule_descriptions_is_still_valid_sarif() -> None:
    bare = Report(REPORT.findings, REPORT.targets)
    run = _run(bare)
    assert [r.get("helpUri") for r in run["tool"]["driver"]["rules"]] == [None] * 6
