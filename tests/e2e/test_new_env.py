"""`kuberay-gitops new-env NAME --from ENV` on a copy of the real repository, through the CLI."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from kuberay_gitops_dev.mutation import copy_repository
from tests.conftest import REPO_ROOT, CliResult, config_text, require_setup

Run = Callable[..., CliResult]

APPSET_DIR = Path("argocd/applicationsets")
PROJECT = Path("argocd/projects/appproject-kuberay-platform.yaml")


def _real_config_sections() -> str:
    """The real config's policy and cluster sections (the port plan, the prerequisites)."""
    config = yaml.safe_load((REPO_ROOT / "kuberay-gitops.yaml").read_text())
    keep = {k: config[k] for k in ("argocd", "checks", "cluster") if k in config}
    return yaml.safe_dump(keep, sort_keys=False)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A copy of the real repository's manifests with a config using the real tools."""
    require_setup()
    copy_repository(REPO_ROOT, tmp_path)  # the config is replaced below
    (tmp_path / "kuberay-gitops.yaml").write_text(
        config_text(
            targets=["overlays/*/*", "apps/*/overlays/*", "argocd"],
            extra=_real_config_sections(),
        )
    )
    return tmp_path


def _snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _new_targets(root: Path, name: str) -> list[str]:
    apps = sorted(p for p in (root / "apps").glob(f"*/overlays/{name}"))
    return [str(root / "overlays" / name), *map(str, apps), str(root / "argocd")]


def _one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    return lines[0]


def test_new_env_creates_overlays_and_applicationset_that_validate(
    repo: Path, run_cli: Run
) -> None:
    result = run_cli("--repo", str(repo), "new-env", "qa", "--from", "staging")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "checkov skipped" in result.stderr
    assert "Traceback" not in result.stderr
    for unit in ("crds", "operator", "raycluster"):
        assert (repo / "overlays/qa" / unit / "kustomization.yaml").is_file()
    assert sorted(p.parent.parent.name for p in (repo / "apps").glob("*/overlays/qa")) == sorted(
        p.parent.parent.name for p in (repo / "apps").glob("*/overlays/staging")
    )
    appset = yaml.safe_load((repo / APPSET_DIR / "applicationset-kuberay-qa.yaml").read_text())
    assert appset["metadata"]["name"] == "kuberay-qa"
    assert appset["spec"]["template"]["spec"]["destination"]["name"] == "qa"
    targets = [e["target"] for e in appset["spec"]["generators"][0]["list"]["elements"]]
    assert targets == [
        "overlays/qa/crds",
        "overlays/qa/operator",
        "overlays/qa/raycluster",
        "apps/finetune-job/overlays/qa",
        "apps/serve-app/overlays/qa",
    ]
    kustomization = yaml.safe_load((repo / "argocd/kustomization.yaml").read_text())
    assert kustomization["resources"][-1] == "applicationsets/applicationset-kuberay-qa.yaml"
    destinations = yaml.safe_load((repo / PROJECT).read_text())["spec"]["destinations"]
    assert [d for d in destinations if d["name"] == "qa"] == [
        {"name": "qa", "namespace": "kuberay-system"},
        {"name": "qa", "namespace": "kuberay"},
    ]
    assert "argocd cluster add <kube-context> --name qa" in result.stdout
    assert "git commit" in result.stdout

    check = run_cli("--repo", str(repo), "validate", "--format", "text", *_new_targets(repo, "qa"))
    assert check.exit_code == 0, check.stdout + check.stderr
    summary = check.stdout.strip().splitlines()[-1]
    assert ": 0 errors, 0 warnings; cluster " in summary, summary
    assert "qa: " in summary  # the new environment was applied to its own twin


def test_new_env_keeps_comments_and_changes_only_env_values(repo: Path, run_cli: Run) -> None:
    result = run_cli("--repo", str(repo), "new-env", "qa", "--from", "staging")
    assert result.exit_code == 0, result.stdout + result.stderr
    # Overlays with no env value to rewrite are byte-for-byte copies, comments included.
    for src in sorted((repo / "overlays/staging").rglob("*.yaml")):
        copy = repo / "overlays/qa" / src.relative_to(repo / "overlays/staging")
        assert copy.read_bytes() == src.read_bytes(), copy
    staging = (repo / APPSET_DIR / "applicationset-kuberay-staging.yaml").read_text().splitlines()
    qa = (repo / APPSET_DIR / "applicationset-kuberay-qa.yaml").read_text().splitlines()
    assert (
        "  # One element per render target, in rollout order. `wave` mirrors the RollingSync step."
        in qa
    )
    assert "        name: qa                                          # env:" in qa
    assert len(qa) == len(staging)
    changed = [(old, new) for old, new in zip(staging, qa, strict=True) if old != new]
    assert changed
    assert all("# env:" in new or new == "  name: kuberay-qa" for _, new in changed), changed
    revision = [line for line in qa if "targetRevision:" in line]
    assert revision == [line for line in staging if "targetRevision:" in line]
    kustomization = (repo / "argocd/kustomization.yaml").read_text()
    assert "  # sync-wave 0: one ApplicationSet per environment" in kustomization
    assert "applicationset-kuberay-qa.yaml\n\nlabels:" in kustomization
    project = (repo / PROJECT).read_text()
    assert "    - name: qa\n      namespace: kuberay\n\n  # Cluster-scoped kinds" in project


