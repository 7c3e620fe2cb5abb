"""Affected render targets from the kustomize graph, in temporary git repositories."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from kuberay_gitops.affected import (
    affected,
    changed_files,
    needs_base_tree,
    since,
)
from kuberay_gitops.discover import RenderTarget
from kuberay_gitops.filememo import RunCache
from kuberay_gitops.kgraph import dependencies
from kuberay_gitops.settings import load
from tests.conftest import KUSTOMIZATION, CliResult, WriteTree, config_text

SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: ray-head
  namespace: ray
spec:
  ports:
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

COMPONENT = """\
apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
patches:
  - path: patch-service-extra.yaml
"""

OVERLAY_WITH_PATCH = """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../../base
patches:
  - path: patch-service.yaml
"""

OVERLAY_WITH_COMPONENT = """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../../base
components:
  - ../../components/extra
"""

TREE = {
    "base/kustomization.yaml": KUSTOMIZATION.format(resources="  - service.yaml"),
    "base/service.yaml": SERVICE,
    "components/extra/kustomization.yaml": COMPONENT,
    "components/extra/patch-service-extra.yaml": PATCH.format(env="extra"),
    "overlays/dev/kustomization.yaml": OVERLAY_WITH_PATCH,
    "overlays/dev/patch-service.yaml": PATCH.format(env="dev"),
    "overlays/prod/kustomization.yaml": OVERLAY_WITH_COMPONENT,
    "overlays/staging/kustomization.yaml": KUSTOMIZATION.format(resources="  - ../../base"),
    "argocd/kustomization.yaml": KUSTOMIZATION.format(resources="  - appproject.yaml"),
    "argocd/appproject.yaml": "kind: AppProject\n",
    "docs/notes.md": "notes\n",
    "kuberay-gitops.yaml": config_text(targets=["overlays/*", "argocd"]),
}


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false", *args],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def commit_all(root: Path, message: str) -> None:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)


Repo = Callable[..., Path]


@pytest.fixture
def repo(write_tree: WriteTree) -> Repo:
    """TREE (plus overrides) committed on `main`, then a `feature` branch checked out."""

    def make(**overrides: str) -> Path:
        root = write_tree({**TREE, **overrides})
        git(root, "init", "-q", "-b", "main")
        commit_all(root, "base")
        git(root, "checkout", "-q", "-b", "feature")
        return root

    return make


def change(root: Path, files: Mapping[str, str], commit: bool = True) -> None:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    if commit:
        commit_all(root, "change")


def affected_since_main(root: Path) -> list[str]:
    return [t.path for t in since(load(root, env={}), "main", RunCache()).targets]


def test_base_change_marks_every_overlay_using_it(repo: Repo) -> None:
    root = repo()
    change(root, {"base/service.yaml": SERVICE.replace("8265", "8266")})
    assert affected_since_main(root) == ["overlays/dev", "overlays/prod", "overlays/staging"]


def test_overlay_patch_change_marks_only_that_overlay(repo: Repo) -> None:
    root = repo()
    change(root, {"overlays/dev/patch-service.yaml": PATCH.format(env="dev2")})
    assert affected_since_main(root) == ["overlays/dev"]


def test_component_change_marks_its_users(repo: Repo) -> None:
    root = repo()
    change(root, {"components/extra/patch-service-extra.yaml": PATCH.format(env="x")})
    assert affected_since_main(root) == ["overlays/prod"]


def test_unrelated_file_marks_nothing(repo: Repo) -> None:
    root = repo()
    change(root, {"docs/notes.md": "changed\n", "overlays/dev/unused.yaml": "kind: X\n"})
    assert affected_since_main(root) == []


def test_uncommitted_and_untracked_changes_count(repo: Repo) -> None:
    root = repo()
    change(root, {"overlays/dev/patch-service.yaml": PATCH.format(env="wip")}, commit=False)
    change(root, {"components/extra/new.yaml": "kind: X\n"}, commit=False)
    assert changed_files(root, "main") == [
        "components/extra/new.yaml",
        "overlays/dev/patch-service.yaml",
    ]
    assert affected_since_main(root) == ["overlays/dev"]


def test_deleted_dependency_marks_its_former_users(repo: Repo) -> None:
    root = repo()
    (root / "overlays/dev/patch-service.yaml").rename(root / "overlays/dev/patch-svc.yaml")
    change(
        root, {"overlays/dev/kustomization.yaml": OVERLAY_WITH_PATCH.replace("-service", "-svc")}
    )
    assert changed_files(root, "main") == [
        "overlays/dev/kustomization.yaml",
        "overlays/dev/patch-service.yaml",
        "overlays/dev/patch-svc.yaml",
    ]
    targets = [RenderTarget("overlays/dev"), RenderTarget("overlays/prod")]
    gone = ["overlays/dev/patch-service.yaml"]
    assert affected(root, targets, gone, RunCache()) == []
    base_deps = {
        "overlays/dev": frozenset({"overlays/dev/patch-service.yaml"}),
        "overlays/prod": frozenset(),
    }
    assert affected(root, targets, gone, RunCache(), base_deps) == [RenderTarget("overlays/dev")]


def test_changes_on_the_base_branch_after_the_fork_are_not_ours(repo: Repo) -> None:
    root = repo()
    change(root, {"overlays/dev/patch-service.yaml": PATCH.format(env="mine")})
    git(root, "checkout", "-q", "main")
    change(root, {"components/extra/patch-service-extra.yaml": PATCH.format(env="theirs")})
    git(root, "checkout", "-q", "feature")
    assert changed_files(root, "main") == ["overlays/dev/patch-service.yaml"]
    assert affected_since_main(root) == ["overlays/dev"]


@pytest.mark.parametrize(
    "path",
    ["kuberay-gitops.yaml", ".yamllint", "toolchain.env"],
    ids=["config", "yamllint", "pins"],
)
def test_global_input_marks_every_target(repo: Repo, path: str) -> None:
    root = repo()
    change(root, {path: (root / path).read_text() + "# touched\n"})
    assert affected_since_main(root) == [
        "argocd",
        "overlays/dev",
        "overlays/prod",
        "overlays/staging",
    ]


def test_any_change_under_argocd_marks_the_argocd_target(repo: Repo) -> None:
    root = repo()
    change(root, {"argocd/bootstrap/application-root.yaml": "kind: Application\n"})
    assert affected_since_main(root) == ["argocd"]


def test_new_target_marks_itself_and_argocd(repo: Repo) -> None:
    root = repo()
    change(
        root, {"overlays/qa/kustomization.yaml": KUSTOMIZATION.format(resources="  - ../../base")}
    )
    assert affected_since_main(root) == ["argocd", "overlays/qa"]


def test_unparseable_kustomization_counts_its_whole_directory(write_tree: WriteTree) -> None:
    root = write_tree(
        {
            "overlays/dev/kustomization.yaml": KUSTOMIZATION.format(resources="  - ../../lib"),
            "lib/kustomization.yaml": "resources: [unclosed\n",
            "lib/anything.yaml": "kind: X\n",
        }
    )
    deps = dependencies(root, "overlays/dev", RunCache())
    assert {"lib/", "lib/anything.yaml", "lib/kustomization.yaml"} <= deps
    hit = affected(root, [RenderTarget("overlays/dev")], ["lib/added-later.yaml"], RunCache())
    assert hit == [RenderTarget("overlays/dev")]


def test_field_names_match_case_insensitively_as_kustomize_reads_them(
    write_tree: WriteTree,
) -> None:
    root = write_tree(
        {
            "overlays/dev/kustomization.yaml": "Resources: [svc.yaml]\nPATCHES: [{Path: p.yaml}]\n",
            "overlays/dev/svc.yaml": SERVICE,
            "overlays/dev/p.yaml": PATCH.format(env="dev"),
        }
    )
    deps = dependencies(root, "overlays/dev", RunCache())
    assert {"overlays/dev/svc.yaml", "overlays/dev/p.yaml"} <= deps
    assert "overlays/dev/" not in deps


def test_duplicate_keys_count_the_whole_directory(write_tree: WriteTree) -> None:
    # Which of two `resources:` keys wins is the decoder's choice: fail closed.
    root = write_tree(
        {
            "overlays/dev/kustomization.yaml": "resources: [a.yaml]\nresources: [b.yaml]\n",
            "overlays/dev/a.yaml": SERVICE,
        }
    )
    deps = dependencies(root, "overlays/dev", RunCache())
    assert {"overlays/dev/", "overlays/dev/a.yaml"} <= deps


def test_dependencies_follow_every_file_field_and_skip_remote_urls(write_tree: WriteTree) -> None:
    kustomization = """\
        apiVersion: kustomize.config.k8s.io/v1beta1
        kind: Kustomization
        resources:
          - https://github.com/ray-project/kuberay//ray-operator/config/crd?ref=v1.7.0
          - github.com/org/repo//path?ref=v1
          - svc.yaml
        bases: [../../lib]
        patches:
          - path: p1.yaml
          - patch: |-
              - op: remove
                path: /metadata/labels
        patchesStrategicMerge:
          - p2.yaml
          - |-
            kind: Service
        patchesJson6902:
          - path: p3.yaml
        configMapGenerator:
          - name: cm
            files: [code.py, key=renamed.txt]
            envs: [a.env]
        secretGenerator:
          - name: s
            env: b.env
        replacements:
          - path: r.yaml
        openapi:
          path: schema.json
        crds: [crd.json]
        configurations: [conf.yaml]
        transformers: [t.yaml]
        generators: [../../gen]
        """
    root = write_tree(
        {
            "overlays/dev/kustomization.yaml": kustomization,
            "lib/kustomization.yaml": KUSTOMIZATION.format(resources="  - lib.yaml"),
            "gen/kustomization.yaml": KUSTOMIZATION.format(resources="  - gen.yaml"),
        }
    )
    deps = {
        d
        for d in dependencies(root, "overlays/dev", RunCache())
        if not d.endswith(("kustomization.yml", "Kustomization"))
    }
    assert deps == {
        "overlays/dev/kustomization.yaml",
        *(
            f"overlays/dev/{f}"
            for f in (
                "svc.yaml",
                "p1.yaml",
                "p2.yaml",
                "p3.yaml",
                "code.py",
                "renamed.txt",
                "a.env",
                "b.env",
                "r.yaml",
                "schema.json",
                "crd.json",
                "conf.yaml",
                "t.yaml",
            )
        ),
        # missing on disk: a file or a directory appearing there would change the build
        "overlays/dev/svc.yaml/",
        "overlays/dev/t.yaml/",
        "lib/kustomization.yaml",
        "lib/lib.yaml",
        "lib/lib.yaml/",
        "gen/kustomization.yaml",
        "gen/gen.yaml",
        "gen/gen.yaml/",
    }


Run = Callable[..., CliResult]


def test_affected_command_prints_json(repo: Repo, run_cli: Run) -> None:
    root = repo()
    change(root, {"overlays/dev/patch-service.yaml": PATCH.format(env="dev2")})
    result = run_cli("--repo", str(root), "affected", "--base", "main", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {
        "base": "main",
        "changed": ["overlays/dev/patch-service.yaml"],
        "targets": ["overlays/dev"],
    }
    text = run_cli("--repo", str(root), "affected", "--base", "main")
    assert (text.exit_code, text.stdout) == (0, "overlays/dev\n")
    assert git(root, "worktree", "list").count("\n") == 1


def test_affected_command_unknown_base_is_a_usage_error(repo: Repo, run_cli: Run) -> None:
    root = repo()
    result = run_cli("--repo", str(root), "affected", "--base", "no-such-ref")
    assert result.exit_code == 2
    assert '"no-such-ref" names no commit of the repository' in result.stderr
    assert "Traceback" not in result.stderr


def test_an_edit_or_an_addition_needs_no_checkout_of_the_base(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("")
    (tmp_path / "new.yaml").write_text("")
    assert not needs_base_tree(tmp_path, ["a.yaml", "new.yaml"])


def test_a_deleted_path_needs_the_base_to_find_its_former_users(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("")
    assert needs_base_tree(tmp_path, ["a.yaml", "gone.yaml"])


def test_a_global_input_needs_no_base_because_everything_is_affected(tmp_path: Path) -> None:
    assert not needs_base_tree(tmp_path, [".yamllint", "gone.yaml"])
