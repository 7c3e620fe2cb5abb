"""`affected --format github-matrix` and `merge-reports`: the PR workflow's fan-out.

Temporary git repositories with real kustomize: two environments, each an Argo CD
Application syncing one overlay, plus the Argo CD target itself.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from kuberay_gitops.affected import argocd_sources
from kuberay_gitops.discover import discover
from kuberay_gitops.filememo import RunCache
from kuberay_gitops.matrix import FAN_OUT_AT, FAN_OUT_AT_TWIN, Entry, entries, groups
from kuberay_gitops.settings import load
from tests.conftest import KUSTOMIZATION, REPO_ROOT, CliResult, WriteTree, config_text
from tests.unit.test_affected import (
    OVERLAY_WITH_PATCH,
    PATCH,
    SERVICE,
    change,
    commit_all,
    git,
)

REPO_URL = "https://git.example.invalid/platform/ray.git"

APPLICATION = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: ray-{env}
  namespace: argocd
spec:
  project: default
  source:
    repoURL: {url}
    targetRevision: main
    path: overlays/{env}
  destination:
    name: {env}
    namespace: ray
"""

TREE = {
    "base/kustomization.yaml": KUSTOMIZATION.format(resources="  - service.yaml"),
    "base/service.yaml": SERVICE,
    "overlays/dev/kustomization.yaml": KUSTOMIZATION.format(resources="  - ../../base"),
    "overlays/prod/kustomization.yaml": OVERLAY_WITH_PATCH,
    "overlays/prod/patch-service.yaml": PATCH.format(env="prod"),
    # Not synced by any Application: the no-environment entry.
    "overlays/lab/kustomization.yaml": KUSTOMIZATION.format(resources="  - ../../base"),
    "argocd/kustomization.yaml": KUSTOMIZATION.format(resources="  - applications.yaml"),
    "argocd/applications.yaml": "---\n".join(
        APPLICATION.format(env=e, url=REPO_URL) for e in ("dev", "prod")
    ),
    "docs/notes.md": "notes\n",
    "kuberay-gitops.yaml": config_text(
        targets=["overlays/*", "argocd"], extra=f"argocd:\n  repo_url: {REPO_URL}\n"
    ),
}

Run = Callable[..., CliResult]


@pytest.fixture
def repo(write_tree: WriteTree) -> Path:
    """TREE committed on `main`, then a `feature` branch checked out."""
    root = write_tree(TREE)
    git(root, "init", "-q", "-b", "main")
    commit_all(root, "base")
    git(root, "checkout", "-q", "-b", "feature")
    return root


def matrix(run_cli: Run, root: Path, *extra: str) -> CliResult:
    return run_cli(
        "--repo", str(root), "affected", "--base", "main", "--format", "github-matrix", *extra
    )


def test_a_base_change_gives_one_entry_per_environment(repo: Path, run_cli: Run) -> None:
    change(repo, {"base/service.yaml": SERVICE.replace("8265", "8266")})
    result = matrix(run_cli, repo, "--fan-out-at", "0")
    assert (result.exit_code, result.stderr) == (
        0,
        "2 environment(s), at or above the fan-out threshold of 0: 3 job(s)\n",
    )
    assert result.stdout == (
        '{"include":['
        '{"name":"dev","environments":["dev"],"targets":["overlays/dev"]},'
        '{"name":"prod","environments":["prod"],"targets":["overlays/prod"]},'
        '{"name":"no-environment","environments":[],"targets":["overlays/lab"]}'
        "]}\n"
    )


def test_an_argocd_change_is_the_entry_of_the_cluster_that_syncs_it(
    repo: Path, run_cli: Run
) -> None:
    # The root Application syncs argocd/ to the Argo CD cluster itself: `in-cluster`.
    root_app = (
        APPLICATION.format(env="x", url=REPO_URL)
        .replace("path: overlays/x", "path: argocd")
        .replace("name: x\n", "server: https://kubernetes.default.svc\n")
    )
    change(
        repo,
        {
            "argocd/applications.yaml": (repo / "argocd/applications.yaml").read_text()
            + "---\n"
            + root_app
        },
    )
    result = matrix(run_cli, repo, "--fan-out-at", "0")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {
        "include": [{"name": "in-cluster", "environments": ["in-cluster"], "targets": ["argocd"]}]
    }


def test_an_empty_change_gives_an_empty_matrix_and_the_github_output(
    repo: Path, run_cli: Run, tmp_path: Path
) -> None:
    change(repo, {"docs/notes.md": "changed\n"})
    out = tmp_path / "github-output"
    out.write_text("earlier=1\n")
    result = run_cli(
        "--repo", str(repo), "affected", "--base", "main", "--format", "github-matrix",
        "--fan-out-at", "2", "--github-output",
        env={"GITHUB_OUTPUT": str(out)},
    )  # fmt: skip
    assert (result.exit_code, result.stdout) == (0, '{"include":[]}\n')
    assert out.read_text() == 'earlier=1\nfan-out=true\nentries=0\nmatrix={"include":[]}\n'


