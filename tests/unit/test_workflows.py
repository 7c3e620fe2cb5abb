"""GitHub workflows: schema-valid, SHA-pinned, not retired, least privilege, README targets only.

Every `uses:` is checked by one function, `problems`: a remote action is pinned by a 40-hex
commit SHA with a `# vX.Y.Z` comment naming the release, and that version (or a tag's) is
not in `.github/retired-actions.yaml`, the versions GitHub no longer runs. Comments are not
in the parsed YAML, so `uses:` lines are also scanned as text, and a test keeps the two
views equal.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted(
    p for p in (REPO / ".github" / "workflows").iterdir() if p.suffix in (".yaml", ".yml")
)
RETIRED_FILE = REPO / ".github" / "retired-actions.yaml"
README_TARGETS = {"setup", "validate", "test", "lint", "diff", "affected", "summary"}

Version = tuple[int, int, int]
# A floating tag (`v4`, `v4.2`) resolves to the newest release of its series.
_NEWEST = sys.maxsize

_SHA = re.compile(r"[0-9a-f]{40}")
_TAG = re.compile(r"v?(\d+)(?:\.(\d+))?(?:\.(\d+))?")
_COMMENT_VERSION = re.compile(r"v(\d+)\.(\d+)\.(\d+)(?:\s.*)?")
_ACTION = re.compile(r"[\w.-]+/[\w.-]+(?:/[\w./-]+)?")
_USES_LINE = re.compile(
    r"""^\s*(?:-\s+)?uses:\s*(?P<q>['"]?)(?P<ref>[^\s'"#]+)(?P=q)\s*(?:#\s*(?P<comment>.*?))?\s*$"""
)


@dataclass(frozen=True, slots=True)
class Uses:
    """One `uses:` line: the reference and the comment after it (without `#`)."""

    ref: str
    comment: str = ""
    line: int = 0


@dataclass(frozen=True, slots=True)
class Retired:
    """A retired version range of one action repository: `since <= version < below`."""

    action: str
    below: Version
    since: Version
    reason: str
    link: str


def _version(text: str) -> Version:
    m = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)", text)
    assert m, f"{RETIRED_FILE.name}: {text!r} is not X.Y.Z"
    return (int(m[1]), int(m[2]), int(m[3]))


def load_retired(path: Path = RETIRED_FILE) -> list[Retired]:
    data = yaml.safe_load(path.read_text())
    assert set(data) == {"retired"}, f"{path.name}: only the key `retired`"
    out = []
    for entry in data["retired"]:
        assert set(entry) <= {"action", "from", "below", "reason", "link"}, entry
        out.append(
            Retired(
                action=entry["action"],
                below=_version(entry["below"]),
                since=_version(entry.get("from", "0.0.0")),
                reason=" ".join(entry["reason"].split()),
                link=entry["link"],
            )
        )
    return out


def _show(v: Version) -> str:
    return "v" + ".".join("x" if part == _NEWEST else str(part) for part in v)


def problems(uses: Uses, retired: Sequence[Retired]) -> list[str]:
    """What is wrong with one `uses:` reference; empty when it is pinned, commented and current."""
    ref = uses.ref
    if ref.startswith("./"):
        return []  # an action of this repository: pinned by the checkout itself
    if ref.startswith("docker://"):
        ok = re.fullmatch(r"docker://[^@\s]+@sha256:[0-9a-f]{64}", ref)
        return [] if ok else [f"{ref}: a docker action must be pinned by its sha256 digest"]
    name, _, pin = ref.partition("@")
    if not _ACTION.fullmatch(name) or not pin:
        return [f"{ref}: not `owner/repo[/path]@ref`"]
    out: list[str] = []
    version: Version | None = None
    if _SHA.fullmatch(pin):
        m = _COMMENT_VERSION.fullmatch(uses.comment)
        if m:
            version = (int(m[1]), int(m[2]), int(m[3]))
        else:
            out.append(f"{ref}: a SHA pin needs a `# vX.Y.Z` comment naming its release")
    else:
        out.append(f"{ref}: not pinned by a 40-hex commit SHA (tags and branches move)")
        m = _TAG.fullmatch(pin)
        if m:
            version = (
                int(m[1]),
                int(m[2]) if m[2] is not None else _NEWEST,
                int(m[3]) if m[3] is not None else _NEWEST,
            )
    if version is not None:
        repo = "/".join(name.split("/")[:2])
        out += [
            f"{name} {_show(version)} is retired by GitHub: {r.reason} ({r.link}); "
            f"use {_show(r.below)} or later"
            for r in retired
            if r.action == repo and r.since <= version < r.below
        ]
    return out


