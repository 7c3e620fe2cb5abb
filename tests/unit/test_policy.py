"""policy.changes: each weakening of the base branch's policy by a pull request is named."""

from __future__ import annotations

import os
from pathlib import Path

from kuberay_gitops import policy
from tests.conftest import REPO_ROOT

TOOLCHAIN = (REPO_ROOT / "toolchain.env").read_text()


def _checkout(root: Path, config: str) -> Path:
    root.mkdir(parents=True)
    (root / "toolchain.env").write_text(TOOLCHAIN)
    (root / "kuberay-gitops.yaml").write_text(config)
    return root


def _messages(tmp_path: Path, base: str, head: str) -> list[tuple[int, str, str]]:
    found = policy.changes(_checkout(tmp_path / "b", base), _checkout(tmp_path / "h", head))
    return [(f.location.line or 0, f.severity.value, f.message) for f in found]


def test_an_unchanged_policy_has_no_finding(tmp_path: Path) -> None:
    config = "checks:\n  ports-reserved:\n    severity: error\n"
    assert _messages(tmp_path, config, config) == []


def test_removing_a_raised_severity_is_a_downgrade(tmp_path: Path) -> None:
    base = "checks:\n  netpol-unused-port:\n    severity: error\n"
    assert _messages(tmp_path, base, "checks: {}\n") == [
        (1, "warning", "check netpol-unused-port is downgraded from error to warning")
    ]


def test_a_changed_repo_url_and_timeouts_are_named(tmp_path: Path) -> None:
    base = "argocd:\n  repo_url: https://github.com/org/repo.git\n"
    head = (
        "argocd:\n  repo_url: https://github.com/attacker/other.git\n"
        "render:\n  timeout_seconds: 1\n"
    )
    messages = [m for _, _, m in _messages(tmp_path, base, head)]
    assert any(m.startswith("argocd.repo_url changes") for m in messages), messages
    assert any(m.startswith("render.timeout_seconds changes from 120.0 to 1.0") for m in messages)


def test_an_invalid_config_of_the_pull_request_blocks(tmp_path: Path) -> None:
    assert _messages(tmp_path, "checks: {}\n", "checks: [1]\n")[0][:2] == (1, "error")


def test_a_fifo_and_an_executable_bit_under_the_tool_are_named(tmp_path: Path) -> None:
    base = _checkout(tmp_path / "b", "checks: {}\n")
    head = _checkout(tmp_path / "h", "checks: {}\n")
    for root in (base, head):
        (root / ".ci").mkdir()
        (root / ".ci/run").write_text("make test\n")
    (head / ".ci/run").chmod(0o755)
    (head / "scripts").mkdir()
    os.mkfifo(head / "scripts/fifo")
    found = {(f.location.file, f.message) for f in policy.changes(base, head)}
    assert found == {(".ci/run", ".ci/run changes"), ("scripts/fifo", "scripts/fifo is added")}


def test_a_profile_downgrade_is_named_at_its_line(tmp_path: Path) -> None:
    base = "version: 1\nprofile: platform\n"
    head = "version: 1\nprofile: correctness\n"
    assert _messages(tmp_path, base, head) == [
        (
            2,
            "warning",
            "profile is downgraded from platform to correctness: the platform checks no longer run",
        )
    ]


def test_dropping_the_profile_key_is_a_downgrade_too(tmp_path: Path) -> None:
    assert _messages(tmp_path, "profile: platform\n", "version: 1\n") == [
        (
            1,
            "warning",
            "profile is downgraded from platform to correctness: the platform checks no longer run",
        )
    ]


def test_a_raised_render_memory_cap_is_named_at_its_key(tmp_path: Path) -> None:
    head = "render:\n  memory_limit_mib: 65536\n"
    assert _messages(tmp_path, "render: {}\n", head) == [
        (2, "warning", "render.memory_limit_mib changes from 2048 to 65536")
    ]


DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations:
    checkov.io/skip1: CKV_K8S_43=digest pin follows the mirror
"""


def _skips(tmp_path: Path, base: dict[str, str], head: dict[str, str]) -> list[tuple[str, int]]:
    roots = []
    for side, files in (("b", base), ("h", head)):
        root = _checkout(tmp_path / side, "checks: {}\n")
        for rel, text in files.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(text)
        roots.append(root)
    found = policy.changes(*roots)
    return [(f.location.file, f.location.line or 0, f.message) for f in found]


def test_a_checkov_skip_annotation_the_pr_adds_is_named_at_its_line(tmp_path: Path) -> None:
    head = DEPLOYMENT + "    bridgecrew.io/skip2: CKV_K8S_21=trust me\n"
    assert _skips(tmp_path, {"app/web.yaml": DEPLOYMENT}, {"app/web.yaml": head}) == [
        (
            "app/web.yaml",
            7,
            "checkov skip added by annotation (bridgecrew.io/skip2: CKV_K8S_21=trust me)",
        )
    ]


def test_a_checkov_skip_the_base_already_has_is_no_change(tmp_path: Path) -> None:
    files = {"app/web.yaml": DEPLOYMENT}
    assert _skips(tmp_path, files, files) == []


def test_a_checkov_skip_set_by_a_json_patch_in_a_kustomization_is_named(tmp_path: Path) -> None:
    kustomization = (
        "resources: [web.yaml]\npatches:\n  - target: {kind: Deployment}\n    patch: |-\n"
        "      - op: add\n        path: /metadata/annotations/checkov.io~1skip3\n"
        "        value: CKV_K8S_8=later\n"
    )
    head = {"app/web.yaml": DEPLOYMENT, "app/kustomization.yaml": kustomization}
    assert _skips(tmp_path, {"app/web.yaml": DEPLOYMENT}, head) == [
        (
            "app/kustomization.yaml",
            6,
            "checkov skip added by annotation (path: /metadata/annotations/checkov.io~1skip3)",
        )
    ]


def test_a_copy_of_an_existing_checkov_skip_in_the_same_file_is_named(tmp_path: Path) -> None:
    head = DEPLOYMENT + "---\n" + DEPLOYMENT.replace("name: web", "name: api")
    assert [
        r[:2] for r in _skips(tmp_path, {"app/web.yaml": DEPLOYMENT}, {"app/web.yaml": head})
    ] == [("app/web.yaml", 13)]


def test_a_posture_allow_entry_the_pr_adds_is_named_at_its_line(tmp_path: Path) -> None:
    head = (
        "checks: {}\nposture:\n  allow:\n    - facet: reachability\n      env: dev\n"
        "      match: 'pods of * can now reach *'\n      reason: trust me\n"
    )
    assert _messages(tmp_path, "checks: {}\n", head) == [
        (
            3,
            "warning",
            'posture.allow entry added: reachability widenings in dev matching "pods of * can '
            'now reach *" (trust me)',
        )
    ]
