"""A read-only checkout validates, with every cache in the XDG cache directory, and the run
writes nothing into the repository or the shared upstream material."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kuberay_gitops.settings import default_cache_dir, load
from kuberay_gitops_dev.mutation import copy_repository
from tests.conftest import REPO_ROOT, TOOLS_DIR, CliResult, require_setup, shared_dir

Run = Callable[..., CliResult]

Snapshot = dict[str, tuple[int, int, int]]


def _snapshot(root: Path) -> Snapshot:
    """Every entry under root with its mode, size and modification time."""
    out: Snapshot = {}
    for path in sorted(root.rglob("*")):
        st = path.lstat()
        out[str(path.relative_to(root))] = (st.st_mode, st.st_size, st.st_mtime_ns)
    return out


def _walk(root: Path) -> Iterator[Path]:
    yield root
    yield from root.rglob("*")


def _set_writable(root: Path, writable: bool) -> None:
    for path in _walk(root):
        if path.is_symlink():
            continue
        mode = path.stat().st_mode
        bits = stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH
        path.chmod(mode | stat.S_IWUSR if writable else mode & ~bits)


@pytest.fixture
def read_only_repo(tmp_path: Path) -> Iterator[Path]:
    require_setup()
    repo = tmp_path / "repo"
    copy_repository(REPO_ROOT, repo)
    _set_writable(repo, writable=False)
    yield repo
    _set_writable(repo, writable=True)


def test_default_cache_is_the_xdg_cache_home() -> None:
    assert default_cache_dir({"XDG_CACHE_HOME": "/var/cache/u"}) == "/var/cache/u/kuberay-gitops"


def test_default_cache_without_xdg_is_under_the_home_directory() -> None:
    assert default_cache_dir({}) == "~/.cache/kuberay-gitops"


def test_relative_xdg_cache_home_is_ignored_as_the_specification_says() -> None:
    assert default_cache_dir({"XDG_CACHE_HOME": "rel"}) == "~/.cache/kuberay-gitops"


def test_settings_put_the_cache_outside_the_repository_by_default(tmp_path: Path) -> None:
    (tmp_path / "toolchain.env").write_text((REPO_ROOT / "toolchain.env").read_text())
    settings = load(tmp_path, env={"XDG_CACHE_HOME": str(tmp_path / "xdg")})
    assert settings.cache_path == tmp_path / "xdg" / "kuberay-gitops"


def test_read_only_checkout_validates_and_nothing_is_written_into_it(
    run_cli: Run, read_only_repo: Path, tmp_path: Path
) -> None:
    xdg = tmp_path / "xdg"
    before_repo, before_shared = _snapshot(read_only_repo), _snapshot(shared_dir())
    result = run_cli(
        "--repo",
        str(read_only_repo),
        "validate",
        "--format",
        "json",
        env={
            "XDG_CACHE_HOME": str(xdg),
            "KUBERAY_GITOPS_SHARED_DIR": str(shared_dir()),
            "KUBERAY_GITOPS_TOOLS_DIR": str(TOOLS_DIR),
        },
    )
    assert result.exit_code == 0, result.stdout[-2000:] + result.stderr
    assert json.loads(result.stdout)["summary"]["objects"] > 100
    assert _snapshot(read_only_repo) == before_repo
    assert _snapshot(shared_dir()) == before_shared
    cache = xdg / "kuberay-gitops"
    assert sorted(p.name for p in cache.iterdir()) != []


def test_an_unwritable_cache_directory_is_a_one_line_tool_error(
    run_cli: Run, read_only_repo: Path, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    result = run_cli(
        "--repo",
        str(read_only_repo),
        "validate",
        "--skip-checkov",
        env={
            "KUBERAY_GITOPS_CACHE_DIR": str(blocker / "cache"),
            "KUBERAY_GITOPS_SHARED_DIR": str(shared_dir()),
            "KUBERAY_GITOPS_TOOLS_DIR": str(TOOLS_DIR),
        },
    )
    assert result.exit_code == 3
    [line] = result.stderr.strip().splitlines()
    assert str(blocker) in line
    assert "Traceback" not in result.stderr
    assert os.path.isfile(blocker)


def _git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false", *args],
        cwd=root,
        check=True,
        capture_output=True,
    )


def _make_stat_data_stale(repo: Path) -> None:
    """Give every tracked file a newer mtime with the same content.

    `git diff` then finds stat data that no longer matches and writes a refreshed index back
    when it can (as root it can, even read-only): what CI once caught by chance, every time.
    """
    later = time.time() + 5
    for path in repo.rglob("*"):
        if ".git" not in path.relative_to(repo).parts and path.is_file():
            os.utime(path, (later, later))


def test_changed_since_and_diff_with_a_deletion_write_nothing_into_the_checkout(
    run_cli: Run, tmp_path: Path
) -> None:
    require_setup()
    repo = tmp_path / "repo"
    copy_repository(REPO_ROOT, repo)
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "base")
    (repo / "overlays/dev/raycluster/patch-raycluster-size.yaml").unlink()  # base tree needed
    _make_stat_data_stale(repo)
    _set_writable(repo, writable=False)
    env = {
        "XDG_CACHE_HOME": str(tmp_path / "xdg"),
        "KUBERAY_GITOPS_SHARED_DIR": str(shared_dir()),
        "KUBERAY_GITOPS_TOOLS_DIR": str(TOOLS_DIR),
    }
    before = _snapshot(repo)
    try:
        since = run_cli(
            "--repo", str(repo), "validate", "--skip-checkov", "--changed-since", "main", env=env
        )
        diff = run_cli("--repo", str(repo), "diff", "--base", "main", env=env)
        after = _snapshot(repo)
    finally:
        _set_writable(repo, writable=True)
    assert since.exit_code == 1, since.stdout + since.stderr  # the deleted patch is missing
    assert "overlays/dev/raycluster" in since.stdout
    assert diff.exit_code == 0, diff.stderr
    assert after == before
    assert list((tmp_path / "xdg" / "kuberay-gitops" / "tmp").iterdir()) == []
