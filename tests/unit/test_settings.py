from __future__ import annotations

from pathlib import Path

import pytest

from kuberay_gitops.exitcodes import ConfigError
from kuberay_gitops.findings import Profile
from kuberay_gitops.settings import load
from tests.conftest import REPO_ROOT


def _repo(tmp_path: Path, config: str) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "toolchain.env").write_text(
        "KUSTOMIZE_VERSION=v5.8.1\nKUBECONFORM_VERSION=v0.7.0\n"
    )
    (tmp_path / "kuberay-gitops.yaml").write_text(config)
    return tmp_path


def test_file_overrides_defaults(tmp_path: Path) -> None:
    s = load(_repo(tmp_path, "kubernetes_version: '1.31'\n"), env={})
    assert s.kubernetes_version == "1.31.0"


def test_environment_overrides_file(tmp_path: Path) -> None:
    root = _repo(tmp_path, "kubernetes_version: '1.31'\nshared_dir: a\n")
    s = load(
        root, env={"KUBERAY_GITOPS_KUBERNETES_VERSION": "1.30", "KUBERAY_GITOPS_SHARED_DIR": "b"}
    )
    assert (s.kubernetes_version, s.shared_dir) == ("1.30.0", "b")


def test_command_line_overrides_environment(tmp_path: Path) -> None:
    root = _repo(tmp_path, "kubernetes_version: '1.31'\n")
    s = load(
        root,
        cli={"kubernetes_version": "1.29"},
        env={"KUBERAY_GITOPS_KUBERNETES_VERSION": "1.30"},
    )
    assert s.kubernetes_version == "1.29.0"


def test_a_repository_without_a_config_gets_the_correctness_profile(tmp_path: Path) -> None:
    (tmp_path / "toolchain.env").write_text(
        "KUSTOMIZE_VERSION=v5.8.1\nKUBECONFORM_VERSION=v0.7.0\n"
    )
    assert load(tmp_path, env={}).profile is Profile.CORRECTNESS


def test_the_config_turns_the_platform_profile_on(tmp_path: Path) -> None:
    assert load(_repo(tmp_path, "profile: platform\n"), env={}).profile is Profile.PLATFORM


def test_this_repository_runs_the_platform_profile() -> None:
    assert load(REPO_ROOT, env={}).profile is Profile.PLATFORM


def test_toolchain_versions_come_from_toolchain_env(tmp_path: Path) -> None:
    s = load(_repo(tmp_path, "{}\n"), env={})
    assert (s.toolchain.kustomize, s.toolchain.kubeconform) == ("v5.8.1", "v0.7.0")


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("colour: red\n", 'kuberay-gitops.yaml: top level: unknown key "colour"'),
        ("crd_dirs: crds\n", "kuberay-gitops.yaml: crd_dirs: expected list, got str"),
        ("render:\n  jobs: two\n", "kuberay-gitops.yaml: render.jobs: expected int, got str"),
        (
            "kubernetes_version: latest\n",
            'kuberay-gitops.yaml: kubernetes_version: "latest" is not a Kubernetes',
        ),
        (
            "schema:\n  allow_missing:\n    - kind: Widget\n",
            "kuberay-gitops.yaml: schema.allow_missing[0].reason: a non-empty reason is required",
        ),
        (
            "suppressions:\n  - check: x\n    object: Service/a\n",
            "kuberay-gitops.yaml: suppressions[0].reason: a non-empty reason is required",
        ),
        (
            "checks:\n  x:\n    severity: fatal\n",
            'kuberay-gitops.yaml: checks "x": severity must be error or warning',
        ),
        (
            "profile: strict\n",
            "kuberay-gitops.yaml: profile: expected correctness or platform, got 'strict'",
        ),
    ],
    ids=[
        "unknown-key",
        "wrong-type",
        "wrong-nested-type",
        "bad-version",
        "allow-no-reason",
        "suppression-no-reason",
        "bad-severity",
        "bad-profile",
    ],
)
def test_invalid_config_is_a_config_error_naming_the_key(
    tmp_path: Path, config: str, message: str
) -> None:
    with pytest.raises(ConfigError) as info:
        load(_repo(tmp_path, config), env={})
    assert str(info.value).startswith(message)


def test_invalid_environment_value_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="environment jobs: expected a whole number"):
        load(_repo(tmp_path, "{}\n"), env={"KUBERAY_GITOPS_JOBS": "many"})


def test_each_tool_run_has_its_own_timeout(tmp_path: Path) -> None:
    config = (
        "render:\n  timeout_seconds: 30\nschema:\n  timeout_seconds: 200\n"
        "checkov:\n  timeout_seconds: 300\n"
    )
    s = load(_repo(tmp_path, config), env={})
    assert (s.render_timeout, s.schema_timeout, s.checkov_timeout) == (30.0, 200.0, 300.0)


def test_the_render_timeout_no_longer_times_kubeconform_or_checkov(tmp_path: Path) -> None:
    s = load(_repo(tmp_path, "render:\n  timeout_seconds: 30\n"), env={})
    assert (s.schema_timeout, s.checkov_timeout) == (480.0, 480.0)


def test_policy_comes_from_the_policy_root(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "pr", "tools_dir: evil\nkubernetes_version: '1.29'\n")
    base = _repo(tmp_path / "base", "kubernetes_version: '1.31'\n")
    s = load(repo, env={}, policy_root=base)
    assert s.kubernetes_version == "1.31.0"
    # The base names no tools_dir: the cache's, never the pull request's `evil`.
    assert s.tools_dir == "~/.cache/kuberay-gitops/tools/kustomize-v5.8.1_kubeconform-v0.7.0"
    assert s.repo_root == repo.resolve()


def test_without_tools_dir_the_binaries_live_in_the_cache_under_their_pins(
    tmp_path: Path,
) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    s = load(root, env={"KUBERAY_GITOPS_CACHE_DIR": str(tmp_path / "cache")})
    pins = "kustomize-v5.8.1_kubeconform-v0.7.0_etcd-v3.6.16_kube-apiserver-v1.32.13_kuberay-v1.7.0"
    assert s.resolve(s.tools_dir) == tmp_path / "cache" / "tools" / pins


def test_a_repository_without_toolchain_env_gets_the_installed_pins(tmp_path: Path) -> None:
    s = load(tmp_path, env={})
    assert s.toolchain == load(REPO_ROOT, env={}).toolchain
    assert s.toolchain.operator_module == "github.com/ray-project/kuberay/ray-operator"


def test_this_repository_uses_its_own_tools_dir_and_requires_the_twin() -> None:
    s = load(REPO_ROOT, env={})
    assert (s.resolve(s.tools_dir), s.cluster_enabled) == (REPO_ROOT / ".tools/bin", True)


def test_without_crd_dirs_the_kuberay_crds_of_setup_are_used_once_there(tmp_path: Path) -> None:
    s = load(tmp_path, env={"KUBERAY_GITOPS_CACHE_DIR": str(tmp_path / "cache")})
    assert s.crd_paths() == []
    crds = tmp_path / "cache" / "crds" / "kuberay-v1.7.0"
    crds.mkdir(parents=True)
    assert s.crd_paths() == [crds]
