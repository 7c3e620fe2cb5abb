"""Locate the pinned kustomize and kubeconform and refuse any other version.

The version is read from the Go build information embedded in each binary (the
`mod <module> <version>` record `go install` writes), not from `--version` output:
kubeconform built with `go install` prints "development" there.
"""

from __future__ import annotations

import mmap
import re
from dataclasses import dataclass
from pathlib import Path

from kuberay_gitops.exitcodes import ToolNotFound
from kuberay_gitops.settings import Settings

_MOD_RE = re.compile(rb"\nmod\t([^\t\n]+)\t(v[^\t\n]+)")
# How a missing or wrong binary is fixed, by an installed tool and in this repository.
SETUP_HINT = "run `kuberay-gitops setup` (`make setup` in the kuberay-gitops repository)"


@dataclass(frozen=True, slots=True)
class Tools:
    """Paths of verified binaries."""

    kustomize: Path
    kubeconform: Path


def module_version(path: Path) -> str | None:
    """The main module version recorded in a Go binary, or None."""
    # Mapped, not read: the binaries are tens of megabytes and every run asks (a read
    # copied them whole, 40 ms of a one-overlay `--changed-since`).
    try:
        with path.open("rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
            m = _MOD_RE.search(data)
            return m.group(2).decode() if m else None
    except (OSError, ValueError):  # ValueError: an empty file cannot be mapped
        return None


def _check(path: Path, want: str, name: str) -> Path:
    if not path.is_file():
        raise ToolNotFound(f"{name} {want} not found at {path}; {SETUP_HINT}")
    found = module_version(path) or "an unknown version"
    if found != want:
        raise ToolNotFound(f"{name} {want} required, found {found} at {path}; {SETUP_HINT}")
    return path


def locate(settings: Settings) -> Tools:
    """Verify the pinned tools once per run (exit 3 with the set-up instruction otherwise)."""
    bindir = settings.resolve(settings.tools_dir)
    return Tools(
        kustomize=_check(bindir / "kustomize", settings.toolchain.kustomize, "kustomize"),
        kubeconform=_check(bindir / "kubeconform", settings.toolchain.kubeconform, "kubeconform"),
    )
