"""Discover render targets: every directory Argo CD renders, from the configured globs.

Pure: reads the tree, starts no process. A target is a directory with a kustomization
file whose kind is not `Component` (components are only ever included by targets).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from kuberay_gitops.exitcodes import NothingToCheck
from kuberay_gitops.manifests import SAFE_LOADER

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
# Set-up output, caches and VCS data at the repository root: never repository content to
# scan or render. Only at the root: a `build/` deeper down is content kustomize may read.
SKIP_DIRS = frozenset(
    {".git", ".venv", ".tools", ".cache", ".shared", "node_modules", "bench-results", "build"}
)


def skipped_dir(rel_parts: tuple[str, ...]) -> bool:
    """Whether a directory (its repo-relative parts) holds no repository content."""
    return bool(rel_parts) and (
        (len(rel_parts) == 1 and rel_parts[0] in SKIP_DIRS) or rel_parts[-1] == ".git"
    )


@dataclass(frozen=True, slots=True, order=True)
class RenderTarget:
    """A directory kustomize builds; `path` is repo-relative POSIX."""

    path: str


def kustomization_file(directory: Path) -> Path | None:
    """The kustomization file of a directory, if it has one."""
    for name in KUSTOMIZATION_FILES:
        candidate = directory / name
        if candidate.is_file():
            return candidate
    return None


def _is_component(kfile: Path) -> bool:
    try:
        data = yaml.load(kfile.read_text(), Loader=SAFE_LOADER)
    except (OSError, yaml.YAMLError):
        return False  # a broken kustomization is still a target: rendering reports it
    return isinstance(data, dict) and data.get("kind") == "Component"


def discover(repo_root: Path, patterns: Sequence[str]) -> list[RenderTarget]:
    """All render targets matching the patterns, sorted and deduplicated."""
    found: set[RenderTarget] = set()
    root = repo_root.resolve()
    for pattern in patterns:
        for directory in sorted(root.glob(pattern)):
            if not directory.is_dir() or any(p.startswith(".") for p in directory.parts[-1:]):
                continue
            kfile = kustomization_file(directory)
            if kfile is None or _is_component(kfile):
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
