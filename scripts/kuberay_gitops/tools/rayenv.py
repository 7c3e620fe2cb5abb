"""The live Ray audit's own Python environments: one pinned venv per Ray version.

Ray runs at the version of each cluster's image, never in the tool's `.venv` (its
dependencies would pin the tool's, and a second Ray version would need a second tool).
`make setup` creates `.tools/ray/<version>/` (beside `tools_dir`, outside the tracked
files) from `toolchain/ray/requirements.txt`; `locate` refuses a venv that is missing or
was not finished, with the set-up instruction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from kuberay_gitops.exitcodes import ToolNotFound
from kuberay_gitops.settings import Settings

REQUIREMENTS = Path("toolchain/ray/requirements.txt")
STAMP = ".installed"
# The Ray version of an image tag: `rayproject/ray:2.55.1`, `...:2.55.1-gpu`, `...:2.55.1-py311`.
_TAG_VERSION = re.compile(r":(\d+\.\d+\.\d+)(?:[-.][A-Za-z0-9_.-]*)?(?:@sha256:[0-9a-f]+)?$")
_PIN = re.compile(r"^ray(?:\[[^\]]*\])?==(\S+)\s*$", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class RayEnv:
    """A verified Ray venv: its interpreter and its `ray` command."""

    version: str
    root: Path

    @property
    def python(self) -> Path:
        """The venv's interpreter (runs the probe and Serve helper scripts)."""
        return self.root / "bin" / "python"

    @property
    def ray(self) -> Path:
        """The venv's `ray` CLI."""
        return self.root / "bin" / "ray"

    @property
    def bin(self) -> Path:
        """Put first on PATH, so `ray` in KubeRay's probe scripts is this version."""
        return self.root / "bin"


def image_version(image: str) -> str | None:
    """The Ray version an image tag names, or None (no tag, `latest`, a bare digest)."""
    m = _TAG_VERSION.search(image)
    return m.group(1) if m else None


def pinned_version(repo_root: Path) -> str | None:
    """The Ray version `toolchain/ray/requirements.txt` pins (what `make setup` installs)."""
    try:
        m = _PIN.search((repo_root / REQUIREMENTS).read_text())
    except OSError:
        return None
    return m.group(1) if m else None


def venv_dir(settings: Settings, version: str) -> Path:
    """`.tools/ray/<version>`: beside the pinned binaries, never in the tool's `.venv`."""
    return settings.resolve(settings.tools_dir).parent / "ray" / version


def locate(settings: Settings, version: str, wanted_by: str) -> RayEnv:
    """The venv of Ray `version`, or exit 3 naming what asked for it and how to get one.

    `wanted_by` names the object and field whose image asks for that version.
    """
    root = venv_dir(settings, version)
    if not (root / STAMP).is_file() or not (root / "bin" / "ray").is_file():
        pinned = pinned_version(settings.repo_root)
        if pinned is not None and pinned != version:
            raise ToolNotFound(
                f"{wanted_by} runs Ray {version}, but the audit's Ray venv is pinned to "
                f"{pinned} ({REQUIREMENTS}); pin Ray {version} there and run `make setup`"
            )
        raise ToolNotFound(
            f"no Ray {version} venv at {root} (needed by {wanted_by}); run `make setup`"
        )
    return RayEnv(version, root)
