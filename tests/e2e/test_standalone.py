"""The standalone install: only the built wheel in a fresh virtualenv, on another repository.

What another team does: build (here) or download the wheel, `pip install` it, then
`kuberay-gitops init`, `kuberay-gitops setup` and `kuberay-gitops validate` in their own
repository, with no checkout of this one anywhere: no `-e`, no repository on sys.path
(PYTHONPATH empty), the working directory outside it, its own cache directory. The
binaries are built by `go install` into that cache; Go's own build and module caches are
shared with the machine, so the build is a link, not a compile. The test repository
holds what such a team has: kustomize overlays of a RayCluster, an Argo CD Application
per environment, and a Helm chart of another team that is no YAML until rendered.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import zipfile
from collections.abc import Mapping
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, shared_dir

# pip's download cache for the wheel's runtime dependencies: kept between runs, outside
# the test's own temporary directory (the first run reaches PyPI, as `make setup` does).
PIP_CACHE = REPO_ROOT / ".cache" / "pip-standalone"
OPERATOR_SOURCE = "src/kuberay/v1.7.0/ray-operator"

RAYCLUSTER = """\
apiVersion: ray.io/v1
kind: RayCluster
metadata:
  name: analytics
  namespace: ray
spec:
  headGroupSpec:
    rayStartParams: {}
    template:
      spec:
        containers:
          - name: ray-head
            image: rayproject/ray:2.46.0
            resources:
              limits: {cpu: "1", memory: 2Gi}
  workerGroupSpecs:
    - groupName: cpu
      replicas: 1
      minReplicas: 1
      maxReplicas: 2
      rayStartParams: {}
      template:
        spec:
          containers:
            - name: ray-worker
              image: rayproject/ray:2.46.0
              resources:
                limits: {cpu: "1", memory: 2Gi}
"""

APPLICATION = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: analytics-{env}
  namespace: argocd
spec:
  project: analytics
  source:
    repoURL: https://git.example.com/analytics/deploy.git
    targetRevision: main
    path: overlays/{env}
  destination:
    name: {env}
    namespace: ray
"""

KUSTOMIZATION = """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
{body}
"""

# The planted defect: a string where the RayCluster CRD wants a boolean (line 7).
PROD_PATCH = """\
apiVersion: ray.io/v1
kind: RayCluster
metadata:
  name: analytics
  namespace: ray
spec:
  enableInTreeAutoscaling: "yes"
"""

HELM_TEMPLATE = """\
{{- if .Values.enabled }}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "other.fullname" . }}
{{- end }}
"""


def _scratch_repository(root: Path) -> None:
    files = {
        "base/kustomization.yaml": KUSTOMIZATION.format(body="resources:\n  - raycluster.yaml"),
        "base/raycluster.yaml": RAYCLUSTER,
        "overlays/dev/kustomization.yaml": KUSTOMIZATION.format(body="resources:\n  - ../../base"),
        "overlays/prod/kustomization.yaml": KUSTOMIZATION.format(
            body="resources:\n  - ../../base\npatches:\n  - path: patch.yaml"
        ),
        "overlays/prod/patch.yaml": PROD_PATCH,
        "argocd/kustomization.yaml": KUSTOMIZATION.format(
            body="resources:\n  - application-dev.yaml\n  - application-prod.yaml"
        ),
        "argocd/application-dev.yaml": APPLICATION.format(env="dev"),
        "argocd/application-prod.yaml": APPLICATION.format(env="prod"),
        "charts/other/Chart.yaml": "apiVersion: v2\nname: other\nversion: 0.1.0\n",
        "charts/other/templates/deployment.yaml": HELM_TEMPLATE,
    }
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def _run(
    argv: list[str], cwd: Path, env: Mapping[str, str], timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, cwd=cwd, env=dict(env), capture_output=True, text=True, timeout=timeout, check=False
    )


def _build_wheel(tmp_path: Path) -> Path:
    """The wheel, built from a copy of the package sources (no stale build/ of the checkout)."""
    src = tmp_path / "src"
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    shutil.copytree(REPO_ROOT / "scripts" / "kuberay_gitops", src / "scripts" / "kuberay_gitops",
                    symlinks=True, ignore=ignore)  # fmt: skip
    for name in ("toolchain/etcd", "toolchain/kube-apiserver"):
        shutil.copytree(REPO_ROOT / name, src / name)
    for name in ("pyproject.toml", "toolchain.env"):
        shutil.copy2(REPO_ROOT / name, src / name)
    dist = tmp_path / "dist"
    built = _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--disable-pip-version-check", "-q", "-w", str(dist), str(src)],
        tmp_path, os.environ,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    (wheel,) = dist.glob("kuberay_gitops-*.whl")
    return wheel


