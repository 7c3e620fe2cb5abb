"""Render cache: a target's parsed objects keyed by a hash of everything its build reads.

The key covers the kustomize version, the git config that redirects remote bases to the
content-addressed local mirrors, and the bytes of every repository file the target's
kustomize graph can read (`kgraph.dependencies`: kustomizations, resources, patches,
components, generator inputs; a directory entry covers every file under it; a missing
file counts as missing), each path relative to the target. Unchanged targets are then
not rebuilt or re-parsed, and targets that build the same thing are built once. Without
mirrors (online remote bases, whose tags could move) nothing is cached between runs.
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from kuberay_gitops import diskcache
from kuberay_gitops.discover import RenderTarget
from kuberay_gitops.filememo import RunCache
from kuberay_gitops.kgraph import dependencies
from kuberay_gitops.tools.runner import run

DIR = "render"


def _hash_file(h: Any, root: Path, rel: str, target: str) -> None:
    path = root / rel
    h.update(posixpath.relpath(rel, target).encode() + b"\0")
    try:
        h.update(path.read_bytes() if path.is_file() else b"\0missing")
    except OSError:
        h.update(b"\0unreadable")
    h.update(b"\0")


def key(
    repo_root: Path,
    target: RenderTarget,
    kustomize_version: str,
    env: Mapping[str, str],
    cache: RunCache,
) -> str:
    """The cache key of one target's render: what it reads, seen from the target.

    Paths enter relative to the target directory, so two targets that read the same
    bytes at the same relative places (every environment's CRD unit) share a key: the
    build is the same, and one render serves both.
    """
    h = hashlib.sha256()
    h.update(f"v2\0{kustomize_version}\0".encode())
    config = env.get("GIT_CONFIG_GLOBAL")
    if config:
        h.update(Path(config).read_bytes())
    for dep in sorted(dependencies(repo_root, target.path, cache)):
        if dep.endswith("/"):
            base = repo_root / dep
            files = sorted(p for p in base.rglob("*") if p.is_file()) if base.is_dir() else []
            rel_dir = posixpath.relpath(dep.rstrip("/") or ".", target.path)
            h.update(f"{rel_dir}/\0{len(files)}\0".encode())
            for p in files:
                _hash_file(h, repo_root, p.relative_to(repo_root).as_posix(), target.path)
        else:
            _hash_file(h, repo_root, dep, target.path)
    return h.hexdigest()


def load(cache_dir: Path, digest: str, memo: dict[str, list[Any]]) -> list[Any] | None:
    """Cached documents, or None on a miss (or an unreadable entry).

    Entries point at content-addressed files, and `memo` keeps each content loaded once
    per run: every environment renders the same CRDs (megabytes each).
    """
    try:
        content = (cache_dir / DIR / f"{digest}.ref").read_text().strip()
        if content in memo:
            return memo[content]
        docs = json.loads((cache_dir / DIR / "content" / f"{content}.json").read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(docs, list):
        return None
    memo[content] = docs
    return docs


def store(cache_dir: Path, digest: str, docs: list[Any]) -> None:
    """Write an entry atomically (concurrent runs may write the same entry)."""
    text = json.dumps(docs, default=str, separators=(",", ":"))
    content = hashlib.sha256(text.encode()).hexdigest()
    target = cache_dir / DIR / "content" / f"{content}.json"
    if not target.exists():
        diskcache.atomic_write(target, text)
    diskcache.atomic_write(cache_dir / DIR / f"{digest}.ref", content)


# Paths given to git are paths, never pathspec magic (`:(top)x` would name another path),
# and a checkout owned by another user (CI containers) is still read.
_GIT_LITERAL: Mapping[str, str] = MappingProxyType(
    {
        "GIT_LITERAL_PATHSPECS": "1",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
    }
)
_GIT = ("git", "-c", "safe.directory=*", "-c", "core.quotePath=false")


def distrust(cache_dir: Path, repo_root: Path) -> str | None:
    """Why the caches under `cache_dir` must not be read for `repo_root`, or None.

    A cache entry stands in for a render (and the cluster stage's stored verdict for a
    twin run), so a file the repository under check brings must never be one: a pull
    request could commit an entry that maps a defective input to a clean render. A cache
    outside the repository is ours; one inside it only when git ignores it and tracks
    no file in it (the repository's `/.cache/`), never in a tree that is not in a git
    checkout, where nothing tells content from what a run wrote.
    """
    cache, root = cache_dir.resolve(), repo_root.resolve()
    if not cache.is_relative_to(root):
        return None
    rel = cache.relative_to(root).as_posix() or "."
    why = f"cache_dir {rel} is inside the repository under check"
    env = _GIT_LITERAL
    top = run([*_GIT, "rev-parse", "--show-toplevel"], cwd=root, env=env, timeout=30)
    if top.returncode != 0:
        return f"{why}, which is not in a git checkout"
    # check-ignore takes no `literal` magic: `./` keeps a leading `:` a plain name.
    ignored = run(
        [*_GIT, "check-ignore", "-q", "--no-index", "--", f"./{rel}/"],
        cwd=root,
        env={k: v for k, v in env.items() if k != "GIT_LITERAL_PATHSPECS"},
        timeout=30,
    )
    if ignored.returncode != 0:
        return f"{why} and git does not ignore it"
    tracked = run([*_GIT, "ls-files", "-z", "--", rel], cwd=root, env=env, timeout=30)
    if tracked.returncode != 0 or tracked.stdout:
        return f"{why} and git tracks files in it"
    return None
