"""SARIF 2.1.0 for GitHub code scanning: project, kubeconform, yamllint and checkov findings.

One run; one rule per qualified check id (variants such as `ports-service-target[name]`
are rules of their own, so they can be dismissed separately). Each rule is described from
`Report.rules`, looked up by its id, then by the id without its `[variant]`, then by
`<source>/*` for a wrapped tool:
- `shortDescription`: the check's summary (for a wrapped tool's rule, prefixed by the id);
- `fullDescription`: why the check exists (the module docstring's first and Why/Risk
  paragraphs), else the summary;
- `help`: the fix hint (for a wrapped tool, the first finding's own hint, which names the
  tool's guideline);
- `helpUri`: the rule's section of docs/checks.md (or the tool's docs), when known;
- `properties.security-severity`: "8.0" (high) when any of the rule's findings in this
  report is an error, "5.0" (medium) when all are warnings. The finding severity is the
  configured one, so the number follows `kuberay-gitops.yaml`. GitHub reads it as a CVSS-
  like score (9.0+ critical, 7.0-8.9 high, 4.0-6.9 medium) for rules tagged `security`;
  `properties.tags` is `["security"]` for the security checks (pod-*, rbac-*, secret-*,
  exposure-*, harden-*, input-unsafe, checkov) and absent otherwise, so a broken port
  or selector stays an ordinary error alert instead of a "high" security alert.
A rule `Report.rules` does not describe gets its id as its descriptions and no link.

Every result has a region: a finding located at a file only (a render failure, a file-level
scan finding) starts at line 1, as code scanning requires a line to show an alert on.
Pure and deterministic: the same Report gives the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any
from urllib.parse import quote

from kuberay_gitops import __version__
from kuberay_gitops.findings import Finding, Report, RuleInfo, Severity
from kuberay_gitops.reporters._common import headline

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SECURITY_SEVERITY = MappingProxyType({Severity.ERROR: "8.0", Severity.WARNING: "5.0"})


def _info(rules: Mapping[str, RuleInfo], f: Finding) -> tuple[RuleInfo | None, bool]:
    """The rule's description and whether it is a wrapped tool's description for all its rules."""
    rule_id = f.qualified_id
    for key in (rule_id, rule_id.split("[", 1)[0]):
        if key in rules:
            return rules[key], False
    if f.source != "kuberay-gitops" and f"{f.source}/*" in rules:
        return rules[f"{f.source}/*"], True
    return None, False


def _rule(
    rule_id: str, findings: Sequence[Finding], rules: Mapping[str, RuleInfo]
) -> dict[str, Any]:
    info, tool_wide = _info(rules, findings[0])
    own_hint = next((f.hint for f in findings if f.hint), "")
    if info is None:
        summary, full, hint = rule_id, rule_id, own_hint or rule_id
    elif tool_wide:
        summary = f"{rule_id}: {info.summary}"
        full, hint = info.description or summary, own_hint or info.hint or rule_id
    else:
        summary, full, hint = info.summary, info.description or info.summary, info.hint
    worst = max((f.severity for f in findings), key=lambda s: s.rank)
    properties: dict[str, Any] = {"security-severity": SECURITY_SEVERITY[worst]}
    if info is not None and info.security:
        properties["tags"] = ["security"]
    rule: dict[str, Any] = {
        "id": rule_id,
        "shortDescription": {"text": summary},
        "fullDescription": {"text": full},
        "help": {"text": hint or rule_id},
    }
    if info is not None and info.help_uri:
        rule["helpUri"] = info.help_uri
    rule["properties"] = properties
    return rule


def _result(f: Finding) -> dict[str, Any]:
    region: dict[str, int] = {"startLine": f.location.line or 1}
    if f.location.line is not None and f.location.column is not None:
        region["startColumn"] = f.location.column
    physical: dict[str, Any] = {
        # A path is not a URI: percent-encode spaces, `#`, `?`, `%`, `:`, non-ASCII.
        "artifactLocation": {"uri": quote(f.location.file, safe="/"), "uriBaseId": "%SRCROOT%"},
        "region": region,
    }
    result: dict[str, Any] = {
        "ruleId": f.qualified_id,
        "level": "error" if f.severity is Severity.ERROR else "warning",
        "message": {"text": headline(f) + (f" (hint: {f.hint})" if f.hint else "")},
        "locations": [{"physicalLocation": physical}],
    }
    if f.target:
        result["properties"] = {"target": f.target}
    return result


def render(report: Report) -> str:
    """One run; one described rule per qualified check id; every result located with a line."""
    by_rule: dict[str, list[Finding]] = {}
    for f in report.findings:
        by_rule.setdefault(f.qualified_id, []).append(f)
    sarif = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "kuberay-gitops",
                        "version": __version__,
                        "rules": [
                            _rule(rule_id, by_rule[rule_id], report.rules)
                            for rule_id in sorted(by_rule)
                        ],
                    }
                },
                "results": [_result(f) for f in report.findings],
            }
        ],
    }
    return json.dumps(sarif, indent=2) + "\n"
