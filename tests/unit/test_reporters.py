from __future__ import annotations

import json

from kuberay_gitops.findings import Finding, Location, ObjectRef, Report, Severity, TargetSummary
from kuberay_gitops.reporters import REPORTERS
from kuberay_gitops.reporters.github import escape_data, escape_property

REPORT = Report(
    findings=[
        Finding(
            Location("overlays/prod/raycluster/patch-raycluster.yaml", 14, 9),
            "ports-service-target",
            Severity.ERROR,
            'targetPort "dashbord" is not a port of the selected pods',
            ObjectRef("Service", "ray-head", "kuberay"),
            ("spec", "ports", 1, "targetPort"),
            "use one of: dashboard, client",
            target="overlays/prod/raycluster",
        ),
        Finding(
            Location(".yamllint", 3, 1),
            "truthy",
            Severity.WARNING,
            "truthy value should be one of [false, true]",
            source="yamllint",
        ),
    ],
    targets=[TargetSummary("overlays/prod/raycluster", 12, True)],
)


def test_text_report_is_grouped_by_target_with_hints_and_summary() -> None:
    assert REPORTERS["text"](REPORT) == (
        "== overlays/prod/raycluster\n"
        "overlays/prod/raycluster/patch-raycluster.yaml:14:9: error [ports-service-target] "
        'Service/kuberay/ray-head .spec.ports[1].targetPort: targetPort "dashbord" is not a port '
        "of the selected pods\n"
        "    hint: use one of: dashboard, client\n"
        "== repository\n"
        ".yamllint:3:1: warning [yamllint/truthy] truthy value should be one of [false, true]\n"
        "checked 1 target, 12 objects: 1 error, 1 warning\n"
    )


def test_github_report_escapes_properties_and_data() -> None:
    out = REPORTERS["github"](REPORT)
    assert out.splitlines()[:3] == [
        "::group::overlays/prod/raycluster",
        "::error file=overlays/prod/raycluster/patch-raycluster.yaml,line=14,col=9,"
        "title=ports-service-target::Service/kuberay/ray-head .spec.ports[1].targetPort: "
        'targetPort "dashbord" is not a port of the selected pods '
        "(hint: use one of: dashboard, client)",
        "::endgroup::",
    ]
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    assert escape_data("50%\r\nok") == "50%25%0D%0Aok"


def test_json_report_has_stable_documented_keys() -> None:
    data = json.loads(REPORTERS["json"](REPORT))
    assert data["version"] == 1
    assert data["summary"] == {"targets": 1, "objects": 12, "errors": 1, "warnings": 1}
    assert data["targets"] == [
        {"path": "overlays/prod/raycluster", "objects": 12, "rendered": True}
    ]
    assert data["findings"][0] == {
        "check": "ports-service-target",
        "severity": "error",
        "message": 'targetPort "dashbord" is not a port of the selected pods',
        "hint": "use one of: dashboard, client",
        "file": "overlays/prod/raycluster/patch-raycluster.yaml",
        "line": 14,
        "column": 9,
        "kind": "Service",
        "namespace": "kuberay",
        "name": "ray-head",
        "field": ".spec.ports[1].targetPort",
        "source": "kuberay-gitops",
        "target": "overlays/prod/raycluster",
    }
    assert data["findings"][1]["check"] == "yamllint/truthy"
