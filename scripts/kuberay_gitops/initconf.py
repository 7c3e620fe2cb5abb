"""`kuberay-gitops init`: a starting `kuberay-gitops.yaml` for an existing repository.

Why: a team adopting the tool should not have to learn the config to get a first run.
What can be read off the repository is written, and explained in comments:

- `targets`: the directories kustomize builds for deployment. Every directory with a
  kustomization that is not a Component and that no other such kustomization includes
  (a base is built through its overlays), plus any directory an Argo CD Application or a
  Flux Kustomization names as its path. Sibling targets are folded into a glob when the
  glob finds exactly targets (`overlays/*/*`), so a new overlay is picked up.
- the GitOps engine (Argo CD, Flux), in a comment: `validate` detects it on every run.
- `profile: correctness`: what is wrong for any KubeRay or Kubernetes user.
- `schema.allow_missing` for the engine's kinds that a target renders: their CRDs do not
  come with the tool, and the entry says so and how to do better.

An existing config is never overwritten.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from kuberay_gitops import gitops, kgraph
from kuberay_gitops.discover import discover
from kuberay_gitops.exitcodes import ConfigError, NothingToCheck
from kuberay_gitops.filememo import RunCache
from kuberay_gitops.repotree import skipped_dir
from kuberay_gitops.settings import CONFIG_FILE

# A source path of an Application or a Flux Kustomization (`path: ./overlays/prod`).
_PATH = re.compile(r"^\s+path:[ \t]*['\"]?([^'\"\s#{}]+)['\"]?\s*$", re.MULTILINE)


def kustomization_dirs(root: Path, cache: RunCache) -> list[str]:
    """Repo-relative directories holding a kustomization kustomize builds (no Component)."""
    out = []
    for dirpath, dirnames, _files in os.walk(root):
        rel_parts = Path(dirpath).relative_to(root).parts
        dirnames[:] = sorted(
            d for d in dirnames if not d.startswith(".") and not skipped_dir((*rel_parts, d))
        )
        kfile = kgraph.kustomization_file(Path(dirpath))
        if kfile is not None and rel_parts and kgraph.kind(kfile, cache) != "Component":
            out.append(Path(*rel_parts).as_posix())
    return sorted(out)


def _engine_paths(root: Path, objs: Iterable[gitops.EngineObject]) -> set[str]:
    """Directories the engine's objects name as the path they sync (templated ones skipped)."""
    out = set()
    for file in sorted({o.file for o in objs if o.kind in ("Application", "Kustomization")}):
        for m in _PATH.finditer((root / file).read_text(errors="replace")):
            out.add(os.path.normpath(m.group(1)).removeprefix("./"))
    return out


def find_targets(root: Path, objs: Sequence[gitops.EngineObject], cache: RunCache) -> list[str]:
    """The deployment roots: built by no other kustomization, or named by the engine."""
    dirs = kustomization_dirs(root, cache)
    included: set[str] = set()
    for d in dirs:
        deps = kgraph.dependencies(root, d, cache)
        included |= {
            other
            for other in dirs
            if other != d and any(f"{other}/{name}" in deps for name in kgraph.KUSTOMIZATION_FILES)
        }
    named = _engine_paths(root, objs)
    return sorted(d for d in dirs if d not in included or d in named)


def fold(root: Path, targets: Sequence[str], cache: RunCache) -> list[str]:
    """Target paths as few globs as find exactly them (discovery's rules), else paths.

    A glob keeps at least one literal segment, so it says where targets live.
    """
    wanted = set(targets)
    patterns = set(targets)
    changed = True
    while changed:
        changed = False
        for pattern in sorted(patterns):
            parts = pattern.split("/")
            for i in reversed(range(len(parts))):
                if parts[i] == "*":
                    continue
                wider = "/".join([*parts[:i], "*", *parts[i + 1 :]])
                if set(wider.split("/")) == {"*"}:
                    continue  # `*` or `*/*`: any new directory anywhere would be a target
                found = _matches(root, wider, cache)
                if found <= wanted and len(found) > len(_matches(root, pattern, cache)):
                    patterns = {p for p in patterns if not _matches(root, p, cache) <= found}
                    patterns.add(wider)
                    changed = True
                    break
            if changed:
                break
    return sorted(patterns)


def _matches(root: Path, pattern: str, cache: RunCache) -> set[str]:
    """What discovery finds for one pattern."""
    return {t.path for t in discover(root, [pattern], cache)}


def config_text(
    engine: gitops.Engine, patterns: Sequence[str], missing_kinds: Sequence[str]
) -> str:
    """The config file: every value written explained, nothing a default already says."""
    seen = {
        gitops.Engine.ARGOCD: "Argo CD (Application objects found)",
        gitops.Engine.FLUX: "Flux (Kustomization or source objects found)",
        gitops.Engine.NONE: "none found (no Argo CD or Flux object)",
    }[engine]
    lines = [
        "# kuberay-gitops configuration, started by `kuberay-gitops init`.",
        "# Review it, then commit it. Precedence: command line > environment",
        "# (KUBERAY_GITOPS_*) > this file > defaults. Unknown keys are errors.",
        f"# GitOps engine: {seen}.",
        "# `validate` detects it again on every run.",
        "version: 1",
        "",
        "# correctness: what is wrong for any KubeRay or Kubernetes user. platform adds a",
        "# platform's own policy (port plan, registries, placement, hardening).",
        "profile: correctness",
        "",
        "# Render targets: the directories the engine syncs, each built by",
        "# kustomize as it would (globs; Component directories are skipped).",
        "targets:",
        *(f"  - {_quote(p)}" for p in patterns),
    ]
    if missing_kinds:
        lines += [
            "",
            f"# The {engine.display} CRDs do not come with kuberay-gitops: these kinds",
            "# have no schema. Better: name the CRDs' directory in crd_dirs, then",
            "# remove the entry.",
            "schema:",
            "  allow_missing:",
        ]
        for kind in missing_kinds:
            lines += [
                f"    - kind: {kind}",
                f"      reason: no {engine.display} CRDs given to kuberay-gitops (written by init)",
            ]
    return "\n".join(lines) + "\n"


def _quote(pattern: str) -> str:
    return f'"{pattern}"' if pattern.startswith("*") else pattern


def init(root: Path) -> tuple[Path, gitops.Engine, list[str]]:
    """Write the starting config; return its path, the engine and the targets' globs."""
    root = root.resolve()
    path = root / CONFIG_FILE
    if path.exists() or path.is_symlink():
        raise ConfigError(f"{path} already exists; not overwritten (remove it to start again)")
    cache = RunCache()
    objs = list(gitops.objects(root))
    engine = gitops.detect(root)
    targets = find_targets(root, objs, cache)
    if not targets:
        raise NothingToCheck(f"no kustomization found in {root} (only Components or none)")
    read = {f for t in targets for f in kgraph.dependencies(root, t, cache)}
    missing = sorted({o.kind for o in objs if o.engine is engine and o.file in read})
    patterns = fold(root, targets, cache)
    with path.open("x") as f:  # never replaces a file created meanwhile
        f.write(config_text(engine, patterns, missing))
    return path, engine, patterns