def scan_uses(text: str) -> list[Uses]:
    """Every `uses:` line of a workflow, with its comment."""
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        m = _USES_LINE.match(line)
        if m:
            found.append(Uses(m["ref"], m["comment"] or "", number))
    return found


def _parsed_uses(data: dict[str, Any]) -> list[str]:
    refs = []
    for job in data["jobs"].values():
        if "uses" in job:  # a reusable workflow
            refs.append(job["uses"])
        refs += [s["uses"] for s in job.get("steps", []) if "uses" in s]
    return refs


def _schema() -> dict[str, Any]:
    vendor = resources.files("check_jsonschema") / "builtin_schemas" / "vendor"
    data: dict[str, Any] = json.loads((vendor / "github-workflows.json").read_text())
    return data


def _load(path: Path) -> dict[str, Any]:
    # YAML 1.1 reads the `on:` key as True; GitHub reads it as "on".
    data: dict[str, Any] = yaml.safe_load(path.read_text())
    if True in data:
        data["on"] = data.pop(True)
    return data


def test_there_are_pr_and_main_workflows() -> None:
    assert [p.name for p in WORKFLOWS] == ["main.yaml", "pr.yaml"]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_validates_against_the_github_workflow_schema(path: Path) -> None:
    jsonschema.Draft7Validator(_schema()).validate(_load(path))


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_uses_line_is_seen_by_the_line_scan(path: Path) -> None:
    # The comment check reads lines; this keeps it from missing a `uses:` the YAML has.
    scanned = [u.ref for u in scan_uses(path.read_text())]
    assert scanned
    assert sorted(scanned) == sorted(_parsed_uses(_load(path)))


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_action_is_sha_pinned_with_a_current_version_comment(path: Path) -> None:
    retired = load_retired()
    found = [
        f"{path.name}:{u.line}: {p}"
        for u in scan_uses(path.read_text())
        for p in problems(u, retired)
    ]
    assert found == []


def test_retired_list_entries_are_well_formed() -> None:
    retired = load_retired()
    assert retired
    for r in retired:
        assert re.fullmatch(r"[\w.-]+/[\w.-]+", r.action), r.action
        assert r.since < r.below, r
        assert r.reason, r
        assert r.link.startswith("https://"), r


_SHA_PIN = "0" * 40


@pytest.mark.parametrize(
    ("action", "version"),
    [
        ("actions/cache", "v4.1.2"),
        ("actions/cache", "v4.0.0"),
        ("actions/cache", "v3.3.3"),
        ("actions/cache", "v2.1.8"),
        ("actions/cache", "v1.2.1"),
        ("actions/cache/restore", "v4.1.2"),
        ("actions/upload-artifact", "v3.2.1"),
        ("actions/upload-artifact", "v2.3.1"),
        ("actions/download-artifact", "v3.0.2"),
        ("actions/download-artifact", "v1.0.0"),
        ("actions/checkout", "v1.2.0"),
        ("github/codeql-action/upload-sarif", "v2.28.1"),
        ("github/codeql-action/init", "v1.1.39"),
    ],
)
def test_a_retired_version_in_the_comment_of_a_sha_pin_is_reported(
    action: str, version: str
) -> None:
    uses = Uses(f"{action}@{_SHA_PIN}", f"{version}", 7)
    (problem,) = problems(uses, load_retired())
    assert problem.startswith(f"{action} {version} is retired by GitHub: ")


@pytest.mark.parametrize(
    ("action", "version"),
    [
        ("actions/cache", "v4.2.0"),
        ("actions/cache", "v4.3.0"),
        ("actions/cache", "v3.4.0"),
        ("actions/upload-artifact", "v4.4.3"),
        ("actions/checkout", "v4.2.2"),
        ("actions/checkout", "v5.0.0"),
        ("github/codeql-action/upload-sarif", "v3.27.0"),
        ("someone/cache", "v1.0.0"),
    ],
)
def test_a_supported_version_is_not_reported(action: str, version: str) -> None:
    assert problems(Uses(f"{action}@{_SHA_PIN}", version), load_retired()) == []


