"""`kuberay-gitops init` and GitOps engine detection, on small trees."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest
import yaml

from kuberay_gitops import gitops, initconf
from kuberay_gitops.exitcodes import ConfigError
from kuberay_gitops.filememo import RunCache
from kuberay_gitops.settings import load
from tests.conftest import REPO_ROOT, CliResult, cli, fresh_python

KUSTOMIZATION = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
COMPONENT = "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n"
CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n"
ARGO_APP = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: {name}
spec:
  source:
    path: {path}
"""
FLUX_KS = """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps
spec:
  path: ./apps/production
  sourceRef:
    kind: GitRepository
    name: flux-system
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: flux-system
"""


def _tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def _overlays(envs: tuple[str, ...] = ("dev", "prod")) -> dict[str, str]:
    files = {
        "base/kustomization.yaml": KUSTOMIZATION + "resources: [cm.yaml]\n",
        "base/cm.yaml": CM,
        "components/extra/kustomization.yaml": COMPONENT,
    }
    for env in envs:
        files[f"overlays/{env}/kustomization.yaml"] = (
            KUSTOMIZATION + "resources: [../../base]\ncomponents: [../../components/extra]\n"
        )
    return files


def _init(root: Path) -> CliResult:
    return cli("--repo", str(root), "init")


def test_init_writes_overlays_as_one_glob_and_leaves_bases_and_components_out(
    tmp_path: Path,
) -> None:
    root = _tree(tmp_path, _overlays())
    result = _init(root)
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.splitlines()[0] == (
        f"wrote {root / 'kuberay-gitops.yaml'}: engine the GitOps engine, targets overlays/*"
    )
    data = yaml.safe_load((root / "kuberay-gitops.yaml").read_text())
    assert data == {"version": 1, "profile": "correctness", "targets": ["overlays/*"]}
    # The written file is a valid config that discovers exactly the overlays.
    assert load(root, env={}).targets == ("overlays/*",)


def test_init_keeps_a_path_when_a_glob_would_also_find_a_base(tmp_path: Path) -> None:
    files = {
        "apps/web/base/kustomization.yaml": KUSTOMIZATION + "resources: [cm.yaml]\n",
        "apps/web/base/cm.yaml": CM,
        "apps/web/prod/kustomization.yaml": KUSTOMIZATION + "resources: [../base]\n",
        "apps/api/prod/kustomization.yaml": KUSTOMIZATION + "resources: [cm.yaml]\n",
        "apps/api/prod/cm.yaml": CM,
    }
    root = _tree(tmp_path, files)
    assert initconf.init(root)[2] == ["apps/*/prod"]


def test_a_directory_an_application_names_is_a_target_even_when_included(
    tmp_path: Path,
) -> None:
    files = {
        **_overlays(("dev",)),
        "argocd/app-base.yaml": ARGO_APP.format(name="base", path="base"),
        "argocd/kustomization.yaml": KUSTOMIZATION + "resources: [app-base.yaml]\n",
    }
    root = _tree(tmp_path, files)
    path, engine, patterns = initconf.init(root)
    assert (engine, patterns) == (gitops.Engine.ARGOCD, ["argocd", "base", "overlays/dev"])
    data = yaml.safe_load(path.read_text())
    # The Application is rendered by the argocd target and has no schema without its CRD.
    assert data["schema"]["allow_missing"] == [
        {
            "kind": "Application",
            "reason": "no Argo CD CRDs given to kuberay-gitops (written by init)",
        }
    ]


def test_init_detects_flux(tmp_path: Path) -> None:
    files = {
        "apps/production/kustomization.yaml": KUSTOMIZATION + "resources: [cm.yaml]\n",
        "apps/production/cm.yaml": CM,
        "clusters/production/apps.yaml": FLUX_KS,
    }
    root = _tree(tmp_path, files)
    path, engine, patterns = initconf.init(root)
    assert (engine, patterns) == (gitops.Engine.FLUX, ["apps/production"])
    assert "# GitOps engine: Flux (Kustomization or source objects found).\n" in path.read_text()


def test_init_never_overwrites_a_config(tmp_path: Path) -> None:
    root = _tree(tmp_path, {**_overlays(), "kuberay-gitops.yaml": "version: 1\n"})
    result = _init(root)
    assert (result.exit_code, result.stdout) == (3, "")
    assert result.stderr == (
        f"kuberay-gitops: error: {root / 'kuberay-gitops.yaml'} already exists; not "
        "overwritten (remove it to start again)\n"
    )
    assert (root / "kuberay-gitops.yaml").read_text() == "version: 1\n"
    with pytest.raises(ConfigError):
        initconf.init(root)


def test_init_without_a_kustomization_is_exit_3_and_writes_nothing(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"cm.yaml": CM})
    result = _init(root)
    assert result.exit_code == 3
    assert "no kustomization found" in result.stderr
    assert not (root / "kuberay-gitops.yaml").exists()


def test_init_finds_this_repositorys_own_targets() -> None:
    targets = load(REPO_ROOT, env={}).targets
    cache = RunCache()
    found = initconf.find_targets(REPO_ROOT, list(gitops.objects(REPO_ROOT)), cache)
    assert initconf.fold(REPO_ROOT, found, cache) == sorted(targets)


@pytest.mark.parametrize(
    ("files", "engine"),
    [
        ({"app.yaml": ARGO_APP.format(name="a", path="x")}, gitops.Engine.ARGOCD),
        ({"flux.yaml": FLUX_KS}, gitops.Engine.FLUX),
        ({"k/kustomization.yaml": KUSTOMIZATION}, gitops.Engine.NONE),
        ({"t/x.yaml": "{{- if .Values.x }}\nkind: Application\n{{- end }}\n"}, gitops.Engine.NONE),
    ],
    ids=["argocd", "flux", "a-kustomize-kustomization-is-not-flux", "helm-template"],
)
def test_the_engine_is_read_off_the_objects(
    tmp_path: Path, files: dict[str, str], engine: gitops.Engine
) -> None:
    assert gitops.detect(_tree(tmp_path, files)) is engine


def test_a_symlinked_file_is_never_read_for_the_engine(tmp_path: Path) -> None:
    outside = _tree(tmp_path / "outside", {"app.yaml": ARGO_APP.format(name="a", path="x")})
    repo = _tree(tmp_path / "repo", {"k/kustomization.yaml": KUSTOMIZATION})
    (repo / "linked.yaml").symlink_to(outside / "app.yaml")
    assert gitops.detect(repo) is gitops.Engine.NONE


def test_an_engine_object_in_a_file_that_is_not_utf8_still_counts(tmp_path: Path) -> None:
    (tmp_path / "app.yaml").write_bytes(
        b"# \xff\xfe latin-1 noise\n" + ARGO_APP.format(name="a", path="x").encode()
    )
    assert list(gitops.objects(tmp_path)) == [
        gitops.EngineObject(gitops.Engine.ARGOCD, "Application", "app.yaml")
    ]


def test_a_fifo_is_never_opened_for_the_engine(tmp_path: Path) -> None:
    # Opening a FIFO blocks until a writer comes: a fresh interpreter, under a timeout.
    _tree(tmp_path, {"app.yaml": ARGO_APP.format(name="a", path="x")})
    os.mkfifo(tmp_path / "pipe.yaml")
    code = (
        "import sys; from pathlib import Path; from kuberay_gitops import gitops; "
        f"print(gitops.detect(Path({str(tmp_path)!r})).value)"
    )
    assert fresh_python(code) == "argocd"
