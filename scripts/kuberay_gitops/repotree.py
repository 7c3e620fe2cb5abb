"""Which directories of a checkout hold repository content.

Why a module of its own: discovery, hardened rendering, the yamllint adapter and the
pipeline's directory listing all walk the checkout, and all must skip the same set-up
output; the yamllint adapter sits below discovery, so the answer lives under both.
"""

from __future__ import annotations

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
