"""`diff` and `validate --changed-since` against a base ref: real git, real kustomize."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from kuberay_gitops.diff import FieldChange, diff_values, normalised
from tests.conftest import KUSTOMIZATION, CliResult, WriteTree, config_text

SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: ray-head
  namespace: ray
spec:
  selector:
    app: ray
  ports:
    - name: client
      port: 10001
    - name: dashboard
      port: 8265
"""

PATCH = """\
apiVersion: v1
kind: Service
metadata:
  name: ray-head
  namespace: ray
  labels:
    env: {env}
"""

OVERLAY_WITH_PATCH = """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../../base
patches:
  - path: patch-service.yaml
"""

TREE = {
    "base/kustomization.yaml": KUSTOMIZATION.format(resources="  - service.yaml"),
    "base/service.yaml": SERVICE,
    "overlays/dev/kustomization.yaml": OVERLAY_WITH_PATCH,
    "overlays/dev/patch-service.yaml": PATCH.format(env="dev"),
    "overlays/prod/kustomization.yaml": KUSTOMIZATION.format(resources="  - ../../base"),
    "kuberay-gitops.yaml": config_text(targets=["overlays/*"]),
}

Run = Callable[..., CliResult]
FOUNDATION = ("--skip-checks", "--skip-checkov", "--no-cluster")


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false", *args],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def commit(root: Path, files: dict[str, str], message: str = "change") -> None:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)


@pytest.fixture
def repo(write_tree: WriteTree) -> Path:
    """TREE committed on `main`, with a `feature` branch checked out."""
    root = write_tree(TREE)
    git(root, "init", "-q", "-b", "main")
    commit(root, {}, "base")
    git(root, "checkout", "-q", "-b", "feature")
    return root


def test_diff_reports_a_changed_port_at_its_object_and_field(repo: Path, run_cli: Run) -> None:
    commit(repo, {"base/service.yaml": SERVICE.replace("port: 8265", "port: 8266")})
    result = run_cli("--repo", str(repo), "diff", "--base", "main")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:3] == [
        "== overlays/dev",
        "~ Service/ray/ray-head",
        "    ~ .spec.ports[1].port: 8265 → 8266",
    ]
    assert lines[3:6] == [
        "== overlays/prod",
        "~ Service/ray/ray-head",
        "    ~ .spec.ports[1].port: 8265 → 8266",
    ]
    assert lines[6].startswith("diff against main (merge base ")
    assert lines[6].endswith("): 2 targets affected: 2 changed, 0 unchanged, 0 failed to render")
    assert git(repo, "worktree", "list").count("\n") == 1  # the base worktree is gone


def test_diff_markdown_has_a_row_per_changed_field(repo: Path, run_cli: Run) -> None:
    commit(repo, {"overlays/dev/patch-service.yaml": PATCH.format(env="qa")})
    result = run_cli("--repo", str(repo), "diff", "--base", "main", "--format", "markdown")
    assert result.exit_code == 0, result.stderr
    assert "### `overlays/dev`" in result.stdout
    assert (
        '| ~ | `Service/ray/ray-head` | `.metadata.labels.env` | `"dev"` | `"qa"` |'
        in result.stdout.splitlines()
    )
    assert "overlays/prod" not in result.stdout


def test_diff_reports_added_objects_and_new_targets(repo: Path, run_cli: Run) -> None:
    configmap = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n  namespace: ray\n"
    commit(
        repo,
        {
            "overlays/qa/kustomization.yaml": KUSTOMIZATION.format(
                resources="  - ../../base\n  - configmap.yaml"
            ),
            "overlays/qa/configmap.yaml": configmap,
        },
    )
    result = run_cli("--repo", str(repo), "diff", "--base", "main")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[:3] == [
        "== overlays/qa (new target)",
        "+ ConfigMap/ray/extra",
        "+ Service/ray/ray-head",
    ]


def test_diff_reports_a_render_failure_instead_of_crashing(repo: Path, run_cli: Run) -> None:
    broken = OVERLAY_WITH_PATCH.replace("patch-service.yaml", "missing.yaml")
    commit(repo, {"overlays/dev/kustomization.yaml": broken})
    result = run_cli("--repo", str(repo), "diff", "--base", "main")
    assert result.exit_code == 0, result.stderr
    first = result.stdout.splitlines()[0]
    assert first.startswith("== overlays/dev: kustomize build failed in the working tree: ")
    assert "missing.yaml" in first
    assert "1 failed to render" in result.stdout


def test_diff_refuses_to_build_what_hardened_rendering_refuses(repo: Path, run_cli: Run) -> None:
    plugin = OVERLAY_WITH_PATCH + "transformers:\n  - transformer.yaml\n"
    commit(repo, {"overlays/dev/kustomization.yaml": plugin, "overlays/dev/transformer.yaml": ""})
    result = run_cli("--repo", str(repo), "diff", "--base", "main")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[0] == (
        "== overlays/dev: refused by hardened rendering in the working tree: [harden-plugins] "
        'overlays/dev/kustomization.yaml:8:5: transformers[0] "transformer.yaml" would run a '
        "kustomize plugin at build time; refused on untrusted input"
    )


def test_diff_with_no_affected_target_says_so(repo: Path, run_cli: Run) -> None:
    commit(repo, {"README.md": "docs\n"})
    result = run_cli("--repo", str(repo), "diff", "--base", "main")
    assert (result.exit_code, result.stdout) == (0, "no render target affected since main\n")


