"""Every reporter, fed arbitrary strings in every field of every finding.

Contracts checked here:
- github: each finding is exactly one `::error|warning props::data` line inside the
  `::group::` of its target; data escapes `%`, CR, LF and properties also `:` and `,`
  (actions/toolkit), so a single-pass unescape gives back the original text;
- json: parses, and every documented key carries its field unchanged;
- sarif: valid against the SARIF 2.1.0 schema, `uri-reference` format included, with the
  file path percent-encoded (a path is not a URI), the message text intact, a region on
  every result, and each rule described from `Report.rules` as reporters/sarif.py says;
- text: one line per finding plus one per hint, no control characters (line breaks and
  terminal escapes in repository-controlled strings are shown escaped).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import unquote, urlsplit

import jsonschema
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from kuberay_gitops.findings import (
    Finding,
    Location,
    ObjectRef,
    Report,
    RuleInfo,
    Severity,
    TargetSummary,
)
from kuberay_gitops.reporters import REPORTERS, github, json_, sarif, text
from kuberay_gitops.reporters._common import headline, summary_line
from tests.property import PROPERTY
from tests.property.strategies import one_line_text, reports, tricky_text

SCHEMA = Path(__file__).resolve().parents[2] / ".tools" / "schemas" / "sarif-2.1.0.json"

AWKWARD = Report(
    findings=[
        Finding(
            Location("overlays/a b/#1?x=%41:é.yaml", 2, 1),
            "ports:x,y",
            Severity.WARNING,
            "50% done\r\nnext: a,b :: c",
            ObjectRef("Service", "ray\nhead", "ns:1"),
            ("data", "a\n::error::x", 0),
            "fix\x1b[2J it\u2028now",
            "checkov",
            "overlays/dev\n::endgroup::",
        )
    ],
    targets=[TargetSummary("overlays/dev", 1, True)],
)


def _single(file: str = "f.yaml", message: str = "m", target: str = "") -> Report:
    finding = Finding(Location(file), "c", Severity.ERROR, message, target=target)
    return Report(findings=[finding], targets=[])


def _message(f: Finding) -> str:
    return headline(f) + (f" (hint: {f.hint})" if f.hint else "")


# --- github ------------------------------------------------------------------------------

_DATA = {"%25": "%", "%0D": "\r", "%0A": "\n"}
_PROPERTY = {**_DATA, "%3A": ":", "%2C": ","}


def _unescape(value: str, table: dict[str, str]) -> str:
    """The inverse of the toolkit's escaping, in one pass (`%250A` is `%0A`, not LF)."""
    assert re.fullmatch(r"(?:[^%]|%25|%0D|%0A|%3A|%2C)*", value), value
    return re.sub("|".join(table), lambda m: table[m.group()], value)


def _annotation(line: str) -> tuple[str, dict[str, str], str]:
    match = re.fullmatch(r"::(error|warning) ([^:]*)::(.*)", line, re.DOTALL)
    assert match, line
    level, props, data = match.groups()
    assert not set(data) & {"\r", "\n"}
    assert not set(props) & {"\r", "\n", ":"}
    parsed = {}
    for prop in props.split(","):
        key, _, value = prop.partition("=")
        parsed[key] = _unescape(value, _PROPERTY)
    return level, parsed, _unescape(data, _DATA)


def _expected_annotation(f: Finding) -> tuple[str, dict[str, str], str]:
    props = {"file": f.location.file}
    if f.location.line is not None:
        props["line"] = str(f.location.line)
        if f.location.column is not None:
            props["col"] = str(f.location.column)
    props["title"] = f.qualified_id
    return f.severity.value, props, _message(f)


