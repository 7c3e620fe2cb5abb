"""SARIF 2.1.0 for GitHub code scanning: project, kubeconform, yamllint and checkov findings."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from kuberay_gitops import __version__
from kuberay_gitops.findings import Report, Severity
from kuberay_gitops.reporters._common import headline

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def render(report: Report) -> str:
    """One run; one rule per qualified check id; every result located in the repository."""
    rules: dict[str, dict[str, Any]] = {}
    results: list[dict[str, Any]] = []
    for f in report.findings:
        rule_id = f.qualified_id
        if rule_id not in rules:
            rules[rule_id] = {
                "id": rule_id,
                "shortDescription": {"text": rule_id},
                "help": {"text": f.hint or rule_id},
            }
        region: dict[str, int] = {}
        if f.location.line is not None:
            region["startLine"] = f.location.line
            if f.location.column is not None:
                region["startColumn"] = f.location.column
        physical: dict[str, Any] = {
            # A path is not a URI: percent-encode spaces, `#`, `?`, `%`, `:`, non-ASCII.
            "artifactLocation": {"uri": quote(f.location.file, safe="/"), "uriBaseId": "%SRCROOT%"}
        }
        if region:
            physical["region"] = region
        result: dict[str, Any] = {
            "ruleId": rule_id,
            "level": "error" if f.severity is Severity.ERROR else "warning",
            "message": {"text": headline(f) + (f" (hint: {f.hint})" if f.hint else "")},
            "locations": [{"physicalLocation": physical}],
        }
        if f.target:
            result["properties"] = {"target": f.target}
        results.append(result)
    sarif = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "kuberay-gitops",
                        "version": __version__,
                        "rules": [rules[k] for k in sorted(rules)],
                    }
                },
                "results": results,
            }
        ],
    }
    return json.dumps(sarif, indent=2) + "\n"
