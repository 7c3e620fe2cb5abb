"""What another team's repository meets: yamllint's scope, the engine's name, a twin not set up.

Real kustomize and kubeconform through the real CLI, on small trees.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import KUSTOMIZATION, TOOLS_DIR, CliResult, WriteTree, cli, config_text

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: ns\ndata:\n  a: b   \n"
REPO_URL = "https://git.example.com/x.git"
HELM = "{{- if .Values.on }}\napiVersion: v1\nkind: ConfigMap\n{{- end }}\n"
APP = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: t
  namespace: argocd
spec:
  project: default
  source:
    repoURL: {repo}
    targetRevision: main
    path: t
  destination:
    name: dev
    namespace: ns
"""
FLUX = """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps
spec:
  path: ./t
"""


def _lint_files(root: Path) -> set[str]:
    result = cli("--repo", str(root), "validate", "--format", "json", "--no-cluster",
                 "--skip-schema", "--skip-checks", "--skip-checkov")  # fmt: skip
    data = json.loads(result.stdout)
    return {f["file"] for f in data["findings"] if f["check"].startswith("yamllint/")}


def _tree() -> dict[str, str]:
    return {
        "t/kustomization.yaml": KUSTOMIZATION.format(resources="  - cm.yaml"),
        "t/cm.yaml": CM,
        "charts/other/templates/cm.yaml": HELM,
        "docs/example.yaml": "a: b   \n",
        "kuberay-gitops.yaml": config_text(),
    }


def test_without_a_yamllint_config_only_what_targets_read_and_the_config_are_linted(
    write_tree: WriteTree,
) -> None:
    root = write_tree(_tree())
    (root / ".yamllint").unlink()
    # yamllint's defaults (document-start, trailing spaces) on t/ and the config only:
    # never the Helm template of another team, never a file nothing renders.
    assert _lint_files(root) == {"t/cm.yaml", "t/kustomization.yaml", "kuberay-gitops.yaml"}


def test_a_repository_with_its_own_yamllint_config_gets_every_yaml_file_linted(
    write_tree: WriteTree,
) -> None:
    root = write_tree(_tree())
    assert _lint_files(root) == {"t/cm.yaml", "charts/other/templates/cm.yaml", "docs/example.yaml"}


def test_messages_name_flux_in_a_flux_repository(write_tree: WriteTree) -> None:
    root = write_tree({
        "t/kustomization.yaml": KUSTOMIZATION.format(resources="  - nothing.yaml"),
        "t/nothing.yaml": "# every object was removed\n",
        "clusters/prod/apps.yaml": FLUX,
    })  # fmt: skip
    result = cli("--repo", str(root), "validate", "--format", "json", "--skip-checkov")
    data = json.loads(result.stdout)
    assert [f["message"] for f in data["findings"] if f["check"] == "render"] == [
        "t renders no objects: Flux would sync nothing"
    ]
    assert data["cluster_skipped"] == (
        "no Argo CD Application syncs the selected targets to a cluster (Flux syncs this "
        "repository; the twin replays Argo CD only)"
    )


def _argocd_repo(write_tree: WriteTree, tmp_path: Path, extra: str = "") -> Path:
    tools = tmp_path / "tools-without-twin"
    tools.mkdir()
    for name in ("kustomize", "kubeconform"):
        (tools / name).symlink_to(TOOLS_DIR / name)
    extra = f"argocd:\n  repo_url: {REPO_URL}\n{extra}"
    config = config_text(targets=["t", "argocd"], extra=extra).replace(
        f"tools_dir: {TOOLS_DIR}", f"tools_dir: {tools}"
    )
    return write_tree({
        "t/kustomization.yaml": KUSTOMIZATION.format(resources="  - cm.yaml"),
        "t/cm.yaml": CM.replace("   \n", "\n"),
        "argocd/kustomization.yaml": KUSTOMIZATION.format(resources="  - app.yaml"),
        "argocd/app.yaml": APP.format(repo=REPO_URL),
        "kuberay-gitops.yaml": config,
    })  # fmt: skip


def _validate(root: Path) -> CliResult:
    return cli("--repo", str(root), "validate", "--format", "json", "--skip-checkov")


def test_a_twin_not_set_up_is_a_stated_skip_unless_the_config_requires_it(
    write_tree: WriteTree, tmp_path: Path
) -> None:
    root = _argocd_repo(write_tree, tmp_path)
    result = _validate(root)
    assert result.exit_code in (0, 1), result.stderr
    assert json.loads(result.stdout)["cluster_skipped"] == (
        "the control-plane twin is not set up: `kuberay-gitops setup` builds it"
    )


def test_a_required_twin_not_set_up_is_exit_3(write_tree: WriteTree, tmp_path: Path) -> None:
    root = _argocd_repo(write_tree, tmp_path, extra="cluster:\n  enabled: true\n")
    result = _validate(root)
    assert (result.exit_code, result.stdout) == (3, "")
    tools = tmp_path / "tools-without-twin"
    assert result.stderr == (
        f"kuberay-gitops: error: etcd not found at {tools / 'etcd'}; run `kuberay-gitops "
        "setup` (`make setup` in the kuberay-gitops repository)\n"
    )