def test_new_env_rewrites_env_values_in_copied_overlays(repo: Path, run_cli: Run) -> None:
    (repo / "overlays/staging/crds/kustomization.yaml").write_text(
        "# staging CRDs\n"
        "apiVersion: kustomize.config.k8s.io/v1beta1\n"
        "kind: Kustomization\n"
        "resources:\n"
        "  - ../../../base/crds\n"
        "labels:\n"
        "  - pairs:\n"
        "      kuberay-gitops/env: staging      # which environment\n"
        "      app.kubernetes.io/instance: crds-staging\n"
        "commonAnnotations:\n"
        '  example.com/environment: "staging"\n'
    )
    result = run_cli("--repo", str(repo), "new-env", "qa", "--from", "staging", "--dry-run")
    assert result.exit_code == 0, result.stdout + result.stderr
    section = result.stdout.split("=== would create overlays/qa/crds/kustomization.yaml\n")[1]
    assert section.split("===", 1)[0] == (
        "# staging CRDs\n"
        "apiVersion: kustomize.config.k8s.io/v1beta1\n"
        "kind: Kustomization\n"
        "resources:\n"
        "  - ../../../base/crds\n"
        "labels:\n"
        "  - pairs:\n"
        "      kuberay-gitops/env: qa           # which environment\n"
        "      app.kubernetes.io/instance: crds-qa\n"
        "commonAnnotations:\n"
        '  example.com/environment: "qa"\n'
    )


def test_new_env_dry_run_writes_nothing(repo: Path, run_cli: Run) -> None:
    before = _snapshot(repo)
    result = run_cli("--repo", str(repo), "new-env", "qa", "--from", "staging", "--dry-run")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert _snapshot(repo) == before
    assert "=== would create overlays/qa/crds/kustomization.yaml\n" in result.stdout
    assert (
        "=== would create argocd/applicationsets/applicationset-kuberay-qa.yaml\n" in result.stdout
    )
    assert "=== would change argocd/kustomization.yaml\n" in result.stdout
    assert "+  - applicationsets/applicationset-kuberay-qa.yaml\n" in result.stdout
    assert "nothing written" in result.stdout


def test_new_env_rolls_back_when_the_result_does_not_validate(repo: Path, run_cli: Run) -> None:
    broken = repo / "overlays/staging/crds/kustomization.yaml"
    broken.write_text(broken.read_text() + "  - missing.yaml\n")
    before = _snapshot(repo)
    result = run_cli("--repo", str(repo), "new-env", "qa", "--from", "staging")
    assert result.exit_code == 1, result.stdout + result.stderr
    assert "overlays/qa/crds/kustomization.yaml:1: error [render]" in result.stdout
    assert "rolled back" in result.stderr
    assert _snapshot(repo) == before
    assert not (repo / "overlays/qa").exists()
    assert not list((repo / "apps").glob("*/overlays/qa"))


@pytest.mark.parametrize(
    "name", ["QA_1", "qa-", "q" * 64], ids=["upper-underscore", "trailing-dash", "long"]
)
def test_new_env_rejects_a_name_that_is_not_a_dns_label(
    repo: Path, run_cli: Run, name: str
) -> None:
    before = _snapshot(repo)
    result = run_cli("--repo", str(repo), "new-env", name, "--from", "staging")
    assert result.exit_code == 2
    assert f'invalid environment name "{name}"' in _one_line(result.stderr)
    assert result.stdout == ""
    assert _snapshot(repo) == before


def test_new_env_rejects_an_unknown_source_environment(repo: Path, run_cli: Run) -> None:
    result = run_cli("--repo", str(repo), "new-env", "qa", "--from", "nope")
    assert result.exit_code == 2
    assert 'environment "nope" not found' in _one_line(result.stderr)


@pytest.mark.parametrize(
    "existing",
    [
        "overlays/qa",
        "apps/serve-app/overlays/qa",
        "argocd/applicationsets/applicationset-kuberay-qa.yaml",
    ],
    ids=["overlay", "app-overlay", "applicationset"],
)
def test_new_env_refuses_an_existing_environment(repo: Path, run_cli: Run, existing: str) -> None:
    path = repo / existing
    if path.suffix:
        path.write_text("# placeholder\n")
    else:
        path.mkdir()
    before = _snapshot(repo)
    result = run_cli("--repo", str(repo), "new-env", "qa", "--from", "staging")
    assert result.exit_code == 3
    line = _one_line(result.stderr)
    assert line.startswith("kuberay-gitops: error: ")
    assert existing in line
    assert "Traceback" not in result.stderr
    assert _snapshot(repo) == before


def test_new_env_targets_appear_in_affected(repo: Path, run_cli: Run) -> None:
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-qm", "base"], cwd=repo, check=True)
    assert run_cli("--repo", str(repo), "new-env", "qa", "--from", "staging").exit_code == 0
    # new-env also gives qa its cluster prerequisites in the config, a global input that
    # affects every target; commit it so that the manifests' own reach is what is measured.
    subprocess.run(["git", "add", "kuberay-gitops.yaml"], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-qm", "config"], cwd=repo, check=True)
    result = run_cli("--repo", str(repo), "affected", "--base", "HEAD", "--format", "json")
    assert result.exit_code == 0, result.stderr
    targets = json.loads(result.stdout)["targets"]
    assert {
        "overlays/qa/crds",
        "overlays/qa/operator",
        "overlays/qa/raycluster",
        "apps/finetune-job/overlays/qa",
        "apps/serve-app/overlays/qa",
        "argocd",
    } <= set(targets)
    assert "overlays/staging/raycluster" not in targets