def test_a_retired_floating_tag_is_reported_as_unpinned_and_retired() -> None:
    assert problems(Uses("actions/upload-artifact@v3"), load_retired()) == [
        "actions/upload-artifact@v3: not pinned by a 40-hex commit SHA (tags and branches move)",
        "actions/upload-artifact v3.x.x is retired by GitHub: v1 and v2 retired 2024-06-30, "
        "v3 on 2025-01-30: jobs using them are failed by GitHub "
        "(https://github.blog/changelog/2024-04-16-deprecation-notice-v3-of-the-artifact-actions/)"
        "; use v4.0.0 or later",
    ]


def test_a_floating_major_tag_is_judged_by_the_newest_release_of_its_series() -> None:
    # actions/cache@v4 is v4.3.0 or later today, so only the pin is wrong.
    assert problems(Uses("actions/cache@v4"), load_retired()) == [
        "actions/cache@v4: not pinned by a 40-hex commit SHA (tags and branches move)"
    ]
    (_, retired) = problems(Uses("actions/cache@v4.1"), load_retired())
    assert retired.startswith("actions/cache v4.1.x is retired by GitHub: ")


@pytest.mark.parametrize(
    ("uses", "expected"),
    [
        (
            Uses(f"actions/cache@{_SHA_PIN}"),
            f"actions/cache@{_SHA_PIN}: a SHA pin needs a `# vX.Y.Z` comment naming its release",
        ),
        (
            Uses(f"actions/cache@{_SHA_PIN}", "v4"),
            f"actions/cache@{_SHA_PIN}: a SHA pin needs a `# vX.Y.Z` comment naming its release",
        ),
        (
            Uses("some-org/some-action@main"),
            "some-org/some-action@main: not pinned by a 40-hex commit SHA (tags and branches move)",
        ),
        (
            Uses(f"some-org/some-action@{_SHA_PIN[:7]}", "v1.0.0"),
            f"some-org/some-action@{_SHA_PIN[:7]}: not pinned by a 40-hex commit SHA "
            "(tags and branches move)",
        ),
        (
            Uses("docker://alpine:3.20"),
            "docker://alpine:3.20: a docker action must be pinned by its sha256 digest",
        ),
        (Uses("some-action"), "some-action: not `owner/repo[/path]@ref`"),
    ],
    ids=["no-comment", "comment-without-patch", "branch", "short-sha", "docker-tag", "no-ref"],
)
def test_an_unpinned_or_uncommented_action_is_reported(uses: Uses, expected: str) -> None:
    assert problems(uses, load_retired()) == [expected]


def test_local_actions_and_digest_pinned_docker_actions_pass() -> None:
    assert problems(Uses("./.github/actions/setup"), load_retired()) == []
    assert problems(Uses("docker://alpine@sha256:" + "a" * 64), load_retired()) == []


def test_line_scan_reads_the_comment_and_quoted_references() -> None:
    text = (
        "steps:\n"
        f"  - uses: actions/cache@{_SHA_PIN}  # v4.3.0\n"
        "  - name: x\n"
        "    uses: 'actions/checkout@v4'\n"
        "    # uses: not/a-step@v1\n"
    )
    assert scan_uses(text) == [
        Uses(f"actions/cache@{_SHA_PIN}", "v4.3.0", 2),
        Uses("actions/checkout@v4", "", 4),
    ]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_permissions_are_read_only_by_default(path: Path) -> None:
    data = _load(path)
    assert data["permissions"] == {"contents": "read"}
    for job in data["jobs"].values():
        extra = {k: v for k, v in job.get("permissions", {}).items() if v == "write"}
        assert set(extra) <= {"security-events"}


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_run_steps_call_only_readme_make_targets(path: Path) -> None:
    runs = [s["run"] for job in _load(path)["jobs"].values() for s in job["steps"] if "run" in s]
    readme = (REPO / "README.md").read_text()
    for run in runs:
        if run.startswith("scripts/fetch-shared.sh"):
            continue
        m = re.fullmatch(r"make (\w+)(?: .*)?", run.strip())
        assert m, run
        assert m.group(1) in README_TARGETS
        assert f"make {m.group(1)}" in readme