@PROPERTY
@example(report=AWKWARD)
@given(report=reports(notes=one_line_text))
def test_github_report_is_one_escaped_annotation_line_per_finding(report: Report) -> None:
    out = github.render(report)
    assert out.endswith("\n")
    assert "\r" not in out  # the runner splits lines on CR too
    lines = out[:-1].split("\n")
    expected: dict[str, list[tuple[str, dict[str, str], str]]] = {}
    for f in report.findings:
        expected.setdefault(f.target or "repository", []).append(_expected_annotation(f))
    groups: dict[str, list[tuple[str, dict[str, str], str]]] = {}
    i = 0
    for target in sorted(expected):
        assert lines[i].startswith("::group::")
        name = _unescape(lines[i].removeprefix("::group::"), _DATA)
        groups[name] = [_annotation(line) for line in lines[i + 1 : i + 1 + len(expected[target])]]
        i += 1 + len(expected[target])
        assert lines[i] == "::endgroup::"
        i += 1
    assert lines[i:] == [*report.notes, summary_line(report)]
    assert groups == expected  # same findings, in report order within each group


@PROPERTY
@given(value=tricky_text)
def test_github_escaping_is_reversible_and_leaves_no_separator(value: str) -> None:
    data, prop = github.escape_data(value), github.escape_property(value)
    assert not set(data) & {"\r", "\n"}
    assert not set(prop) & {"\r", "\n", ":", ","}
    assert _unescape(data, _DATA) == value
    assert _unescape(prop, _PROPERTY) == value


# --- json --------------------------------------------------------------------------------


def _expected_json(f: Finding) -> dict[str, Any]:
    return {
        "check": f.qualified_id,
        "severity": f.severity.value,
        "message": f.message,
        "hint": f.hint,
        "file": f.location.file,
        "line": f.location.line,
        "column": f.location.column,
        "kind": f.obj.kind if f.obj else None,
        "namespace": f.obj.namespace if f.obj else None,
        "name": f.obj.name if f.obj else None,
        "field": f.field_str or None,
        "source": f.source,
        "target": f.target or None,
    }


@PROPERTY
@example(report=AWKWARD)
@given(report=reports())
def test_json_report_round_trips_every_field(report: Report) -> None:
    data = json.loads(json_.render(report))
    assert data == {
        "version": json_.VERSION,
        "summary": {
            "targets": len(report.targets),
            "objects": report.objects,
            "errors": report.count(Severity.ERROR),
            "warnings": report.count(Severity.WARNING),
        },
        "targets": [
            {"path": t.path, "objects": t.objects, "rendered": t.rendered} for t in report.targets
        ],
        "clusters": [],
        "cluster_skipped": None,
        "findings": [_expected_json(f) for f in report.findings],
        "notes": list(report.notes),
    }


# --- sarif -------------------------------------------------------------------------------

# RFC 3986 URI-reference, for the schema's "uri" and "uri-reference" formats (jsonschema
# checks them only with optional packages that are not installed, so check them here).
_PCT = r"%[0-9A-Fa-f]{2}"
_UNRESERVED_SUB = r"A-Za-z0-9\-._~!$&'()*+,;="
_PCHAR = rf"(?:[{_UNRESERVED_SUB}:@]|{_PCT})"
_SEGMENT_NZ_NC = rf"(?:[{_UNRESERVED_SUB}@]|{_PCT})+"
_PATH = rf"(?:/{_PCHAR}*)*"
_QUERY = rf"(?:{_PCHAR}|[/?])*"
_AUTHORITY = (
    rf"(?:(?:[{_UNRESERVED_SUB}:]|{_PCT})*@)?"
    rf"(?:\[[0-9A-Fa-f:.]+\]|(?:[{_UNRESERVED_SUB}]|{_PCT})*)(?::[0-9]*)?"
)
_TAIL = rf"(?:\?{_QUERY})?(?:#{_QUERY})?"
URI = rf"[A-Za-z][A-Za-z0-9+\-.]*:(?://{_AUTHORITY}{_PATH}|/?(?:{_PCHAR}+{_PATH})?){_TAIL}"


def _relative_ref(value: str) -> bool:
    # A relative path's first segment may not hold ":" (it would read as a scheme).
    path = rf"(?:{_SEGMENT_NZ_NC})?{_PATH}{_TAIL}"
    network = rf"//{_AUTHORITY}{_PATH}{_TAIL}"
    return bool(re.fullmatch(path, value) or re.fullmatch(network, value))


