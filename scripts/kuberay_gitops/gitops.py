"""Which GitOps engine syncs a repository: Argo CD, Flux, or none the tool can see.

Why: messages name the engine that will sync what they judge ("Argo CD would sync
nothing" is wrong in a Flux repository), and `init` writes a starting config from it.
Detected once per run from the repository's YAML files by their `apiVersion` and `kind`
lines, as text: no YAML parser ever sees a file of an untrusted pull request here (the
input limits of `inputs` run later, on the files the stages read), and a Helm template
that is not YAML is read all the same.
"""

from __future__ import annotations

import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType

from kuberay_gitops.tools.yamllint import yaml_files


class Engine(StrEnum):
    """A GitOps engine; NONE when the repository holds no object of either."""

    ARGOCD = "argocd"
    FLUX = "flux"
    NONE = "none"

    @property
    def display(self) -> str:
        """The engine's name in a message."""
        return _DISPLAY[self]


_DISPLAY = MappingProxyType(
    {Engine.ARGOCD: "Argo CD", Engine.FLUX: "Flux", Engine.NONE: "the GitOps engine"}
)

# The objects that say who syncs: Argo CD's Applications, and Flux's source and
# reconciler kinds (a Flux `Kustomization` is kustomize.toolkit.fluxcd.io, never the
# kustomize.config.k8s.io file kind).
_KINDS = MappingProxyType(
    {
        Engine.ARGOCD: (
            re.compile(r"argoproj\.io/"),
            frozenset({"Application", "ApplicationSet", "AppProject"}),
        ),
        Engine.FLUX: (
            re.compile(r"(kustomize|source|helm)\.toolkit\.fluxcd\.io/"),
            frozenset(
                {"Kustomization", "GitRepository", "OCIRepository", "HelmRelease", "HelmRepository"}
            ),
        ),
    }
)
# What is read of a file: an engine's objects sit in files far smaller, and a huge or
# endless file (a FIFO is skipped, a 1 GB file is not read whole) costs no more.
_READ_BYTES = 1 << 20
# Text every apiVersion `_KINDS` matches contains: a file without any holds no object.
_GROUPS = (b"argoproj.io/", b".toolkit.fluxcd.io/")
_DOC_SPLIT = re.compile(r"^---[ \t]*$", re.MULTILINE)
_API = re.compile(r"^apiVersion:[ \t]*['\"]?([^'\"\s#]+)", re.MULTILINE)
_KIND = re.compile(r"^kind:[ \t]*['\"]?([A-Za-z]+)", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class EngineObject:
    """An object of an engine, where it is (repo-relative POSIX path)."""

    engine: Engine
    kind: str
    file: str


def objects(repo_root: Path) -> Iterator[EngineObject]:
    """Every Argo CD and Flux object of the repository's YAML files, file by file."""
    root = repo_root.resolve()
    for path in yaml_files(root):
        try:
            if not stat.S_ISREG(path.lstat().st_mode):
                continue  # a symlink, a FIFO, a device: never followed, never read
            with path.open("rb") as f:
                data = f.read(_READ_BYTES)
        except OSError:
            continue
        if not any(group in data for group in _GROUPS):
            continue  # no object of either engine: no decoding, no per-document scan
        text = data.decode("utf-8", errors="replace")
        rel = path.relative_to(root).as_posix()
        for doc in _DOC_SPLIT.split(text):
            api, kind = _API.search(doc), _KIND.search(doc)
            if api is None or kind is None:
                continue
            for engine, (group, kinds) in _KINDS.items():
                if group.match(api.group(1)) and kind.group(1) in kinds:
                    yield EngineObject(engine, kind.group(1), rel)


def detect(repo_root: Path) -> Engine:
    """The engine with the most objects in the repository (Argo CD on a tie), else NONE."""
    counts = dict.fromkeys((Engine.ARGOCD, Engine.FLUX), 0)
    for obj in objects(repo_root):
        counts[obj.engine] += 1
    best = max(counts, key=lambda e: (counts[e], e is Engine.ARGOCD))
    return best if counts[best] else Engine.NONE
