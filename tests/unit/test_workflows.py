"""GitHub workflows: schema-valid, SHA-pinned, least privilege, README targets only."""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yaml"))
README_TARGETS = {"setup", "validate", "test", "lint", "diff"}


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
def test_every_action_is_pinned_by_commit_sha(path: Path) -> None:
    uses = [s["uses"] for job in _load(path)["jobs"].values() for s in job["steps"] if "uses" in s]
    assert uses
    assert [u for u in uses if not re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", u)] == []


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
