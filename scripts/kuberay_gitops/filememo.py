"""What one run learns about the repository's files, kept for that run only.

Why: every environment's targets reach the same bases and components, so the graph walk
(`kgraph.dependencies`), the hardened-rendering scan (`harden`) and the input limits of
referenced files (`inputs.refused`) would otherwise parse each shared file once per
target. A file is keyed by path, modification time and size, so an edit made while the
run goes on is parsed again.

Why per run and never per process: a process may run twice (`new-env` validates what it
has just written; tests build tree after tree), and a symlink resolution is keyed by
path alone. The entry point of a run creates one `RunCache` and passes it down; nothing
is kept at module level (tests/unit/test_architecture.py scans for it).
"""

from __future__ import annotations

import errno
import os
import posixpath
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Generic, TypeVar

from kuberay_gitops.findings import Finding

T = TypeVar("T")
K = TypeVar("K")


class FileMemo(Generic[T]):
    """`get(path, parse)` runs `parse(path)` once per file version; thread-safe."""

    def __init__(self) -> None:
        self._results: dict[tuple[str, int, int], T] = {}
        self._lock = threading.Lock()

    def get(self, path: Path, parse: Callable[[Path], T]) -> T:
        """The memoized result; an error of `stat` or `parse` propagates, and is not kept."""
        st = path.stat()
        key = (str(path), st.st_mtime_ns, st.st_size)
        with self._lock:
            if key in self._results:
                return self._results[key]
        result = parse(path)
        with self._lock:
            self._results[key] = result
        return result


class Memo(Generic[K, T]):
    """`get(key, compute)` runs `compute(key)` once per key; thread-safe.

    Two threads asking at once may both compute; one result is kept and both get it.
    """

    def __init__(self) -> None:
        self._results: dict[K, T] = {}
        self._lock = threading.Lock()

    def get(self, key: K, compute: Callable[[K], T]) -> T:
        """The memoized result."""
        with self._lock:
            if key in self._results:
                return self._results[key]
        result = compute(key)
        with self._lock:
            return self._results.setdefault(key, result)

    def peek(self, key: K) -> T | None:
        """The result kept for `key`, if any."""
        with self._lock:
            return self._results.get(key)

    def put(self, key: K, value: T) -> None:
        """Keep `value` for `key` (computed by the caller)."""
        with self._lock:
            self._results.setdefault(key, value)


class RunCache:
    """The memos of one run, shared by every target and thread of it.

    - `kustomizations`: the strict parse of a kustomization (`kgraph.load`);
    - `documents`: its round-trip parse with positions (`kgraph.documents`, for harden);
    - `refused`: the input-limit findings of a referenced file (`inputs.refused`);
    - `resolved`: where a path leads through symlinks, repo-relative (`real`, `inside`);
    - `hardened`: a kustomization's hardening findings and the directories it names
      (`harden.scan`, per kustomization directory and allowed remotes);
    - `closures`: the files a build of a directory reads (`kgraph.dependencies`), per
      directory: every environment's targets reach the same bases and components, and the
      render cache key, the per-file stages and locate all ask.
    """

    def __init__(self) -> None:
        self.kustomizations: FileMemo[dict[str, object] | Exception] = FileMemo()
        self.documents: FileMemo[list[Any] | tuple[int, str]] = FileMemo()
        self.refused: FileMemo[list[Finding]] = FileMemo()
        self.resolved: Memo[tuple[str, str], str | None] = Memo()
        self.closures: Memo[tuple[str, str], frozenset[str]] = Memo()
        self.hardened: Memo[tuple[str, str, str], tuple[tuple[Finding, ...], tuple[Path, ...]]] = (
            Memo()
        )

    def real(self, root: Path, path: str) -> str | None:
        """Where a repo-relative path leads through symlinks, if elsewhere in the repository.

        Resolved once per run: every environment's targets resolve the same base paths.
        `root` is resolved already.
        """
        rel = self._resolve(str(root), path)
        return None if rel is None or rel in (".", path) else rel

    def inside(self, root: Path, path: str) -> bool:
        """Whether a repo-relative path leads to a place inside the (resolved) `root`."""
        return self._resolve(str(root), path) is not None

    def _resolve(self, root: str, path: str) -> str | None:
        """Where normalized `path` leads, relative to `root`; None when outside it (or a loop).

        Its directory is resolved first (once, for every path under it), so each path
        costs one `lstat` of its own name.
        """

        def resolve(key: tuple[str, str]) -> str | None:
            parent, name = posixpath.split(key[1])
            where = self._resolve(root, parent) if parent else "."
            if where is None:  # a way out of the repository may lead back into it
                return _inside(root, os.path.realpath(posixpath.join(root, key[1])))
            full = posixpath.join(root, where, name) if where != "." else f"{root}/{name}"
            return _inside(root, os.path.realpath(full) if os.path.islink(full) else full)

        if path in (".", ""):
            return "."
        return self.resolved.get((root, path), resolve)


def _inside(root: str, resolved: str) -> str | None:
    """`resolved` relative to `root`; None when outside it or a symlink loop."""
    try:
        os.stat(resolved)
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # a symlink loop leads nowhere (pathlib's resolve)
            return None
    base = root.rstrip("/")
    if resolved == base:
        return "."
    if not resolved.startswith(base + "/"):
        return None
    return posixpath.normpath(resolved[len(base) + 1 :])
