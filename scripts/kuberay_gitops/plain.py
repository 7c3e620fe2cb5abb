"""Plain manifests: `validate --manifests PATH...` judges files of objects, no kustomization.

Why: a team's directory of manifests, or upstream examples such as KubeRay's samples,
deserve the same judgement as a render target without being turned into one first. The
data flow stays the pipeline's: discover (the units of the paths) → render (reading the
files, as Argo CD reads a plain directory source) → index → check → locate → report.

Units (each is a target of the report): a FILE is one unit; a DIRECTORY gives one unit per
directory at or under it holding `*.yaml`, `*.yml` or `*.json` files, made of that
directory's own files, as Argo CD syncs a directory source (`recurse` off) and
`kubectl apply -f DIR` applies it. The objects of one unit are checked together (a Service
and the pods it selects); objects of different units never meet, so separate examples
(KubeRay's samples reuse names from file to file) are given as files.
Identity: `metadata.name`, else `metadata.generateName` (an object made by `kubectl
create`), shown as that prefix.
A unit's "render" fails, as a `render` finding at the file and line with the unit's
objects left unchecked, on: a file the input limits refuse (`input-unsafe`) or that is
not UTF-8 text, YAML that does not parse, a document that is not an object (apiVersion,
kind, a name or generateName), a kustomization (validate its directory as a render
target instead), and one object twice in a unit (one would overwrite the other). A
symlink in a walked directory that leads out of it is never read (`harden-path-escape`).
No harden stage (kustomize never runs) and no cluster stage: the control-plane twin
replays Argo CD environments, and plain manifests have no destination (the KubeRay
samples are applied to a twin by `tests/e2e/test_upstream_samples.py`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from kuberay_gitops import harden, inputs
from kuberay_gitops.discover import RenderTarget
from kuberay_gitops.exitcodes import NothingToCheck
from kuberay_gitops.findings import Finding, Location, Severity
from kuberay_gitops.manifests import K8sObject, documents, ref_of
from kuberay_gitops.tools.runner import one_line

SUFFIXES = (".yaml", ".yml", ".json")
NO_CLUSTER = "plain manifests (--manifests) have no Argo CD environment to apply them to"
HINT = "fix the file so each document is one Kubernetes object, once per unit"


@dataclass(frozen=True, slots=True)
class Unit:
    """The files applied together: one given file, or one directory's own files.

    `root` bounds what may be read: a symlink resolving outside it is refused.
    """

    target: RenderTarget
    root: Path
    files: tuple[Path, ...]


@dataclass(frozen=True, slots=True)
class Origin:
    """Where an object of a unit was read: file, shown path, document index and line."""

    path: Path
    shown: str
    document: int
    line: int


@dataclass(slots=True)
class Read:
    """A unit after reading: its objects (by position) and their origins, or why none."""

    unit: Unit
    objects: list[K8sObject] = field(default_factory=list)
    origins: list[Origin] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    texts: list[tuple[str, str]] = field(default_factory=list)
    error: str | None = None


def shown(repo_root: Path, path: Path) -> str:
    """How a file is named in the report: repository-relative inside it, else absolute."""
    absolute = Path(os.path.abspath(path))
    try:
        return absolute.relative_to(repo_root.resolve()).as_posix()
    except ValueError:
        return absolute.as_posix()


def _manifest_files(directory: Path) -> list[Path]:
    return sorted(
        p
        for p in directory.iterdir()
        if p.suffix in SUFFIXES and not p.name.startswith(".") and not p.is_dir()
    )


def _directory_units(repo_root: Path, top: Path) -> Iterator[Unit]:
    for dirpath, dirnames, _ in os.walk(top):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        files = _manifest_files(here)
        if files:
            yield Unit(RenderTarget(shown(repo_root, here)), top, tuple(files))


def units(repo_root: Path, paths: Sequence[str], cwd: Path) -> list[Unit]:
    """The units of the given paths (relative to `cwd`); a bad path is exit 3, one line."""
    if not paths:
        raise NothingToCheck("--manifests needs at least one file or directory")
    found: dict[str, Unit] = {}
    for raw in paths:
        path = Path(os.path.abspath(cwd / raw))
        if not os.path.lexists(path):
            raise NothingToCheck(f"{raw}: no such file or directory")
        if path.is_dir():
            more = list(_directory_units(repo_root, path))
            if not more:
                raise NothingToCheck(
                    f"{raw}: no {', '.join('*' + s for s in SUFFIXES)} file at or under it"
                )
        else:
            real = path.resolve() if path.is_symlink() else path
            more = [Unit(RenderTarget(shown(repo_root, real)), real.parent, (real,))]
        for unit in more:
            found.setdefault(unit.target.path, unit)
    return [found[k] for k in sorted(found)]


def _render(where: Location, message: str, target: str) -> Finding:
    return Finding(where, "render", Severity.ERROR, message, hint=HINT, target=target)


def _object_problem(doc: Any) -> str | None:
    """Why a document is not an object the API server would take, or None."""
    if not isinstance(doc, Mapping):
        return f"is a {type(doc).__name__}, not a Kubernetes object"
    api, kind = doc.get("apiVersion"), doc.get("kind")
    if isinstance(api, str) and api.startswith("kustomize.config.k8s.io/"):
        return (
            f"is a kustomize {kind}: validate its directory as a render target "
            "(`validate PATH`, without --manifests)"
        )
    if not (isinstance(api, str) and api and isinstance(kind, str) and kind):
        return "is not a Kubernetes object: it needs apiVersion and kind"
    meta = doc.get("metadata")
    names = (meta.get("name"), meta.get("generateName")) if isinstance(meta, Mapping) else ()
    if not any(isinstance(n, str) and n for n in names):
        return f"{kind} has neither metadata.name nor metadata.generateName"
    return None


def _identity(obj: K8sObject) -> tuple[str, str, str, str] | None:
    """What makes two objects of a unit the same one; None for generateName objects."""
    meta = obj.body.get("metadata")
    if not isinstance(meta, Mapping) or not meta.get("name"):
        return None  # every create of a generateName object makes a new one
    group = obj.ref.api_version.rpartition("/")[0]
    return (group, obj.ref.kind, obj.ref.namespace or "", obj.ref.name)


def read(repo_root: Path, unit: Unit) -> Read:
    """The "render" of a unit: each file checked by the input limits, then parsed."""
    out = Read(unit)
    target = unit.target.path
    seen: dict[tuple[str, str, str, str], Origin] = {}
    for path in unit.files:
        name = shown(repo_root, path)
        text = _inspect(out, path, name, shown(repo_root, unit.root))
        if text is None:
            out.error = out.error or f"{name}: not read (see its input findings)"
            continue
        try:
            docs = documents(text)
        except (yaml.YAMLError, ValueError) as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark is not None else 1
            message = f"{name} is not valid YAML: {one_line(str(exc))}"
            out.findings.append(_render(Location(name, line), message, target))
            out.error = out.error or message
            continue
        for index, (line, doc) in enumerate(docs):
            problem = _object_problem(doc)
            if problem is not None:
                message = f"{name}: the document at line {line} {problem}"
                out.findings.append(_render(Location(name, line), message, target))
                out.error = out.error or message
                continue
            obj = K8sObject(ref_of(doc), doc, target, len(out.objects))
            origin = Origin(path, name, index, line)
            key = _identity(obj)
            if key is not None and key in seen:
                first = seen[key]
                message = (
                    f"{obj.ref} is defined twice in {target}: at {first.shown}:{first.line} "
                    f"and {name}:{line}; applied together one overwrites the other (give "
                    "separate examples as separate files)"
                )
                out.findings.append(_render(Location(name, line), message, target))
                out.error = out.error or message
            elif key is not None:
                seen[key] = origin
            out.objects.append(obj)
            out.origins.append(origin)
    if out.error is not None:
        out.objects, out.origins = [], []
    return out


def _inspect(out: Read, path: Path, name: str, root_name: str) -> str | None:
    """The input limits on one file (`inputs.inspect`), located at its shown name."""
    root = out.unit.root
    try:
        outside = not path.resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError):
        outside = False  # a symlink loop: `inspect` reports it
    if outside:
        out.findings.append(
            Finding(
                Location(name, None),
                harden.PATH_ESCAPE,
                Severity.ERROR,
                f"symlink points outside {root_name} (to {os.readlink(path)!r}); it is never read",
                hint="replace the symlink with the file, or pass its target as a path",
                target=out.unit.target.path,
            )
        )
        return None
    checked = inputs.inspect(root, path)
    out.findings.extend(
        replace(f, location=replace(f.location, file=name), target=out.unit.target.path)
        for f in checked.findings
    )
    if checked.text is not None:
        out.texts.append((name, checked.text))
    return checked.text
