"""Map a (rendered object, field path) to the repository file and line that set it.

Uses the annotated render: `config.kubernetes.io/origin` names the file an object came
from and `alpha.config.kubernetes.io/transformations` the kustomizations whose patches
ran over it. The latest patch that sets the field wins (the patch, not the base, when a
patch set it); otherwise the origin file; an object a `configMapGenerator` or
`secretGenerator` made is located at the entry that made it; a remote base falls back to
the repository kustomization that pulls it in.

The locate stage of `validate` and `audit-ports`: every stage before it leaves a
`Pending` finding (the rendered object and field it is about), and `locate_all` turns
them into `Finding`s at repository files and lines, one annotated render per target.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from kuberay_gitops.discover import RenderTarget
from kuberay_gitops.filememo import RunCache
from kuberay_gitops.findings import (
    FieldPath,
    Finding,
    Location,
    ObjectRef,
    Severity,
    parse_json_pointer,
)
from kuberay_gitops.kgraph import dependencies, kustomization_file
from kuberay_gitops.manifests import K8sObject
from kuberay_gitops.render import RenderedTarget, Renderer, culprit, tidy_error
from kuberay_gitops.render import finding_id as render_finding_id
from kuberay_gitops.settings import Settings

ORIGIN = "config.kubernetes.io/origin"
TRANSFORMATIONS = "alpha.config.kubernetes.io/transformations"
_MERGE_KEYS = ("name", "groupName", "containerPort", "port", "mountPath", "key", "ip")
_PATCH_KINDS = frozenset(
    {"PatchTransformer", "PatchStrategicMergeTransformer", "PatchJson6902Transformer"}
)
# Generator kinds of an origin annotation, and their kustomization fields.
_GENERATORS = MappingProxyType(
    {"ConfigMapGenerator": "configMapGenerator", "SecretGenerator": "secretGenerator"}
)


def _touches_labels(field: FieldPath) -> bool:
    return any(p in ("labels", "matchLabels", "selector") for p in field)


# Built-in transformers configured by a kustomization field: which fields they set.
_FieldTransformer = tuple[tuple[str, ...], Callable[[FieldPath], bool]]
_FIELD_TRANSFORMERS: Mapping[str, _FieldTransformer] = MappingProxyType(
    {
        "ImageTagTransformer": (("images",), lambda f: f[-1] == "image"),
        "LabelTransformer": (("labels", "commonLabels"), _touches_labels),
        "AnnotationsTransformer": (("commonAnnotations",), lambda f: "annotations" in f),
        "NamespaceTransformer": (("namespace",), lambda f: f[-1] == "namespace"),
        "ReplicaCountTransformer": (("replicas",), lambda f: f[-1] == "replicas"),
    }
)


def _image_repo(image: str) -> str:
    """`registry:5000/org/name` of `registry:5000/org/name:tag@sha256:…`."""
    name = image.split("@", 1)[0]
    head, _, last = name.rpartition("/")
    return f"{head}/{last.split(':', 1)[0]}" if head else last.split(":", 1)[0]


def _entry_line(node: Any, last: str | int, value: Any) -> int | None:
    """Inside an `images:`/`labels:`/`commonLabels:` field, the entry that wrote `value`."""
    if isinstance(node, CommentedSeq):
        for i, entry in enumerate(node):
            if not isinstance(entry, CommentedMap):
                continue
            image = isinstance(value, str) and last == "image"
            if image and _image_repo(value) in (entry.get("newName"), entry.get("name")):
                return _line_of(node, i)
            pairs = entry.get("pairs")
            if isinstance(pairs, CommentedMap) and last in pairs:
                return _line_of(pairs, str(last))
    elif isinstance(node, CommentedMap) and last in node:
        return _line_of(node, str(last))
    return None


def _key(ref: ObjectRef) -> tuple[str, str, str]:
    return (ref.kind, ref.namespace or "", ref.name)


@dataclass(frozen=True, slots=True)
class _Doc:
    node: Any
    offset: int  # lines before the document's own line 0 (inline patches)


class SourceCache:
    """Round-trip parsed repository files, shared by all locators of a run."""

    def __init__(self, repo_root: Path) -> None:
        self.repo_root = repo_root.resolve()
        self._docs: dict[Path, list[Any]] = {}
        self._yaml = YAML(typ="rt")

    def rel(self, path: Path) -> str | None:
        """Repo-relative POSIX path, or None outside the repository."""
        try:
            return path.resolve().relative_to(self.repo_root).as_posix()
        except ValueError:
            return None

    def docs(self, path: Path) -> list[Any]:
        """Documents of a file (empty when unreadable or not YAML)."""
        path = path.resolve()
        if path not in self._docs:
            try:
                self._docs[path] = [
                    d for d in self._yaml.load_all(path.read_text()) if d is not None
                ]
            except Exception:
                self._docs[path] = []
        return self._docs[path]

    def parse_text(self, text: str) -> list[Any]:
        """Documents of an inline patch."""
        try:
            return [d for d in self._yaml.load_all(text) if d is not None]
        except Exception:
            return []


def _line_of(container: Any, key: str | int) -> int | None:
    try:
        if isinstance(container, CommentedMap):
            return int(container.lc.key(key)[0]) + 1
        if isinstance(container, CommentedSeq):
            return int(container.lc.item(key)[0]) + 1
    except (KeyError, IndexError, TypeError, AttributeError):
        return None
    return None


def _match_item(src: CommentedSeq, rendered_item: Any, index: int, by_index: bool) -> int | None:
    matches: list[int] = []
    if isinstance(rendered_item, Mapping):
        for mk in _MERGE_KEYS:
            if mk in rendered_item:
                matches = [
                    j
                    for j, item in enumerate(src)
                    if isinstance(item, Mapping) and item.get(mk) == rendered_item[mk]
                ]
                break
    elif rendered_item is not None:
        matches = [j for j, item in enumerate(src) if item == rendered_item]
    if matches:
        # Equal items (`args: [--v, --v]`) or a shared merge key (two ports 53, TCP and
        # UDP): the one at the same index, not always the first.
        return index if index in matches else matches[0]
    if by_index and index < len(src):
        return index
    return None


def walk(node: Any, rendered: Any, path: FieldPath, by_index: bool) -> tuple[int, int | None]:
    """Follow `path` through a source node: (how many parts resolved, line of the last)."""
    line = int(node.lc.line) + 1 if hasattr(node, "lc") else None
    depth = 0
    for part in path:
        if isinstance(part, int):
            if not isinstance(node, CommentedSeq) or not isinstance(rendered, list):
                break
            r_item = rendered[part] if 0 <= part < len(rendered) else None
            j = _match_item(node, r_item, part, by_index)
            if j is None:
                break
            line = _line_of(node, j) or line
            node, rendered = node[j], r_item
        else:
            if not isinstance(node, CommentedMap) or part not in node:
                break
            line = _line_of(node, part) or line
            node = node[part]
            rendered = rendered.get(part) if isinstance(rendered, Mapping) else None
        depth += 1
    return depth, line


def _json_patch_ops(doc: Any) -> Iterator[tuple[FieldPath, Any, int | None]]:
    if isinstance(doc, CommentedSeq):
        for i, op in enumerate(doc):
            if isinstance(op, CommentedMap) and isinstance(op.get("path"), str):
                yield parse_json_pointer(op["path"]), op, _line_of(doc, i)


def _prefix_len(op_path: FieldPath, field: FieldPath) -> int:
    n = 0
    for want, got in zip(op_path, field, strict=False):
        if (want == "-" and isinstance(got, int)) or str(want) == str(got):
            n += 1
        else:
            return 0 if n < len(op_path) else n
    return n if n == len(op_path) else 0


@dataclass(frozen=True, slots=True)
class _Hit:
    file: str
    line: int | None
    depth: int


class Locator:
    """Locates findings for one target from its annotated render."""

    def __init__(
        self,
        cache: SourceCache,
        target: str,
        annotated: Sequence[Mapping[str, Any]],
        base_dir: Path,
    ) -> None:
        self.cache = cache
        self.target = target
        self.base_dir = base_dir
        self._meta: dict[tuple[str, str, str], Mapping[str, Any]] = {}
        for body in annotated:
            meta = body.get("metadata") or {}
            ref = ObjectRef(
                str(body.get("kind", "")), str(meta.get("name", "")), meta.get("namespace")
            )
            self._meta[_key(ref)] = meta.get("annotations") or {}

    def _target_file(self) -> Location:
        kfile = kustomization_file(self.cache.repo_root / self.target)
        name = kfile.name if kfile else "kustomization.yaml"
        return Location(f"{self.target}/{name}", 1)

    def _resolve(self, path: str) -> Path:
        return Path(os.path.normpath(self.base_dir / path))

    def locate(self, ref: ObjectRef, field: FieldPath, rendered: Mapping[str, Any]) -> Location:
        """The repository location of `field` of `ref` (best effort, never fails)."""
        ann = self._meta.get(_key(ref))
        if ann is None:
            return self._target_file()
        origin = _load_small(ann.get(ORIGIN))
        transformations = _load_small(ann.get(TRANSFORMATIONS)) or []
        hits: list[_Hit] = []
        seen: set[Path] = set()
        origin_name = ref.name
        origin_file: Path | None = None
        if (
            isinstance(origin, dict)
            and "repo" not in origin
            and isinstance(origin.get("path"), str)
        ):
            origin_file = self._resolve(origin["path"])
        # Latest transformer first: the first one that set the field wrote its value.
        for tr in reversed(transformations if isinstance(transformations, list) else []):
            if not isinstance(tr, dict) or "repo" in tr:
                continue
            kind = (tr.get("configuredBy") or {}).get("kind")
            if not isinstance(tr.get("configuredIn"), str):
                continue
            kpath = self._resolve(tr["configuredIn"])
            if isinstance(kind, str) and kind in _FIELD_TRANSFORMERS:
                at = self._field_transformer(kind, kpath, field, rendered)
                if at is not None:
                    return at
                continue
            if kind not in _PATCH_KINDS or kpath in seen:
                continue
            seen.add(kpath)
            hits.extend(self._patch_hits(kpath, ref, origin_name, field, rendered))
            full = [h for h in hits if h.depth == len(field)]
            if full:
                return Location(full[0].file, full[0].line)
        if origin_file is not None:
            rel = self.cache.rel(origin_file)
            if rel is not None:
                best = _Hit(rel, 1, -1)
                best_rank = (False, False, -1)
                for doc in self.cache.docs(origin_file):
                    if isinstance(doc, CommentedMap) and doc.get("kind") == ref.kind:
                        depth, line = walk(doc, rendered, field, by_index=True)
                        # A file may hold several objects of one kind: the one with the
                        # object's name (and namespace) first, then the deepest match.
                        meta = doc.get("metadata")
                        meta = meta if isinstance(meta, Mapping) else {}
                        rank = (
                            meta.get("name") == ref.name,
                            meta.get("namespace") == ref.namespace,
                            depth,
                        )
                        if rank > best_rank:
                            best, best_rank = _Hit(rel, line, depth), rank
                hits.append(best)
        if origin_file is None and not hits:
            generated = self._generated(origin, ref.name)
            if generated is not None:
                return generated
        if hits:
            best_hit = max(
                hits, key=lambda h: h.depth
            )  # max keeps the first (latest patch) on ties
            return Location(best_hit.file, best_hit.line)
        return self._remote_fallback(origin, transformations)

    def _field_transformer(
        self, kind: str, kpath: Path, field: FieldPath, rendered: Mapping[str, Any]
    ) -> Location | None:
        """The kustomization line of `images:`, `labels:`, `namespace:`… that set `field`."""
        keys, applies = _FIELD_TRANSFORMERS[kind]
        if not field or not applies(field):
            return None
        docs = self.cache.docs(kpath)
        rel = self.cache.rel(kpath)
        if not docs or not isinstance(docs[0], CommentedMap) or rel is None:
            return None
        kdoc = docs[0]
        value: Any = rendered
        for part in field:
            value = _get(value, part)
        for key in keys:
            node = kdoc.get(key)
            if isinstance(node, (CommentedMap, CommentedSeq)):
                # kustomize annotates every object a transformer visits: only an entry
                # that wrote this value counts.
                line = _entry_line(node, field[-1], value)
                if line is not None:
                    return Location(rel, line)
            elif node is not None:  # `namespace: x`, a scalar that applies to everything
                return Location(rel, _line_of(kdoc, key))
        return None

    def _patch_hits(
        self, kpath: Path, ref: ObjectRef, name: str, field: FieldPath, rendered: Mapping[str, Any]
    ) -> Iterator[_Hit]:
        docs = self.cache.docs(kpath)
        if not docs or not isinstance(docs[0], CommentedMap):
            return
        kdoc = docs[0]
        patches = list(kdoc.get("patches") or []) + list(kdoc.get("patchesStrategicMerge") or [])
        patches += list(kdoc.get("patchesJson6902") or [])
        kdir = kpath.parent
        found: list[_Hit] = []
        for entry in patches:
            sources: list[tuple[str, list[_Doc]]] = []
            target = None
            if isinstance(entry, str):
                sources.append(self._file_docs(kdir / entry))
            elif isinstance(entry, CommentedMap):
                target = entry.get("target")
                if isinstance(entry.get("path"), str):
                    sources.append(self._file_docs(kdir / entry["path"]))
                elif isinstance(entry.get("patch"), str):
                    start = _value_line(entry, "patch")
                    rel = self.cache.rel(kpath) or kpath.name
                    docs_inline = [_Doc(d, start) for d in self.cache.parse_text(entry["patch"])]
                    sources.append((rel, docs_inline))
            if target is not None and not _target_matches(target, ref, name):
                continue
            for rel, pdocs in sources:
                for pdoc in pdocs:
                    hit = self._walk_patch(
                        pdoc, rel, ref, name, field, rendered, target is not None
                    )
                    if hit is not None:
                        found.append(hit)
        yield from reversed(found)  # later patches in a kustomization apply later

    def _file_docs(self, path: Path) -> tuple[str, list[_Doc]]:
        rel = self.cache.rel(path) or path.name
        return rel, [_Doc(d, 0) for d in self.cache.docs(path)]

    def _walk_patch(
        self,
        pdoc: _Doc,
        rel: str,
        ref: ObjectRef,
        name: str,
        field: FieldPath,
        rendered: Mapping[str, Any],
        targeted: bool,
    ) -> _Hit | None:
        node = pdoc.node
        if isinstance(node, CommentedSeq):
            best: _Hit | None = None
            for op_path, op, op_line in _json_patch_ops(node):
                n = _prefix_len(op_path, field)
                if n == 0:
                    continue
                line = _line_of(op, "value") if "value" in op else op_line
                depth = n
                if "value" in op and n < len(field):
                    sub_rendered: Any = rendered
                    for part in field[:n]:
                        sub_rendered = _get(sub_rendered, part)
                    value = op["value"]
                    if isinstance(value, (CommentedMap, CommentedSeq)):
                        extra, vline = walk(value, sub_rendered, field[n:], by_index=False)
                        depth += extra
                        line = vline or line
                if best is None or depth >= best.depth:
                    best = _Hit(rel, _shift(line, pdoc.offset), depth)
            return best
        if not isinstance(node, CommentedMap):
            return None
        if not targeted:
            meta = node.get("metadata") or {}
            if node.get("kind") != ref.kind or meta.get("name") not in {ref.name, name}:
                return None
        depth, line = walk(node, rendered, field, by_index=False)
        if depth == 0:
            return None
        return _Hit(rel, _shift(line, pdoc.offset), depth)

    def _generated(self, origin: Any, name: str) -> Location | None:
        """The generator entry that made object `name` (its origin names no file).

        kustomize's origin of a generated object is the kustomization and the generator
        kind; the entry is the one whose name the object's name contains (prefixes, suffixes
        and the content hash around it).
        """
        if not isinstance(origin, dict) or "repo" in origin:
            return None
        key = _GENERATORS.get(str((origin.get("configuredBy") or {}).get("kind")))
        configured = origin.get("configuredIn")
        if key is None or not isinstance(configured, str):
            return None
        kpath = self._resolve(configured)
        rel, docs = self.cache.rel(kpath), self.cache.docs(kpath)
        if rel is None or not docs or not isinstance(docs[0], CommentedMap):
            return None
        entries = docs[0].get(key)
        if not isinstance(entries, CommentedSeq):
            return None
        for i, entry in enumerate(entries):
            if not isinstance(entry, CommentedMap) or str(entry.get("name") or "\0") not in name:
                continue
            return Location(rel, _line_of(entries, i) or 1)
        return None

    def _remote_fallback(self, origin: Any, transformations: Any) -> Location:
        repo = origin.get("repo") if isinstance(origin, dict) else None
        for tr in transformations if isinstance(transformations, list) else []:
            if (
                isinstance(tr, dict)
                and "repo" not in tr
                and isinstance(tr.get("configuredIn"), str)
            ):
                kpath = self._resolve(tr["configuredIn"])
                rel = self.cache.rel(kpath)
                if rel is None:
                    continue
                line = 1
                docs = self.cache.docs(kpath)
                if repo and docs and isinstance(docs[0], CommentedMap):
                    res = docs[0].get("resources") or []
                    for i, item in enumerate(res):
                        if isinstance(item, str) and str(repo) in item:
                            line = _line_of(res, i) or 1
                return Location(rel, line)
        return self._target_file()


def _get(node: Any, part: str | int) -> Any:
    if isinstance(part, int):
        return node[part] if isinstance(node, list) and 0 <= part < len(node) else None
    return node.get(part) if isinstance(node, Mapping) else None


def _shift(line: int | None, offset: int) -> int | None:
    return None if line is None else line + offset


def _value_line(entry: CommentedMap, key: str) -> int:
    try:
        return int(entry.lc.value(key)[0]) + 1
    except (KeyError, TypeError, AttributeError):
        return 0


def _target_matches(target: Any, ref: ObjectRef, name: str) -> bool:
    if not isinstance(target, Mapping):
        return True
    kind = target.get("kind")
    if kind and not re.fullmatch(str(kind), ref.kind):
        return False
    tname = target.get("name")
    if tname and not (re.fullmatch(str(tname), ref.name) or re.fullmatch(str(tname), name)):
        return False
    tns = target.get("namespace")
    return not (tns and ref.namespace and not re.fullmatch(str(tns), ref.namespace))


def _load_small(text: Any) -> Any:
    if not isinstance(text, str):
        return None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return None


_TEST_FAILED = re.compile(r"testing value (\S+) failed")


def failed_test_op(repo_root: Path, files: Iterable[str], error: str) -> Location | None:
    """The JSON 6902 `test` op a failed build names (`testing value /x/y failed`).

    A base that changes under an overlay's guarded patch fails the build with only the
    op's path; the op is in one of the target's patch files (or an inline patch of one of
    its kustomizations), and that line is what the author has to revisit.
    """
    m = _TEST_FAILED.search(error)
    if m is None:
        return None
    wanted = m.group(1)
    cache = SourceCache(repo_root)
    for rel in sorted(files):
        path = repo_root / rel
        if not rel.endswith((".yaml", ".yml", "/Kustomization")) or not path.is_file():
            continue
        for doc in cache.docs(path):
            sources: list[tuple[Any, int]] = [(doc, 0)]
            if isinstance(doc, CommentedMap):
                for entry in doc.get("patches") or []:
                    if isinstance(entry, CommentedMap) and isinstance(entry.get("patch"), str):
                        start = _value_line(entry, "patch")
                        sources += [(d, start) for d in cache.parse_text(entry["patch"])]
            for node, offset in sources:
                if not isinstance(node, CommentedSeq):
                    continue
                for i, op in enumerate(node):
                    is_op = isinstance(op, CommentedMap) and op.get("op") == "test"
                    if is_op and op.get("path") == wanted:
                        return Location(rel, _shift(_line_of(node, i), offset))
    return None


def in_document(
    cache: SourceCache,
    path: Path,
    shown: str,
    document: int,
    line: int,
    rendered: Mapping[str, Any],
    field: FieldPath,
) -> Location:
    """The line of `field` in one document of a plain manifest file (`--manifests`).

    No kustomize ran, so the file is the source itself: the object is document number
    `document` (non-empty documents, counted as `manifests.documents` counts them), and
    list items are matched by position. `line` (the document's first) when the document
    cannot be read back.
    """
    docs = cache.docs(path)
    if document < len(docs):
        _, found = walk(docs[document], rendered, field, by_index=True)
        return Location(shown, found or line)
    return Location(shown, line)


@dataclass(slots=True)
class Pending:
    """A finding waiting for its repository location."""

    target: str
    obj: K8sObject
    field: FieldPath
    check_id: str
    severity: Severity
    message: str
    hint: str
    source: str


def locate_all(
    settings: Settings,
    renderer: Renderer,
    pending: Sequence[Pending],
    by_target: Mapping[str, RenderTarget],
) -> list[Finding]:
    """Each pending finding at its repository file and line (validate, audit-ports)."""
    cache = SourceCache(settings.repo_root)
    out: list[Finding] = []
    groups: dict[str, list[Pending]] = {}
    for p in pending:
        groups.setdefault(p.target, []).append(p)
    for target_path, items in sorted(groups.items()):
        target = by_target[target_path]
        annotated = renderer.render_annotated(target)
        docs: list[Mapping[str, Any]] = []
        if annotated.error is None:
            docs = [d for d in yaml.safe_load_all(annotated.text) if isinstance(d, dict)]
        locator = Locator(cache, target_path, docs, renderer.annotate_dir(target))
        for p in items:
            loc = locator.locate(p.obj.ref, p.field, p.obj.body)
            out.append(
                Finding(
                    location=loc,
                    check_id=p.check_id,
                    severity=p.severity,
                    message=p.message,
                    obj=p.obj.ref,
                    field=p.field,
                    hint=p.hint,
                    source=p.source,
                    target=target_path,
                )
            )
    return out


def render_findings(
    settings: Settings,
    rendered: Sequence[RenderedTarget],
    refused: Collection[str],
    cache: RunCache,
) -> list[Finding]:
    """The findings of failed and empty builds, each at its repository file.

    A failed build is located at the file kustomize names (and its line), else at the
    JSON patch `test` op that failed, else at the target's kustomization. `refused`
    targets were never built: their findings are harden's.
    """
    out: list[Finding] = []
    for rt in rendered:
        if rt.target.path in refused:
            continue
        if rt.error is not None:
            file, line = culprit(rt.error, settings.repo_root, rt.target)
            where = (
                Location(file, line)
                if file
                else failed_test_op(
                    settings.repo_root,
                    dependencies(settings.repo_root, rt.target.path, cache),
                    rt.error,
                )
                or _target_location(settings, rt.target)
            )
            out.append(
                Finding(
                    where,
                    render_finding_id(rt.error),
                    Severity.ERROR,
                    f"kustomize build {rt.target.path} failed: "
                    + tidy_error(rt.error, settings.repo_root),
                    hint="run `kuberay-gitops render "
                    f"{rt.target.path}` and fix the kustomization it names",
                    target=rt.target.path,
                )
            )
        elif not rt.objects:
            out.append(
                Finding(
                    _target_location(settings, rt.target),
                    "render",
                    Severity.ERROR,
                    f"{rt.target.path} renders no objects: {settings.engine.display} would sync "
                    "nothing",
                    hint="add resources to the kustomization, or remove the directory",
                    target=rt.target.path,
                )
            )
    return out


def _target_location(settings: Settings, target: RenderTarget) -> Location:
    """The kustomization of a target: where a finding about the whole build goes."""
    kfile = kustomization_file(settings.repo_root / target.path)
    return Location(f"{target.path}/{kfile.name if kfile else 'kustomization.yaml'}", 1)
