"""Serve remote kustomize bases from local git mirrors built from the shared directory.

kustomize clones `https://github.com/org/repo//path?ref=TAG` with git on every build.
We build, once per content hash, a local repository holding the shared copy at the
upstream path, tagged with the upstream ref, and point git at it with
`url.<mirror>.insteadOf <upstream>` in a private GIT_CONFIG_GLOBAL. The shared
directory is only read.

Concurrent runs may share one cache directory (CI jobs, a `diff` building both sides).
Nothing there is ever rewritten in place: a mirror is built in a private staging
directory and renamed into its content-addressed place (the loser of a race drops its
identical copy), and the git config is named by the hash of its text, written to a
unique temporary file and renamed. A run therefore never reads another run's half-written
file, nor a config that redirects remotes its own settings do not (one shared `gitconfig`
did: the last run to write it decided where every running build's git went).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import MappingProxyType

from kuberay_gitops.exitcodes import ConfigError, ToolFailed
from kuberay_gitops.settings import Mirror, Settings
from kuberay_gitops.tools.runner import one_line, run

_GIT_ENV: Mapping[str, str] = MappingProxyType(
    {
        "GIT_AUTHOR_NAME": "kuberay-gitops",
        "GIT_AUTHOR_EMAIL": "mirror@kuberay-gitops.invalid",
        "GIT_COMMITTER_NAME": "kuberay-gitops",
        "GIT_COMMITTER_EMAIL": "mirror@kuberay-gitops.invalid",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_AUTHOR_DATE": "2000-01-01T00:00:00Z",
        "GIT_COMMITTER_DATE": "2000-01-01T00:00:00Z",
    }
)


def _tree_hash(source: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(p for p in source.rglob("*") if p.is_file()):
        h.update(path.relative_to(source).as_posix().encode())
        h.update(b"\0")
        h.update(path.read_bytes())
        h.update(b"\0")
    return h.hexdigest()[:16]


def _git(args: Sequence[str], cwd: Path) -> None:
    out = run(["git", *args], cwd=cwd, env=_GIT_ENV, timeout=120)
    if out.returncode != 0:
        raise ToolFailed(f"git {args[0]} for the local mirror failed: {one_line(out.stderr)}")


def _build(mirror: Mirror, source: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".mirror-", dir=dest.parent))
    try:
        shutil.copytree(source, staging / mirror.path)
        _git(["init", "-q"], staging)
        _git(["add", "-A"], staging)
        _git(["commit", "-q", "-m", f"offline mirror of {mirror.url} at {mirror.ref}"], staging)
        _git(["tag", mirror.ref], staging)
        try:
            staging.rename(dest)
        except OSError:
            if not dest.exists():  # another process may have won the race; both are identical
                raise
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def _check_source(mirror: Mirror, source: Path, shared: Path) -> None:
    """A mirror's source is shared material, copied into every build that uses it.

    So it must lie inside `shared_dir` and hold no symlink: the copy follows symlinks, and
    one pointing at `/proc/self/environ` or a key file would put this machine's secrets in
    rendered output and finding messages.
    """
    where = f"mirrors: {mirror.url}@{mirror.ref}: source {mirror.source}"
    if not source.resolve().is_relative_to(shared.resolve()):
        raise ConfigError(f"{where} is not a directory inside shared_dir")
    for dirpath, dirnames, filenames in os.walk(source):
        for name in [*dirnames, *filenames]:
            if (Path(dirpath) / name).is_symlink():
                link = (Path(dirpath) / name).relative_to(source).as_posix()
                raise ConfigError(
                    f"{where} holds a symlink ({link}); a mirror is never built through one"
                )


def git_env(settings: Settings) -> dict[str, str]:
    """Environment for kustomize: private git config redirecting mirrored remotes."""
    if not settings.use_mirrors or not settings.mirrors:
        return {}
    root = settings.cache_path / "mirrors"
    lines: list[str] = []
    for mirror in settings.mirrors:
        source = settings.shared_path / mirror.source
        if not source.is_dir():
            raise ConfigError(
                f"mirrors: {mirror.url}@{mirror.ref}: source {source} is not a directory "
                "(is ../shared beside the repository? set shared_dir or KUBERAY_GITOPS_SHARED_DIR)"
            )
        _check_source(mirror, source, settings.shared_path)
        key = hashlib.sha256(f"{mirror.url}\0{mirror.ref}\0{mirror.path}".encode()).hexdigest()[:8]
        dest = root / f"{key}-{_tree_hash(source)}"
        if not (dest / ".git").is_dir():
            _build(mirror, source, dest)
        lines.append(f'[url "{dest.resolve().as_uri()}"]\n\tinsteadOf = {mirror.url}\n')
    text = "".join(lines)
    config = root / f"gitconfig-{hashlib.sha256(text.encode()).hexdigest()[:16]}"
    if not config.is_file() or config.read_text() != text:
        _write_atomically(config, text)
    return {"GIT_CONFIG_GLOBAL": str(config), "GIT_CONFIG_NOSYSTEM": "1"}


def _write_atomically(path: Path, text: str) -> None:
    """Write through a temporary file unique to this call (pids repeat across containers)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as out:
            out.write(text)
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