def test_a_fresh_virtualenv_with_only_the_wheel_inits_sets_up_and_validates(
    tmp_path: Path,
) -> None:
    go = shutil.which("go")
    if go is None:
        pytest.fail("Go is not on PATH: `kuberay-gitops setup` builds with it (see README)")
    source = shared_dir() / OPERATOR_SOURCE
    if not (source / "go.mod").is_file():
        pytest.fail(f"{source} missing: the KubeRay source comes from the shared directory")
    wheel = _build_wheel(tmp_path)
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        pins = zf.read("kuberay_gitops/pinned/toolchain.env").decode()
    # The pins travel in the wheel as the very file of the repository; dev tools do not.
    assert pins == (REPO_ROOT / "toolchain.env").read_text()
    assert {
        "kuberay_gitops/pinned/etcd/go.mod",
        "kuberay_gitops/pinned/kube-apiserver/go.sum",
    } <= names
    assert not [n for n in names if n.rsplit("/", 1)[-1] in ("bench.py", "mutation.py")]

    venv = tmp_path / "venv"
    made = _run([sys.executable, "-m", "venv", str(venv)], tmp_path, os.environ)
    assert made.returncode == 0, made.stderr
    env = {
        "PATH": f"{venv / 'bin'}{os.pathsep}{Path(go).parent}{os.pathsep}/usr/bin:/bin",
        "HOME": os.environ.get("HOME", str(tmp_path)),
        "PYTHONPATH": "",
        "PIP_CACHE_DIR": str(PIP_CACHE),
        "KUBERAY_GITOPS_CACHE_DIR": str(tmp_path / "cache"),
        "LANG": "C.UTF-8",
    }
    # Go's caches as the machine has them: the build is a link, the modules are local.
    for var in ("GOCACHE", "GOMODCACHE", "GOPROXY", "GOSUMDB", "GOTOOLCHAIN"):
        value = _run([go, "env", var], tmp_path, os.environ).stdout.strip()
        if value:
            env[var] = value
    installed = _run(
        [str(venv / "bin" / "pip"), "install", "--disable-pip-version-check", "-q",
         "-c", str(REPO_ROOT / "requirements.txt"), str(wheel)],
        tmp_path, env,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stderr
    exe = str(venv / "bin" / "kuberay-gitops")

    repo = tmp_path / "analytics-deploy"
    _scratch_repository(repo)
    init = _run([exe, "init"], repo, env)
    assert init.returncode == 0, init.stderr
    assert init.stdout.splitlines()[0] == (
        f"wrote {repo / 'kuberay-gitops.yaml'}: engine Argo CD, targets argocd, overlays/*"
    )
    config = (repo / "kuberay-gitops.yaml").read_text()
    assert "profile: correctness\n" in config
    assert "targets:\n  - argocd\n  - overlays/*\n" in config
    again = _run([exe, "init"], repo, env)
    assert (again.returncode, again.stdout) == (3, "")
    assert again.stderr.strip().endswith(
        "already exists; not overwritten (remove it to start again)"
    )
    assert (repo / "kuberay-gitops.yaml").read_text() == config

    setup = _run([exe, "setup", "--no-cluster", "--operator-source", str(source)], repo, env)
    assert setup.returncode == 0, setup.stderr
    tools = tmp_path / "cache" / "tools"
    (pinned,) = tools.iterdir()  # one directory, named for the pins
    assert pinned.name.startswith("kustomize-v5.8.1_kubeconform-v0.7.0_")
    assert sorted(p.name for p in pinned.iterdir()) == ["kubeconform", "kustomize"]
    warm = _run([exe, "setup", "--no-cluster", "--operator-source", str(source)], repo, env)
    assert [ln.split(":")[1].split("(")[0].strip() for ln in warm.stdout.splitlines()[:3]] == [
        "up to date"
    ] * 3

    result = _run([exe, "validate", "--format", "json"], repo, env)
    assert result.returncode == 1, result.stdout + result.stderr
    report = json.loads(result.stdout)
    rows = [(f["check"], f["file"], f["line"]) for f in report["findings"]]
    # The planted defect, at the patch line that set it (the KubeRay CRD from setup).
    assert ("kubeconform/schema", "overlays/prod/patch.yaml", 7) in rows, rows
    # The other team's Helm template is not linted; only the defect fails the run.
    assert not [r for r in rows if r[1].startswith("charts/")]
    errors = [r for r, f in zip(rows, report["findings"], strict=True) if f["severity"] == "error"]
    assert errors == [("kubeconform/schema", "overlays/prod/patch.yaml", 7)]
    assert [t["path"] for t in report["targets"]] == ["argocd", "overlays/dev", "overlays/prod"]
    text = _run([exe, "validate"], repo, env)
    assert text.stdout.splitlines()[-1].endswith(
        "cluster stage skipped (the control-plane twin is not set up: `kuberay-gitops setup` "
        "builds it)"
    ), text.stdout
    # Without Go, setup says what is missing in one line, exit 3.
    no_go = {**env, "PATH": f"{venv / 'bin'}{os.pathsep}/nonexistent"}
    missing = _run([exe, "setup", "--no-cluster"], repo, no_go)
    assert missing.returncode == 3
    assert missing.stderr == textwrap.dedent(
        "kuberay-gitops: error: `go` not found on PATH: setup builds the pinned tools; "
        "install Go >= 1.24 (https://go.dev/dl/) and put `go` on PATH\n"
    )