def _pr_jobs() -> dict[str, Any]:
    jobs: dict[str, Any] = _load(REPO / ".github/workflows/pr.yaml")["jobs"]
    return jobs


def _runs(job: Mapping[str, Any]) -> list[str]:
    return [str(s["run"]) for s in job["steps"] if "run" in s]


@pytest.mark.parametrize("name", ["validate", "validate-fan-out"])
def test_the_pr_verdict_comes_from_the_base_branch_and_the_pr_is_data(name: str) -> None:
    job = _pr_jobs()[name]
    checkouts = [
        s["with"] for s in job["steps"] if str(s.get("uses", "")).startswith("actions/checkout@")
    ]
    assert checkouts[0]["ref"] == "${{ github.base_ref }}"
    assert checkouts[0]["path"] == "base"
    assert checkouts[1]["path"] == "pr"
    assert all(c["persist-credentials"] is False for c in checkouts)
    assert job["defaults"]["run"]["working-directory"] == "base"
    judged = [
        r for r in _runs(job) if r.startswith(("make validate", "make diff", "make affected"))
    ]
    assert judged
    assert all(" PR=../pr" in r for r in judged), judged


def test_the_summary_job_reads_reports_only_never_the_pull_request() -> None:
    job = _pr_jobs()["summary"]
    checkouts = [
        s["with"] for s in job["steps"] if str(s.get("uses", "")).startswith("actions/checkout@")
    ]
    assert checkouts == [
        {"ref": "${{ github.base_ref }}", "path": "base", "persist-credentials": False}
    ]
    assert "permissions" not in job  # the workflow's read-only default
    assert _runs(job) == [
        'make summary REPORTS=reports EXPECT="$ENTRIES" SUMMARY="$GITHUB_STEP_SUMMARY"'
    ]


def test_one_job_or_the_fan_out_as_the_plan_says() -> None:
    jobs = _pr_jobs()
    validate = jobs["validate"]
    plan = next(s for s in validate["steps"] if s.get("id") == "plan")
    assert plan["run"].startswith("make affected PR=../pr ")
    assert "--format github-matrix --github-output" in plan["run"]
    assert set(validate["outputs"]) == {"fan-out", "entries", "matrix"}
    single = next(s for s in validate["steps"] if str(s.get("run", "")).startswith("make validate"))
    assert single["if"] == "steps.plan.outputs.fan-out == 'false'"
    fan = jobs["validate-fan-out"]
    assert fan["needs"] == "validate"
    assert fan["if"] == (
        "needs.validate.outputs.fan-out == 'true' && needs.validate.outputs.entries != '0'"
    )
    assert fan["strategy"] == {
        "fail-fast": False,
        "matrix": "${{ fromJSON(needs.validate.outputs.matrix) }}",
    }
    assert jobs["summary"]["needs"] == ["validate", "validate-fan-out"]
    assert jobs["summary"]["if"] == (
        "always() && needs.validate.outputs.fan-out == 'true' "
        "&& needs.validate.outputs.entries != '0'"
    )


def test_each_fanned_out_job_validates_its_targets_and_uploads_its_own_category() -> None:
    fan = _pr_jobs()["validate-fan-out"]
    (run,) = [r for r in _runs(fan) if r.startswith("make validate")]
    assert "--changed-since origin/$BASE_REF " in run
    assert run.endswith(' $TARGETS"')
    assert fan["env"]["TARGETS"] == "${{ join(matrix.targets, ' ') }}"
    sarif = next(s for s in fan["steps"] if "upload-sarif@" in str(s.get("uses", "")))
    assert sarif["with"]["category"] == "kuberay-gitops/${{ matrix.name }}"
    report = next(s for s in fan["steps"] if "upload-artifact@" in str(s.get("uses", "")))
    assert report["if"] == "always()"
    assert report["with"]["name"] == "kuberay-gitops-report-${{ matrix.name }}"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_no_run_step_pastes_an_expression_the_pull_request_shapes(path: Path) -> None:
    # Entry names and targets come from the pull request's content: they reach a shell
    # as environment variables only, never as `${{ }}` text in a script.
    for job in _load(path)["jobs"].values():
        for run in _runs(job):
            expressions = re.findall(r"\$\{\{(.*?)\}\}", run)
            assert all(e.strip() == "github.base_ref" for e in expressions), run
