"""Discover render targets: every directory Argo CD renders, from the configured globs.

Pure: reads the tree, starts no process. A target is a directory with a kustomization
file whose kind, read as kustomize reads it (`kgraph.kind`), is not `Component`
(components are only ever included by targets).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from kuberay_gitops import kgraph
from kuberay_gitops.exitcodes import NothingToCheck
from kuberay_gitops.filememo import RunCache


@dataclass(frozen=True, slots=True, order=True)
class RenderTarget:
    """A directory kustomize builds; `path` is repo-relative POSIX."""

    path: str


def discover(
    repo_root: Path, patterns: Sequence[str], cache: RunCache | None = None
) -> list[RenderTarget]:
    """All render targets matching the patterns, sorted and deduplicated.

    A kustomization that cannot be read strictly is still a target: hardened rendering
    and the render report it. `cache` is the run's, when the caller goes on to walk the
    targets' graphs (their kustomizations are then parsed once).
    """
    run_cache = cache or RunCache()
    found: set[RenderTarget] = set()
    root = repo_root.resolve()
    for pattern in patterns:
        for directory in sorted(root.glob(pattern)):
            if not directory.is_dir() or any(p.startswith(".") for p in directory.parts[-1:]):
                continue
            kfile = kgraph.kustomization_file(directory)
            if kfile is None or kgraph.kind(kfile, run_cache) == "Component":
                continue
            found.add(RenderTarget(directory.relative_to(root).as_posix()))
    return sorted(found)


def select(
    targets: Sequence[RenderTarget], repo_root: Path, paths: Sequence[str]
) -> list[RenderTarget]:
    """Targets at or under the given paths; a path matching none is an error."""
    if not paths:
        if not targets:
            raise NothingToCheck("no render targets discovered (check `targets` in the config)")
        return list(targets)
    root = repo_root.resolve()
    chosen: list[RenderTarget] = []
    for raw in paths:
        # Relative paths are relative to the working directory inside the repository, and
        # to the repository root when running from elsewhere (`--repo`).
        cwd = Path.cwd().resolve()
        base = cwd if cwd == root or root in cwd.parents else root
        try:
            rel = (base / raw).resolve().relative_to(root).as_posix()
        except ValueError as exc:
            raise NothingToCheck(f"{raw}: outside the repository {root}") from exc
        matched = [
            t for t in targets if rel in (".", "") or t.path == rel or t.path.startswith(rel + "/")
        ]
        if not matched:
            raise NothingToCheck(f"{raw}: no render target at or under this path")
        chosen.extend(m for m in matched if m not in chosen)
    return sorted(chosen)