def _validator() -> jsonschema.Draft4Validator:
    if not SCHEMA.is_file():
        pytest.fail(f"{SCHEMA.name} missing from .tools/schemas: run `make setup`")
    checker = jsonschema.FormatChecker()
    checker.checks("uri")(lambda v: not isinstance(v, str) or bool(re.fullmatch(URI, v)))
    checker.checks("uri-reference")(
        lambda v: not isinstance(v, str) or bool(re.fullmatch(URI, v)) or _relative_ref(v)
    )
    return jsonschema.Draft4Validator(json.loads(SCHEMA.read_text()), format_checker=checker)


VALIDATOR: list[jsonschema.Draft4Validator] = []  # built once, on first use


def _validate(document: object) -> None:
    if not VALIDATOR:
        VALIDATOR.append(_validator())
    VALIDATOR[0].validate(document)


def test_uri_reference_check_rejects_what_the_schema_format_rejects() -> None:
    for bad in ("a b.yaml", "a%zz", "a:b/c.yaml\x00", "é.yaml", "x\n"):
        with pytest.raises(jsonschema.ValidationError):
            _validate({"version": "2.1.0", "runs": [_run_with_uri(bad)]})
    _validate({"version": "2.1.0", "runs": [_run_with_uri("overlays/a%20b/%23x.yaml")]})


def _run_with_uri(uri: str) -> dict[str, Any]:
    physical = {"artifactLocation": {"uri": uri}}
    result = {"message": {"text": "m"}, "locations": [{"physicalLocation": physical}]}
    return {"tool": {"driver": {"name": "t"}}, "results": [result]}


@PROPERTY
@example(report=AWKWARD)
@example(report=_single(file='"'))  # used to be copied into the URI unencoded (fixed)
@example(report=_single(file="a%41.yaml"))  # %41 read back as "A" before the fix
@given(report=reports())
def test_sarif_report_is_schema_valid_and_keeps_messages_and_paths(report: Report) -> None:
    document = json.loads(sarif.render(report))
    _validate(document)
    (run,) = document["runs"]
    rules = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert rules == sorted({f.qualified_id for f in report.findings})
    assert len(run["results"]) == len(report.findings)
    for f, result in zip(report.findings, run["results"], strict=True):
        assert result["ruleId"] == f.qualified_id
        assert result["level"] == ("error" if f.severity is Severity.ERROR else "warning")
        assert result["message"]["text"] == _message(f)
        (location,) = result["locations"]
        artifact = location["physicalLocation"]["artifactLocation"]
        assert artifact["uriBaseId"] == "%SRCROOT%"
        assert unquote(artifact["uri"], errors="strict") == f.location.file
        if not f.location.file.startswith("/"):  # repo-relative: a path and nothing else
            parts = urlsplit(artifact["uri"])
            assert (parts.scheme, parts.netloc, parts.query, parts.fragment) == ("", "", "", "")
        region = location["physicalLocation"]["region"]  # always: code scanning needs a line
        assert region["startLine"] == (f.location.line or 1)
        assert region.get("startColumn") == (
            f.location.column if f.location.line is not None else None
        )
        assert result.get("properties", {}).get("target", "") == f.target


_URIS = (
    "",
    "https://github.com/o/r/blob/HEAD/docs/checks.md#ports-reserved",
    "https://www.checkov.io/5.Policy%20Index/kubernetes.html",
)
rule_infos = st.builds(
    RuleInfo,
    summary=tricky_text,
    description=tricky_text,
    hint=tricky_text,
    help_uri=st.sampled_from(_URIS),
    security=st.booleans(),
)


@st.composite
def described_reports(draw: st.DrawFn) -> Report:
    """A report whose rules describe some of its findings: by id, base id or tool-wide."""
    report = draw(reports())
    rules: dict[str, RuleInfo] = {}
    for f in report.findings:
        key = draw(
            st.sampled_from(
                [None, f.qualified_id, f.qualified_id.split("[", 1)[0], f"{f.source}/*"]
            )
        )
        if key is not None:
            rules[key] = draw(rule_infos)
    return replace(report, rules=MappingProxyType(rules))


