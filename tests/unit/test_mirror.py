"""Local git mirrors: concurrent runs sharing one cache directory each get their own mirrors.

Real processes build the same mirror at once from a small shared tree; real git and the
real kustomize then resolve the upstream URL through each run's git config.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from kuberay_gitops.exitcodes import ConfigError
from kuberay_gitops.settings import Mirror, Settings, Toolchain
from kuberay_gitops.tools.mirror import git_env
from kuberay_gitops.tools.runner import run, start
from tests.conftest import TOOLS_DIR, require_setup

UPSTREAM = "https://github.com/example/base"
OTHER = "https://github.com/example/other"
HEAD = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"

# One run of the tool's mirror set-up, started at once with the others (the `go` file).
RUN = """\
import json, sys, time
from dataclasses import replace
from pathlib import Path
from kuberay_gitops.settings import Mirror, Settings, Toolchain
from kuberay_gitops.tools.mirror import git_env
shared, cache, go, urls = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3]), sys.argv[4:]
mirrors = tuple(Mirror(url=u, ref="v1.0.0", source="base", path="deploy") for u in urls)
settings = Settings(repo_root=shared, toolchain=Toolchain("", ""), shared_dir=str(shared),
                    cache_dir=cache, mirrors=mirrors)
while not go.exists():
    time.sleep(0.01)
env = git_env(settings)
print(json.dumps({"env": env, "config": Path(env["GIT_CONFIG_GLOBAL"]).read_text()}))
"""


def _shared(tmp_path: Path) -> Path:
    base = tmp_path / "shared" / "base"
    base.mkdir(parents=True)
    (base / "kustomization.yaml").write_text(HEAD + "resources:\n  - configmap.yaml\n")
    (base / "configmap.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: mirrored\n"
    )
    return tmp_path / "shared"


def _concurrent_runs(tmp_path: Path, *url_sets: tuple[str, ...]) -> list[dict[str, str]]:
    """Start one process per URL set, release them together, return each one's result."""
    shared, cache, go = _shared(tmp_path), tmp_path / "cache", tmp_path / "go"
    procs = [
        start([sys.executable, "-c", RUN, str(shared), str(cache), str(go), *urls], stdin=False)
        for urls in url_sets
    ]
    go.touch()
    out = []
    for proc in procs:
        done = proc.finish(None, timeout=120)
        assert (done.returncode, done.stderr) == (0, "")
        out.append(json.loads(done.stdout))
    return out


def test_concurrent_runs_with_other_mirrors_each_keep_their_own_git_config(
    tmp_path: Path,
) -> None:
    one, both = _concurrent_runs(tmp_path, (UPSTREAM,), (UPSTREAM, OTHER))
    assert one["env"]["GIT_CONFIG_GLOBAL"] != both["env"]["GIT_CONFIG_GLOBAL"]
    # what each run wrote is still what its builds read, whoever finished last
    assert Path(one["env"]["GIT_CONFIG_GLOBAL"]).read_text() == one["config"]
    assert one["config"].count("insteadOf = ") == 1
    assert Path(both["env"]["GIT_CONFIG_GLOBAL"]).read_text() == both["config"]
    assert both["config"].count("insteadOf = ") == 2


def test_concurrent_runs_building_one_mirror_both_get_a_usable_mirror(tmp_path: Path) -> None:
    require_setup()
    first, second = _concurrent_runs(tmp_path, (UPSTREAM,), (UPSTREAM,))
    assert first == second
    mirrors = tmp_path / "cache" / "mirrors"
    names = sorted(p.name for p in mirrors.iterdir())  # one mirror, one config, no leftovers
    assert (len(names), names[1].startswith("gitconfig-")) == (2, True), names
    tags = run(["git", "ls-remote", "--tags", UPSTREAM], env=first["env"], timeout=60)
    assert (tags.returncode, tags.stdout.split()[1:]) == (0, ["refs/tags/v1.0.0"])
    kustomization = tmp_path / "t" / "kustomization.yaml"
    kustomization.parent.mkdir()
    kustomization.write_text(HEAD + f"resources:\n  - {UPSTREAM}//deploy?ref=v1.0.0\n")
    built = run(
        [str(TOOLS_DIR / "kustomize"), "build", str(kustomization.parent)],
        env=first["env"],
        timeout=120,
    )
    assert (built.returncode, built.stderr) == (0, "")
    assert "name: mirrored\n" in built.stdout


def _settings(shared: Path, cache: Path, source: str) -> Settings:
    mirror = Mirror(url=UPSTREAM, ref="v1.0.0", source=source, path="deploy")
    return Settings(
        repo_root=shared,
        toolchain=Toolchain("", ""),
        shared_dir=str(shared),
        cache_dir=str(cache),
        mirrors=(mirror,),
    )


def test_a_mirror_source_outside_the_shared_dir_is_a_config_error(tmp_path: Path) -> None:
    shared = _shared(tmp_path)
    (tmp_path / "elsewhere").mkdir()
    settings = _settings(shared, tmp_path / "cache", "../elsewhere")
    with pytest.raises(ConfigError, match=r"source \.\./elsewhere is not a directory inside"):
        git_env(settings)


def test_a_mirror_source_holding_a_symlink_is_never_copied(tmp_path: Path) -> None:
    shared = _shared(tmp_path)
    canary = tmp_path / "canary.yaml"
    canary.write_text("CANARY-mirror-5c1e\n")
    (shared / "base" / "environ.yaml").symlink_to(canary)
    with pytest.raises(ConfigError, match=r"source base holds a symlink \(environ\.yaml\)"):
        git_env(_settings(shared, tmp_path / "cache", "base"))
    assert not (tmp_path / "cache" / "mirrors").exists()
