"""Render targets with the pinned kustomize, exactly as Argo CD's repo-server would.

Default load restrictor, no exec/alpha plugins, no Helm, a timeout, and caps on the
output kept and the memory mapped per build (`render.output_limit_mib`,
`render.memory_limit_mib`; runner.Bounds): a kustomization that includes a base twice per
level doubles the objects with every level, and kustomize holds them all in memory. A failed
build is a result (turned into a `render` finding, `render[output-limit]` or
`render[memory-limit]` for a cap), not an exception: one broken overlay must not hide the
findings of the others.

`render_targets` is the render stage of a run: every target in parallel, each distinct
build once, parsed once, served from the render cache (`rendercache`) when its inputs
are unchanged.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from kuberay_gitops import rendercache
from kuberay_gitops.discover import RenderTarget
from kuberay_gitops.exitcodes import ToolFailed
from kuberay_gitops.filememo import RunCache
from kuberay_gitops.manifests import K8sObject, load_stream, objects_from_docs
from kuberay_gitops.settings import Settings
from kuberay_gitops.tools.mirror import git_env
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


@dataclass(slots=True)
class RenderedTarget:
    """A target after render and parse."""

    target: RenderTarget
    objects: list[K8sObject] = field(default_factory=list)
    error: str | None = None


def make_renderer(settings: Settings, kustomize: Path) -> Renderer:
    """The renderer of a run: pinned kustomize, mirrors, timeout."""
    return Renderer(
        kustomize=kustomize,
        repo_root=settings.repo_root,
        cache_dir=settings.cache_path,
        env=git_env(settings),
        timeout=settings.render_timeout,
        output_limit_mib=settings.render_output_mib,
        memory_limit_mib=settings.render_memory_mib,
    )


Progress = Callable[[str], None]


def quiet(_: str) -> None:
    """The default progress sink: say nothing."""


def render_targets(
    settings: Settings,
    renderer: Renderer,
    targets: Sequence[RenderTarget],
    use_cache: bool,
    progress: Progress = quiet,
    cache: RunCache | None = None,
) -> list[RenderedTarget]:
    """Render and parse targets in parallel, each distinct build once.

    Targets whose inputs are the same bytes at the same relative places (every
    environment's CRD unit) share a render key: one of them is built, the others take
    its documents. Across runs, the render cache serves unchanged keys. `cache` is the
    run's (a fresh one when the caller has none).
    """
    run_cache = cache or RunCache()
    cacheable = use_cache and settings.render_cache and settings.use_mirrors
    done: list[str] = []
    parsed: dict[str, list[Any]] = {}
    loaded: dict[str, list[Any]] = {}
    lock = threading.Lock()

    def build(target: RenderTarget) -> tuple[list[Any] | None, str | None]:
        rendered = renderer.render(target)
        if rendered.error is not None:
            return None, rendered.error
        # Environments may still render identical text from different inputs; parse once.
        text_key = hashlib.sha256(rendered.text.encode()).hexdigest()
        with lock:
            docs = parsed.get(text_key)
        if docs is None:
            docs = [o.body for o in load_stream(rendered.text, target.path)]
            with lock:
                parsed[text_key] = docs
        return docs, None

    def one(target: RenderTarget, digest: str) -> tuple[list[Any] | None, str | None]:
        docs = None
        if cacheable:
            with lock:
                docs = rendercache.load(settings.cache_path, digest, loaded)
        if docs is None:
            docs, error = build(target)
            if error is not None:
                return None, error
            if cacheable and docs:
                rendercache.store(settings.cache_path, digest, docs)
        return docs, None

    def keyed(target: RenderTarget) -> str:
        # The inputs of the tree being built: `diff --generated` builds a base tree too.
        return rendercache.key(
            renderer.repo_root, target, settings.toolchain.kustomize, renderer.env, run_cache
        )

    jobs = settings.effective_jobs
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        digests = list(pool.map(keyed, targets))
        first: dict[str, RenderTarget] = {}
        for target, digest in zip(targets, digests, strict=True):
            first.setdefault(digest, target)

        def build_key(digest: str) -> tuple[list[Any] | None, str | None]:
            result = one(first[digest], digest)
            done.append(first[digest].path)
            progress(f"rendered {len(done)}/{len(first)} distinct builds ({first[digest].path})")
            return result

        results = dict(zip(first, pool.map(build_key, list(first)), strict=True))
    out = []
    for target, digest in zip(targets, digests, strict=True):
        docs, error = results[digest]
        if error is not None and target != first[digest]:
            docs, error = build(target)  # its own message, naming its own paths
        if error is not None or docs is None:
            out.append(RenderedTarget(target, [], error))
        else:
            out.append(RenderedTarget(target, objects_from_docs(docs, target.path)))
    return out


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
