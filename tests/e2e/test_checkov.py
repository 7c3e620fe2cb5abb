"""checkov on the rendered output: one run, findings located in the repository."""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
import yaml

from kuberay_gitops.exitcodes import ToolFailed, ToolNotFound
from kuberay_gitops.manifests import K8sObject, ref_of
from kuberay_gitops.tools import checkov
from kuberay_gitops.tools.runner import Started
from tests.conftest import CliResult, WriteTree, config_text, target_tree

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: apps
  annotations: {annotations}
spec:
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: web
          image: nginx:1.27.3
"""

Run = Callable[..., CliResult]
ONLY_CHECKOV = ("--skip-checks", "--skip-lint", "--skip-schema", "--no-cluster")


def _checkov_rows(result: CliResult) -> list[tuple[Any, ...]]:
    return [
        (f["check"], f["file"], f["line"], f["name"])
        for f in json.loads(result.stdout)["findings"]
        if f["source"] == "checkov"
    ]


def test_checkov_finding_is_located_at_the_container(write_tree: WriteTree, run_cli: Run) -> None:
    root = write_tree(target_tree({"t/deployment.yaml": DEPLOYMENT.format(annotations="{}")}))
    result = run_cli("--repo", str(root), "validate", *ONLY_CHECKOV, "--format", "json")
    assert result.exit_code == 1
    rows = _checkov_rows(result)
    assert ("checkov/CKV_K8S_12", "t/deployment.yaml", 17, "web") in rows  # memory requests


def test_checkov_skip_annotation_with_reason_still_works(
    write_tree: WriteTree, run_cli: Run
) -> None:
    annotations = "\n    checkov.io/skip1: CKV_K8S_12=fixture has no memory requests on purpose"
    root = write_tree(
        target_tree({"t/deployment.yaml": DEPLOYMENT.format(annotations=annotations)})
    )
    result = run_cli("--repo", str(root), "validate", *ONLY_CHECKOV, "--format", "json")
    checks = {row[0] for row in _checkov_rows(result)}
    assert "checkov/CKV_K8S_11" in checks
    assert "checkov/CKV_K8S_12" not in checks


def test_checkov_skip_in_the_config_needs_a_reason_and_applies(
    write_tree: WriteTree, run_cli: Run
) -> None:
    config = config_text(extra="checkov:\n  skip:\n    - id: CKV_K8S_12\n      reason: test\n")
    root = write_tree(
        target_tree(
            {
                "t/deployment.yaml": DEPLOYMENT.format(annotations="{}"),
                "kuberay-gitops.yaml": config,
            }
        )
    )
    result = run_cli("--repo", str(root), "validate", *ONLY_CHECKOV, "--format", "json")
    assert "checkov/CKV_K8S_12" not in {row[0] for row in _checkov_rows(result)}


def test_a_partial_checkov_scan_is_a_tool_failure_never_a_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hidden = tmp_path / ".hidden"  # checkov skips every file below a hidden directory
    hidden.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(hidden))
    body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}}
    obj = K8sObject(ref_of(body), body, "t", 0)
    with pytest.raises(ToolFailed, match="checkov read 0 of the 1 objects"):
        checkov.scan([obj], checkov.start([]), timeout=300)


def _deployment(memory: str | None = None) -> K8sObject:
    """The Deployment above as a rendered object; `memory` sets its memory request."""
    body = yaml.safe_load(DEPLOYMENT.format(annotations="{}"))
    if memory is not None:
        body["spec"]["template"]["spec"]["containers"][0]["resources"] = {
            "requests": {"memory": memory}
        }
    return K8sObject(ref_of(body), body, "t", 0)


def _verdicts(results: list[checkov.CheckovResult]) -> set[tuple[str, str, tuple[Any, ...]]]:
    return {(r.check_id, r.obj.ref.name, r.field) for r in results}


def _no_checkov(skip_checks: object) -> Started:
    raise AssertionError("checkov was started for a target whose verdicts are cached")


def test_a_target_seen_before_gets_its_verdicts_without_a_checkov_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = checkov.scan_cached({"t": [_deployment()]}, [], 300, tmp_path)
    assert "CKV_K8S_12" in {r.check_id for r in first}
    monkeypatch.setattr(checkov, "start", _no_checkov)
    again = checkov.scan_cached({"t": [_deployment()]}, [], 300, tmp_path)
    assert _verdicts(again) == _verdicts(first)
    fresh = _deployment()
    assert all(r.obj is fresh for r in checkov.scan_cached({"t": [fresh]}, [], 300, tmp_path))


def test_a_changed_object_is_scanned_again(tmp_path: Path) -> None:
    checkov.scan_cached({"t": [_deployment()]}, [], 300, tmp_path)
    changed = checkov.scan_cached({"t": [_deployment(memory="64Mi")]}, [], 300, tmp_path)
    assert "CKV_K8S_12" not in {r.check_id for r in changed}  # the memory request is set
    assert "CKV_K8S_11" in {r.check_id for r in changed}  # the CPU limit is still missing


def test_another_skip_list_is_another_verdict(tmp_path: Path) -> None:
    checkov.scan_cached({"t": [_deployment()]}, [], 300, tmp_path)
    skipped = checkov.scan_cached({"t": [_deployment()]}, ["CKV_K8S_12"], 300, tmp_path)
    assert "CKV_K8S_12" not in {r.check_id for r in skipped}
    assert "CKV_K8S_11" in {r.check_id for r in skipped}


def test_an_unreadable_entry_is_a_miss_never_a_pass(tmp_path: Path) -> None:
    first = checkov.scan_cached({"t": [_deployment()]}, [], 300, tmp_path)
    entries = list((tmp_path / checkov.CACHE_DIR).rglob("*.json"))
    assert len(entries) == 1
    entries[0].write_text('[[7, "CKV_K8S_12"')  # truncated, and out of range
    again = checkov.scan_cached({"t": [_deployment()]}, [], 300, tmp_path)
    assert _verdicts(again) == _verdicts(first)


def test_without_a_cache_directory_nothing_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    results = checkov.scan_cached({"t": [_deployment()]}, [], 300, None)
    assert "CKV_K8S_12" in {r.check_id for r in results}
    assert list(tmp_path.iterdir()) == []


def test_a_missing_checkov_is_the_set_up_instruction(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def not_installed(name: str) -> str:
        raise metadata.PackageNotFoundError(name)

    # checkov absent from the environment: neither its console script nor its metadata
    monkeypatch.setattr(sys, "executable", str(tmp_path / "bin" / "python"))
    monkeypatch.setattr(metadata, "version", not_installed)
    with pytest.raises(ToolNotFound, match="run `make setup`"):
        checkov.scan_cached({"t": [_deployment()]}, [], 300, tmp_path)


def test_checkov_starts_early_only_when_no_stored_verdict_can_spare_it(tmp_path: Path) -> None:
    for cache in (None, tmp_path / "empty"):
        driver = checkov.early([], cache)
        assert driver is not None
        driver.cancel()
    (tmp_path / "warm" / checkov.CACHE_DIR).mkdir(parents=True)
    assert checkov.early([], tmp_path / "warm") is None


def test_an_early_driver_scans_what_the_cache_misses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    driver = checkov.early([], None)
    assert driver is not None
    monkeypatch.setattr(checkov, "start", _no_checkov)  # only the early driver may run
    found = checkov.scan_cached({"t": [_deployment()]}, [], 300, tmp_path, driver)
    assert "CKV_K8S_12" in {r.check_id for r in found}
    assert driver.proc.poll() is not None


def test_an_early_driver_nothing_needs_is_stopped(tmp_path: Path) -> None:
    checkov.scan_cached({"t": [_deployment()]}, [], 300, tmp_path)
    driver = checkov.early([], None)
    assert driver is not None
    found = checkov.scan_cached({"t": [_deployment()]}, [], 300, tmp_path, driver)
    assert "CKV_K8S_12" in {r.check_id for r in found}
    assert driver.proc.poll() is not None  # stopped, not left running
