"""Parse results memoized per file version for one process.

Why: every environment's targets reach the same bases and components, so the graph walk
(`affected`) and the hardened-rendering scan (`harden`) would otherwise parse each shared
kustomization once per target. A file is keyed by path, modification time and size, so
an edit made while the process runs (`new-env`, tests) is parsed again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

T = TypeVar("T")


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