def test_validate_changed_since_validates_only_the_affected_target(
    repo: Path, run_cli: Run
) -> None:
    commit(repo, {"overlays/dev/patch-service.yaml": PATCH.format(env="qa")})
    result = run_cli(
        "--repo", str(repo), "validate", *FOUNDATION, "--changed-since", "main", "--format", "json"
    )
    assert result.exit_code == 0, result.stdout + result.stderr
    data = json.loads(result.stdout)
    assert data["targets"] == [{"path": "overlays/dev", "objects": 1, "rendered": True}]
    assert data["notes"] == ["(changed since main: 1 of 2 targets)"]
    text = run_cli("--repo", str(repo), "validate", *FOUNDATION, "--changed-since", "main")
    assert text.stdout.splitlines()[-2:] == [
        "(changed since main: 1 of 2 targets)",
        "checked 1 target, 1 object: 0 errors, 0 warnings; cluster stage skipped (--no-cluster)",
    ]


def test_validate_changed_since_lints_only_the_changed_files(repo: Path, run_cli: Run) -> None:
    git(repo, "checkout", "-q", "main")
    commit(repo, {"base/untouched.yaml": "key: value   \n"}, "a lint problem already on main")
    git(repo, "checkout", "-q", "-b", "feature-2")
    patch = PATCH.format(env="qa").replace("\n", "  \n", 1)
    commit(repo, {"overlays/dev/patch-service.yaml": patch})
    result = run_cli(
        "--repo", str(repo), "validate", *FOUNDATION, "--changed-since", "main", "--format", "json"
    )
    rows = [(f["check"], f["file"], f["line"]) for f in json.loads(result.stdout)["findings"]]
    assert rows == [("yamllint/trailing-spaces", "overlays/dev/patch-service.yaml", 1)]
    assert result.exit_code == 1


def test_validate_changed_since_with_nothing_affected_passes(repo: Path, run_cli: Run) -> None:
    commit(repo, {"README.md": "docs\n"})
    result = run_cli("--repo", str(repo), "validate", "--changed-since", "main", "--format", "text")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.endswith(
        "checked 1 changed file (no render target affected): 0 errors, 0 warnings\n"
    )


def test_changed_yaml_that_no_target_reads_is_still_linted_and_scanned(
    repo: Path, run_cli: Run
) -> None:
    token = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
    commit(repo, {"docs/example.yaml": f"token: {token}   \n"})
    result = run_cli("--repo", str(repo), "validate", "--changed-since", "main", "--format", "json")
    rows = {(f["check"], f["file"], f["line"]) for f in json.loads(result.stdout)["findings"]}
    assert ("yamllint/trailing-spaces", "docs/example.yaml", 1) in rows
    assert any(
        check.startswith("secret-") and file == "docs/example.yaml" for check, file, _ in rows
    )
    assert result.exit_code == 1


def test_named_list_elements_are_matched_by_name_not_index() -> None:
    old = {"ports": [{"name": "client", "port": 10001}, {"name": "dashboard", "port": 8265}]}
    new = {"ports": [{"name": "gcs", "port": 6379}, *old["ports"]]}
    assert list(diff_values(old, new)) == [
        FieldChange(("ports", 0), "added", new={"name": "gcs", "port": 6379})
    ]


def test_unkeyed_lists_are_compared_by_index_and_types_matter() -> None:
    old = {"args": ["--a", "--b"], "flag": 1}
    new = {"args": ["--a", "--c", "--d"], "flag": True}
    assert list(diff_values(old, new)) == [
        FieldChange(("args", 1), "changed", old="--b", new="--c"),
        FieldChange(("args", 2), "added", new="--d"),
        FieldChange(("flag",), "changed", old=1, new=True),
    ]


def test_reordered_named_elements_are_reported() -> None:
    old = {"containers": [{"name": "ray-head"}, {"name": "sidecar"}]}
    new = {"containers": [{"name": "sidecar"}, {"name": "ray-head"}]}
    assert list(diff_values(old, new)) == [
        FieldChange(("containers",), "reordered", ["ray-head", "sidecar"], ["sidecar", "ray-head"])
    ]


def _checkov_drivers() -> int:
    count = 0
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if b"kuberay_gitops.tools.checkov_driver" in cmdline.read_bytes():
                count += 1
        except OSError:
            continue
    return count


def test_the_early_started_checkov_is_cancelled_when_nothing_is_affected(
    repo: Path, run_cli: Run
) -> None:
    before = _checkov_drivers()
    commit(repo, {"README.md": "docs\n"})
    result = run_cli("--repo", str(repo), "validate", "--changed-since", "main")
    assert result.exit_code == 0
    assert _checkov_drivers() == before


def test_generated_objects_are_compared_without_what_every_run_makes_anew() -> None:
    body = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "rc-head-x7k2p",
            "uid": "1",
            "resourceVersion": "9",
            "labels": {"ray.io/serve": "false", "ray.io/cluster": "job-t4mz8"},
            "ownerReferences": [{"kind": "RayCluster", "name": "job-t4mz8", "uid": "2"}],
        },
        "spec": {"nodeName": "n", "containers": [{"name": "ray-head"}]},
        "status": {"phase": "Pending"},
    }
    assert normalised(body) == {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "rc-head-*",
            "labels": {"ray.io/cluster": "job-*"},
            "ownerReferences": [{"kind": "RayCluster", "name": "job-*"}],
        },
        "spec": {"containers": [{"name": "ray-head"}]},
    }


def test_a_name_that_only_looks_generated_is_kept() -> None:
    assert normalised({"metadata": {"name": "ray-head-aeiou"}})["metadata"]["name"] == (
        "ray-head-aeiou"  # vowels are not in the API server's random alphabet
    )