def _expected_rule(rule_id: str, fs: list[Finding], rules: Mapping[str, RuleInfo]) -> Any:
    """The module docstring of reporters/sarif.py, as an oracle."""
    first = fs[0]
    info, tool_wide = None, False
    if rule_id in rules:
        info = rules[rule_id]
    elif rule_id.split("[", 1)[0] in rules:
        info = rules[rule_id.split("[", 1)[0]]
    elif first.source != "kuberay-gitops" and f"{first.source}/*" in rules:
        info, tool_wide = rules[f"{first.source}/*"], True
    own_hint = next((f.hint for f in fs if f.hint), "")
    if info is None:
        texts = (rule_id, rule_id, own_hint or rule_id)
    elif tool_wide:
        summary = f"{rule_id}: {info.summary}"
        texts = (summary, info.description or summary, own_hint or info.hint or rule_id)
    else:
        texts = (info.summary, info.description or info.summary, info.hint or rule_id)
    expected: dict[str, Any] = {
        "id": rule_id,
        "shortDescription": {"text": texts[0]},
        "fullDescription": {"text": texts[1]},
        "help": {"text": texts[2]},
    }
    if info is not None and info.help_uri:
        expected["helpUri"] = info.help_uri
    error = any(f.severity is Severity.ERROR for f in fs)
    expected["properties"] = {"security-severity": "8.0" if error else "5.0"}
    if info is not None and info.security:
        expected["properties"]["tags"] = ["security"]
    return expected


@PROPERTY
@given(report=described_reports())
def test_sarif_rules_are_described_from_the_report_rules(report: Report) -> None:
    document = json.loads(sarif.render(report))
    _validate(document)
    by_rule: dict[str, list[Finding]] = {}
    for f in report.findings:
        by_rule.setdefault(f.qualified_id, []).append(f)
    assert document["runs"][0]["tool"]["driver"]["rules"] == [
        _expected_rule(rule_id, by_rule[rule_id], report.rules) for rule_id in sorted(by_rule)
    ]
    assert sarif.render(report) == sarif.render(report)  # deterministic


# --- text --------------------------------------------------------------------------------


def _printable(line: str) -> bool:
    return all(ch == "\t" or unicodedata.category(ch) not in {"Cc", "Zl", "Zp"} for ch in line)


@PROPERTY
@example(report=AWKWARD)
@example(report=_single(target="\x85"))  # NEL: a line break to str.splitlines() (fixed)
@example(report=_single(message="a\nb"))  # used to spread one finding over two lines
@given(report=reports(notes=one_line_text))
def test_text_report_is_one_line_per_finding_plus_one_per_hint(report: Report) -> None:
    out = text.render(report)
    assert out.endswith("\n")
    lines = out.splitlines()
    groups: dict[str, list[Finding]] = {}
    for f in report.findings:
        groups.setdefault(f.target or "repository", []).append(f)
    expected_count = sum(1 + len(fs) + sum(1 for f in fs if f.hint) for fs in groups.values())
    assert len(lines) == expected_count + len(report.notes) + 1
    i = 0
    for target in sorted(groups):
        assert lines[i] == f"== {text.escape_controls(target)}"
        i += 1
        for f in groups[target]:
            assert lines[i].startswith(
                f"{text.escape_controls(str(f.location))}: {f.severity.value} "
                f"[{text.escape_controls(f.qualified_id)}] "
            )
            assert _printable(lines[i])
            i += 1
            if f.hint:
                assert lines[i] == f"    hint: {text.escape_controls(f.hint)}"
                assert _printable(lines[i])
                i += 1
    assert lines[i:] == [*report.notes, summary_line(report)]


@PROPERTY
@example(value="a\r\nb\x1b[2J\u2028c\x85")
@given(value=tricky_text)
def test_text_escape_controls_escapes_exactly_the_control_characters(value: str) -> None:
    escaped = text.escape_controls(value)
    assert _printable(escaped)
    assert len(escaped.splitlines()) <= 1
    if _printable(value):
        assert escaped == value


# --- all reporters -----------------------------------------------------------------------


@PROPERTY
@given(report=reports())
def test_every_registered_reporter_renders_any_report_as_newline_terminated_text(
    report: Report,
) -> None:
    assert set(REPORTERS) == {"text", "github", "json", "sarif"}  # a new one needs a test here
    for name, render in REPORTERS.items():
        out = render(report)
        assert isinstance(out, str), name
        assert out.endswith("\n"), name
