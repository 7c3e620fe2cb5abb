"""`kuberay-gitops setup` (provision.py): its stamps, its flags and its one-line refusals."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pytest

from kuberay_gitops import bundle, provision
from kuberay_gitops.exitcodes import ToolNotFound
from kuberay_gitops.settings import read_toolchain
from kuberay_gitops.tools import twin
from kuberay_gitops.tools.toolchain import SETUP_HINT
from tests.conftest import REPO_ROOT, cli

# What scripts/build-go-main.sh computed before setup moved into the package: stamps
# written by either must agree, or a checkout set up earlier rebuilds for nothing.
SHELL_DIGEST = (
    "(find . -type f \\( -name '*.go' -o -name go.mod -o -name go.sum \\) -print0 "
    '| LC_ALL=C sort -z | xargs -0 sha256sum; echo "ldflags $1"; echo "$2") '
    "| sha256sum | cut -c1-64"
)


def test_the_source_digest_is_the_one_the_shell_set_up_wrote(tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "pkg" / "Sub").mkdir(parents=True)
    (src / "go.mod").write_text("module example.com/x\n\ngo 1.24\n")
    (src / "go.sum").write_text("")
    (src / "main.go").write_text("package main\n\nfunc main() {}\n")
    (src / "pkg" / "a.go").write_text("package pkg\n")
    (src / "pkg" / "Sub" / "b.go").write_text("package sub\n")
    (src / "README.md").write_text("not a source\n")
    (src / "link.go").symlink_to(src / "main.go")  # find -type f skips it
    flags = provision.apiserver_ldflags("v1.32.13")
    shell = subprocess.run(
        ["bash", "-c", SHELL_DIGEST, "digest", flags, "go1.26.8"],
        cwd=src, capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    assert provision.source_digest(src, flags, "go1.26.8") == shell


def test_kube_apiserver_reports_its_pinned_version() -> None:
    assert provision.apiserver_ldflags("v1.32.13") == (
        "-X k8s.io/component-base/version.gitVersion=v1.32.13 "
        "-X k8s.io/component-base/version.gitMajor=1 "
        "-X k8s.io/component-base/version.gitMinor=32"
    )


def _repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "kuberay-gitops.yaml").write_text(f"version: 1\ncache_dir: {tmp_path / 'cache'}\n")
    return root


def test_the_twin_without_an_operator_source_is_exit_3_before_anything_is_built(
    tmp_path: Path,
) -> None:
    root = _repo(tmp_path)
    result = cli("--repo", str(root), "--shared-dir", str(tmp_path / "none"), "setup")
    assert (result.exit_code, result.stdout) == (3, "")
    assert result.stderr == (
        "kuberay-gitops: error: the control-plane twin needs the KubeRay operator v1.7.0 "
        "source: pass --operator-source DIR (the ray-operator directory of a KubeRay v1.7.0 "
        "checkout), or run `kuberay-gitops setup --no-cluster`\n"
    )
    assert not (tmp_path / "cache").exists()


def test_an_operator_source_of_another_release_is_refused(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    source = tmp_path / "ray-operator"
    (source / "controllers/ray/utils").mkdir(parents=True)
    (source / "go.mod").write_text("module github.com/ray-project/kuberay/ray-operator\n")
    (source / "controllers/ray/utils/constant.go").write_text('KUBERAY_VERSION = "v1.6.0"\n')
    result = cli("--repo", str(root), "setup", "--operator-source", str(source))
    assert result.exit_code == 3
    assert result.stderr == (
        f"kuberay-gitops: error: {source} is not the KubeRay v1.7.0 operator (toolchain.env)\n"
    )


def test_the_installed_pins_are_the_repositorys_file() -> None:
    assert bundle.toolchain_file().read_bytes() == (REPO_ROOT / "toolchain.env").read_bytes()
    for name in ("etcd", "kube-apiserver"):
        assert (bundle.wrapper(name) / "go.mod").read_bytes() == (
            REPO_ROOT / "toolchain" / name / "go.mod"
        ).read_bytes()


def _built(bindir: Path, name: str, module: str, version: str) -> Path:
    """A stand-in binary: Go build information naming `module`, and its set-up stamp."""
    path = bindir / name
    data = f"\x7fELF\npath\tmain\ndep\t{module}\t{version}\th1:x=\n".encode()
    path.write_bytes(data)
    path.with_name(name + ".stamp").write_text(f"digest {hashlib.sha256(data).hexdigest()}\n")
    return path


def test_the_twin_operator_is_the_build_of_the_module_toolchain_env_pins(tmp_path: Path) -> None:
    pins = read_toolchain(REPO_ROOT)
    etcd = _built(tmp_path, twin.ETCD, "go.etcd.io/etcd/server/v3", pins.etcd)
    apiserver = _built(tmp_path, twin.KUBE_APISERVER, "k8s.io/kubernetes", pins.kube_apiserver)
    operator = _built(tmp_path, twin.KUBERAY_OPERATOR, pins.operator_module, pins.operator)
    assert twin.locate(tmp_path, pins.etcd, pins.kube_apiserver, pins.operator_module) == (
        twin.TwinBinaries(etcd, apiserver, operator)
    )
    _built(tmp_path, twin.KUBERAY_OPERATOR, "example.com/fork/ray-operator", pins.operator)
    with pytest.raises(ToolNotFound) as refused:
        twin.locate(tmp_path, pins.etcd, pins.kube_apiserver, pins.operator_module)
    assert str(refused.value) == (
        f"kuberay-operator at {operator} is not built from {pins.operator_module} "
        f"(found nothing); {SETUP_HINT}"
    )
