"""Render targets with the pinned kustomize, exactly as Argo CD's repo-server would.

Default load restrictor, no exec/alpha plugins, no Helm, a timeout, and caps on the
output kept and the memory mapped per build (`render.output_limit_mib`,
`render.memory_limit_mib`; runner.Bounds): a kustomization that includes a base twice per
level doubles the objects with every level, and kustomize holds them all in memory. A failed
build is a result (turned into a `render` finding, `render[output-limit]` or
`render[memory-limit]` for a cap), not an exception: one broken overlay must not hide the
findings of the others.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from kuberay_gitops.discover import RenderTarget
from kuberay_gitops.exitcodes import ToolFailed
from kuberay_gitops.tools.runner import (
    Bounds,
    MemoryLimitExceeded,
    OutputLimitExceeded,
    one_line,
    run,
)

ANNOTATE_DIR = "annotate"
RENDER = "render"
# A capped build's error starts with its variant's text; finding_id reads it back.
_LIMITS: Mapping[str, str] = MappingProxyType(
    {
        "output-limit": "output over render.output_limit_mib",
        "memory-limit": "memory over render.memory_limit_mib",
    }
)


def finding_id(error: str) -> str:
    """The check id of a failed build: `render`, or its variant when a cap stopped it."""
    for variant, prefix in _LIMITS.items():
        if error.startswith(prefix):
            return f"{RENDER}[{variant}]"
    return RENDER


@dataclass(frozen=True, slots=True)
class Rendered:
    """kustomize's output for one target, or its error condensed to one line."""

    target: RenderTarget
    text: str
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Renderer:
    """Everything a kustomize invocation needs; built once per run."""

    kustomize: Path
    repo_root: Path
    cache_dir: Path
    env: Mapping[str, str]
    timeout: float
    output_limit_mib: int
    memory_limit_mib: int

    def _build(self, directory: Path) -> tuple[str, str | None]:
        mib = 1 << 20
        try:
            out = run(
                [str(self.kustomize), "build", str(directory)],
                env=self.env,
                timeout=self.timeout,
                bounds=Bounds(self.output_limit_mib * mib, self.memory_limit_mib * mib),
            )
        except OutputLimitExceeded:
            return "", (
                f"{_LIMITS['output-limit']} ({self.output_limit_mib} MiB): the build was "
                "killed; a base included more than once per level multiplies the output"
            )
        except MemoryLimitExceeded:
            return "", (
                f"{_LIMITS['memory-limit']} ({self.memory_limit_mib} MiB): kustomize ran out "
                "of memory; a base included more than once per level multiplies what it holds"
            )
        except ToolFailed as exc:  # a hung build is this target's problem, not the run's
            return "", f"{exc} (render.timeout_seconds); the build was killed"
        if out.returncode != 0:
            msg = out.stderr.strip().removeprefix("Error:").strip()
            return "", one_line(msg or f"kustomize exited {out.returncode}")
        return out.stdout, None

    def render(self, target: RenderTarget) -> Rendered:
        """The plain build: what Argo CD applies and what is validated."""
        text, error = self._build(self.repo_root / target.path)
        return Rendered(target, text, error)

    def annotate_dir(self, target: RenderTarget) -> Path:
        """Where the annotated build's throw-away kustomization lives.

        Origin paths in the annotated output are relative to it.
        """
        key = f"{self.repo_root.resolve()}\0{target.path}\0{os.getpid()}"
        digest = hashlib.sha256(key.encode()).hexdigest()[:12]
        return self.cache_dir / ANNOTATE_DIR / digest

    def render_annotated(self, target: RenderTarget) -> Rendered:
        """A second build with origin and transformer annotations, for locating findings.

        kustomize rejects absolute paths in `resources`, so a throw-away kustomization is
        written inside the repository's git-ignored cache and refers to the target by a
        relative path; the default load restrictor still applies.
        """
        work = self.annotate_dir(target)
        work.mkdir(parents=True, exist_ok=True)
        rel = os.path.relpath(self.repo_root / target.path, work)
        (work / "kustomization.yaml").write_text(
            "apiVersion: kustomize.config.k8s.io/v1beta1\n"
            "kind: Kustomization\n"
            "buildMetadata: [originAnnotations, transformerAnnotations]\n"
            f"resources:\n- {Path(rel).as_posix()}\n"
        )
        try:
            text, error = self._build(work)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return Rendered(target, text, error)


def render_all(renderer: Renderer, targets: Sequence[RenderTarget], jobs: int) -> list[Rendered]:
    """Render targets in parallel (kustomize is single-threaded), in target order."""
    if jobs <= 1 or len(targets) <= 1:
        return [renderer.render(t) for t in targets]
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(renderer.render, targets))


_FROM = re.compile(r"accumulating resources from '([^']+)'")
_YAML_LINE = re.compile(r"yaml: line (\d+):")
_DIR_RETRY = re.compile(r": must build at directory: '[^']*': file is not directory")


def tidy_error(error: str, repo_root: Path) -> str:
    """Tidy kustomize's message: without this machine's paths, no file-then-directory retry."""
    return _DIR_RETRY.sub("", error).replace(f"{repo_root.resolve()}/", "")


def culprit(error: str, repo_root: Path, target: RenderTarget) -> tuple[str | None, int | None]:
    """The repository file a failed build names, and its line when kustomize gives one.

    kustomize nests `accumulating resources from 'X'` once per base; each X is relative
    to the directory before it. The innermost regular file is the culprit; a chain that
    ends in a directory or a missing file is the kustomization's fault (None).
    """
    root = repo_root.resolve()
    here = root / target.path
    found: Path | None = None
    for raw in _FROM.findall(error):
        candidate = Path(os.path.normpath(here / raw))
        if candidate.is_dir():
            here, found = candidate, None
        elif candidate.is_file() and candidate.is_relative_to(root):
            found = candidate
            break
        else:
            return None, None
    if found is None:
        return None, None
    m = _YAML_LINE.search(error)
    return found.relative_to(root).as_posix(), int(m.group(1)) if m else None