def test_below_the_threshold_one_job_validates_everything(
    repo: Path, run_cli: Run, tmp_path: Path
) -> None:
    change(repo, {"overlays/prod/patch-service.yaml": PATCH.format(env="prod2")})
    out = tmp_path / "github-output"
    result = run_cli(
        "--repo", str(repo), "affected", "--base", "main", "--format", "github-matrix",
        "--github-output", env={"GITHUB_OUTPUT": str(out)},
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert result.stderr == (
        f"2 environment(s), below the fan-out threshold of {FAN_OUT_AT_TWIN}: "
        "one job validates the repository\n"
    )
    assert out.read_text() == (
        "fan-out=false\nentries=1\nmatrix="
        '{"include":[{"name":"prod","environments":["prod"],"targets":["overlays/prod"]}]}\n'
    )


def test_a_yaml_file_no_target_reads_gets_the_changed_files_entry(repo: Path, run_cli: Run) -> None:
    change(repo, {"overlays/dev/unused.yaml": "kind: X\n"})
    result = matrix(run_cli, repo, "--fan-out-at", "0")
    assert (result.exit_code, result.stdout) == (
        0,
        '{"include":[{"name":"changed-files","environments":[],"targets":[]}]}\n',
    )


def test_the_entries_cover_exactly_the_affected_targets(repo: Path, run_cli: Run) -> None:
    # A global input affects every target; one per shard, packed into two jobs.
    change(repo, {".yamllint": (repo / ".yamllint").read_text() + "# touched\n"})
    affected = run_cli("--repo", str(repo), "affected", "--base", "main", "--format", "json")
    expected = json.loads(affected.stdout)["targets"]
    assert expected == ["argocd", "overlays/dev", "overlays/lab", "overlays/prod"]
    for extra in ([], ["--shard-size", "1", "--max-jobs", "2"]):
        result = matrix(run_cli, repo, "--fan-out-at", "0", *extra)
        assert result.exit_code == 0, result.stderr
        listed = [t for e in json.loads(result.stdout)["include"] for t in e["targets"]]
        assert sorted(listed) == expected  # each once: none missing, none twice


def test_a_target_path_a_shell_could_split_is_refused(repo: Path, run_cli: Run) -> None:
    change(
        repo,
        {"overlays/x;id/kustomization.yaml": KUSTOMIZATION.format(resources="  - ../../base")},
    )
    result = matrix(run_cli, repo, "--fan-out-at", "0")
    assert result.exit_code == 3
    assert result.stderr == (
        'kuberay-gitops: error: render target "overlays/x;id" cannot be handed to a CI job '
        "safely: a path of letters, digits and `._-/` (no segment starting with `-`) is "
        "needed; rename the directory\n"
    )


def test_github_output_needs_the_matrix_format(repo: Path, run_cli: Run) -> None:
    result = run_cli("--repo", str(repo), "affected", "--base", "main", "--github-output")
    assert result.exit_code == 2
    assert "--github-output needs --format github-matrix" in result.stderr


# ------------------------------------------------------------------- grouping, pure


def test_a_target_nested_under_another_goes_with_it() -> None:
    # Validating `argocd` validates `argocd/bootstrap` too: one entry, never two.
    envs = {"in-cluster": frozenset({"argocd"}), "dev": frozenset({"overlays/dev"})}
    assert groups(["argocd/bootstrap", "argocd", "overlays/dev"], envs) == [
        ("dev", ("overlays/dev",)),
        ("in-cluster", ("argocd", "argocd/bootstrap")),
    ]


def test_a_target_in_two_environments_goes_to_the_first() -> None:
    envs = {"b": frozenset({"shared", "x"}), "a": frozenset({"shared"})}
    assert groups(["shared", "x"], envs) == [("a", ("shared",)), ("b", ("x",))]


def test_a_large_environment_is_sharded_and_many_are_packed() -> None:
    grouped = [("dev", ("d1", "d2", "d3", "d4", "d5")), ("prod", ("p1",)), ("qa", ("q1",))]
    assert entries(grouped, max_jobs=20, shard_size=2) == [
        Entry("dev-1of3", ("dev",), ("d1", "d2")),
        Entry("dev-2of3", ("dev",), ("d3", "d4")),
        Entry("dev-3of3", ("dev",), ("d5",)),
        Entry("prod", ("prod",), ("p1",)),
        Entry("qa", ("qa",), ("q1",)),
    ]
    assert entries(grouped, max_jobs=2, shard_size=10) == [
        Entry("dev..prod", ("dev", "prod"), ("d1", "d2", "d3", "d4", "d5", "p1")),
        Entry("qa", ("qa",), ("q1",)),
    ]


def test_entry_names_are_made_safe_and_unique() -> None:
    grouped = [("https://10.0.0.1:6443", ("a",)), ("HTTPS://10.0.0.1:6443/", ("b",))]
    assert [e.name for e in entries(grouped, max_jobs=20, shard_size=10)] == [
        "https-10.0.0.1-6443",
        "https-10.0.0.1-6443-2",
    ]


# ------------------------------------------------------------------- merge-reports


def _report(targets: int, findings: list[dict[str, object]]) -> str:
    errors = sum(1 for f in findings if f["severity"] == "error")
    return json.dumps(
        {
            "version": 1,
            "summary": {"targets": targets, "objects": 10 * targets, "errors": errors,
                        "warnings": 0},
            "targets": [],
            "clusters": [{"environment": "dev", "applied": 9, "generated": 3, "seconds": 1.0,
                          "cached": False}],
            "cluster_skipped": None,
            "findings": findings,
            "notes": [],
        }
    )  # fmt: skip


LINT = {
    "check": "yamllint/trailing-spaces",
    "severity": "error",
    "message": "trailing spaces | here",
    "hint": "",
    "file": "overlays/dev/x.yaml",
    "line": 3,
    "column": 1,
    "kind": None,
    "namespace": None,
    "name": None,
    "field": None,
    "source": "yamllint",
    "target": None,
}


def test_merged_reports_list_each_finding_once_and_fail(tmp_path: Path, run_cli: Run) -> None:
    for name in ("dev", "prod"):
        path = tmp_path / "reports" / f"kuberay-gitops-report-{name}" / "kuberay-gitops.json"
        path.parent.mkdir(parents=True)
        path.write_text(_report(2, [LINT]))  # a changed file: every job lints it
    result = run_cli("merge-reports", "--expect", "2", str(tmp_path / "reports"))
    assert result.exit_code == 1
    assert result.stdout == (
        "## kuberay-gitops: 2 job(s)\n"
        "\n"
        "checked 4 target(s), 40 object(s): 1 error(s), 0 warning(s) (each finding once)\n"
        "\n"
        "| job | targets | objects | errors | warnings | cluster |\n"
        "|---|---|---|---|---|---|\n"
        "| dev | 2 | 20 | 1 | 0 | dev: 9 applied |\n"
        "| prod | 2 | 20 | 1 | 0 | dev: 9 applied |\n"
        "\n"
        "| severity | check | where | finding |\n"
        "|---|---|---|---|\n"
        "| error | yamllint/trailing-spaces | overlays/dev/x.yaml:3 | trailing spaces \\| here |\n"
    )


def test_a_job_that_left_no_report_fails_the_merge(tmp_path: Path, run_cli: Run) -> None:
    (tmp_path / "dev.json").write_text(_report(1, []))
    result = run_cli("merge-reports", "--expect", "2", str(tmp_path / "dev.json"))
    assert result.exit_code == 1
    assert "**1 of 2 job(s) left no report**" in result.stdout
    ok = run_cli("merge-reports", "--expect", "1", str(tmp_path / "dev.json"))
    assert ok.exit_code == 0, ok.stdout


# ------------------------------------------------ which targets can hold Applications


def _sources(root: Path) -> list[str]:
    settings = load(root, env={})
    cache = RunCache()
    found = discover(root, settings.targets, cache)
    return [t.path for t in argocd_sources(settings, found, cache)]


def test_only_targets_reading_an_application_are_rendered_to_learn_environments(
    write_tree: WriteTree,
) -> None:
    root = write_tree(
        {
            **TREE,
            # A comment naming Applications is no Application.
            "base/service.yaml": "# the Application syncing this lives in argocd/\n" + SERVICE,
            # A JSON resource, and a patch that could set the kind, are.
            "overlays/lab/kustomization.yaml": KUSTOMIZATION.format(resources="  - app.json"),
            "overlays/lab/app.json": '{"apiVersion": "argoproj.io/v1alpha1", '
            '"kind": "Application", "metadata": {"name": "x"}}',
        }
    )
    assert _sources(root) == ["argocd", "overlays/lab"]


def test_a_remote_base_is_read_unless_it_is_a_mirror_without_applications(
    write_tree: WriteTree,
) -> None:
    mirrored = "https://github.com/ray-project/kuberay//ray-operator/config/crd?ref=v1.7.0"
    other = "https://github.com/example/apps//argocd?ref=v1"
    root = write_tree(
        {
            **TREE,
            "overlays/dev/kustomization.yaml": KUSTOMIZATION.format(resources=f"  - {mirrored}"),
            "overlays/lab/kustomization.yaml": KUSTOMIZATION.format(resources=f"  - {other}"),
        }
    )
    assert _sources(root) == ["argocd", "overlays/lab"]


def test_the_default_thresholds_are_the_crossovers_the_bench_wrote() -> None:
    block = (REPO_ROOT / "docs" / "performance.md").read_text()
    block = block[block.index("<!-- BEGIN fan-out") : block.index("<!-- END fan-out")]
    static = re.search(r"At most \d+ entries\. Crossover: N ≈ (\d+)", block)
    twin = re.search(r"With the twin .*?: crossover N ≈ (\d+)", block, re.DOTALL)
    assert static is not None, block
    assert twin is not None, block
    assert (int(static[1]), int(twin[1])) == (FAN_OUT_AT, FAN_OUT_AT_TWIN)
