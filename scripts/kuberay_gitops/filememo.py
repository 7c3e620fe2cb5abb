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


class RunCache:
    """The memos of one run, shared by every target and thread of it.

    - `kustomizations`: the strict parse of a kustomization (`kgraph.load`);
    - `documents`: its round-trip parse with positions (`kgraph.documents`, for harden);
    - `refused`: the input-limit findings of a referenced file (`inputs.refused`);
    - `resolved`: where a path leads through symlinks (`real`, `inside`);
    - `dependencies`: the files a build of a directory reads (`kgraph.dependencies`),
      asked for by the render cache key, the per-file stages and locate, per target.
    """

    def __init__(self) -> None:
        self.kustomizations: FileMemo[dict[str, object] | Exception] = FileMemo()
        self.documents: FileMemo[list[Any] | tuple[int, str]] = FileMemo()
        self.refused: FileMemo[list[Finding]] = FileMemo()
        self.resolved: Memo[tuple[Path, str], Path | None] = Memo()
        self.dependencies: Memo[tuple[Path, str], frozenset[str]] = Memo()

    def _resolve(self, root: Path, path: str) -> Path | None:
        return self.resolved.get((root, path), _resolve)

    def real(self, root: Path, path: str) -> str | None:
        """Where a repo-relative path leads through symlinks, if elsewhere in the repository.

        Resolved once per run: every environment's targets resolve the same base paths.
        `root` is resolved already.
        """
        resolved = self._resolve(root, path)
        if resolved is None or resolved == root or not resolved.is_relative_to(root):
            return None
        rel = resolved.relative_to(root).as_posix()
        return rel if rel != path else None

    def inside(self, root: Path, path: str) -> bool:
        """Whether a repo-relative path leads to a place inside the (resolved) `root`."""
        resolved = self._resolve(root, path)
        return resolved is not None and resolved.is_relative_to(root)


def _resolve(key: tuple[Path, str]) -> Path | None:
    root, path = key
    try:
        return (root / path).resolve()
    except (OSError, RuntimeError):
        return None
