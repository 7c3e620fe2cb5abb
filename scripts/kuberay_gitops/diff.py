"""`diff`: what a change does to the rendered objects, per target, object and field.

Each affected target is rendered twice with the same pinned kustomize and mirror
environment: at the merge base of the base ref and HEAD (in a detached worktree in a
temporary directory, removed afterwards) and in the working tree. Objects are keyed by
(API group, kind, namespace, name); lists of mappings are matched by `name`, `groupName`,
`containerPort` or `port` when every element has it, else by index. A target that fails
to render on either side is reported, never raised; so is one that hardened rendering
(`harden`, as in `validate`) refuses to build: the working tree may be untrusted input.

`--generated` also applies each affected environment to a control-plane twin on both
sides (the cluster stage of `validate`) and compares what the real KubeRay operator
generated: Pods, Services, RayClusters of RayJobs. Names the operator or the API server
make random (`-x7k2p` suffixes), server-assigned fields (uid, resourceVersion,
timestamps, cluster IPs, node names), status, generated Secret data and labels the
controllers flip as the run goes (`ray.io/serve`) are normalised away, so what remains is
what the change does to the generated objects.
"""

from __future__ import annotations

import dataclasses
import html
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from kuberay_gitops import harden, kuberay, posture
from kuberay_gitops.affected import (
    ChangeSet,
    base_tree,
    change_set,
    changed_since_commit,
    merge_base,
)
from kuberay_gitops.discover import RenderTarget
from kuberay_gitops.filememo import RunCache
from kuberay_gitops.findings import FieldPath, format_field
from kuberay_gitops.index import ObjectIndex
from kuberay_gitops.manifests import K8sObject, load_stream
from kuberay_gitops.render import Rendered, Renderer, render_all
from kuberay_gitops.settings import Settings

LIST_KEYS = ("name", "groupName", "containerPort", "port")
_VALUE_LIMIT = 120
_MARKDOWN_ROWS_PER_OBJECT = 50
_WORKING_TREE = "working tree"
_REFUSED = "refused: "  # marks a Rendered error that is a hardened-rendering refusal

Change = Literal["added", "removed", "changed", "reordered"]
_MARK: Mapping[str, str] = MappingProxyType(
    {"added": "+", "removed": "-", "changed": "~", "reordered": "~"}
)


@dataclass(frozen=True, slots=True, order=True)
class ObjectKey:
    """How an object is matched across the two renders."""

    group: str
    kind: str
    namespace: str
    name: str

    def __str__(self) -> str:
        kind = f"{self.kind}.{self.group}" if self.group else self.kind
        return "/".join(p for p in (kind, self.namespace, self.name) if p)


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One field that differs; `old`/`new` are unused for added/removed respectively."""

    path: FieldPath
    change: Change
    old: Any = None
    new: Any = None


@dataclass(frozen=True, slots=True)
class ObjectChange:
    """An object added, removed or changed (with its changed fields)."""

    key: ObjectKey
    change: Literal["added", "removed", "changed"]
    fields: tuple[FieldChange, ...] = ()


@dataclass(frozen=True, slots=True)
class TargetDiff:
    """One target's rendered difference, or why there is none to show."""

    target: str
    objects: tuple[ObjectChange, ...] = ()
    base_error: str | None = None
    head_error: str | None = None
    base_absent: bool = False
    head_absent: bool = False

    @property
    def failed(self) -> bool:
        """A side failed to render: no object diff."""
        return self.base_error is not None or self.head_error is not None


@dataclass(frozen=True, slots=True)
class DiffReport:
    """Every affected target's diff against the merge base with `base`.

    `posture`: what the change widens and narrows, environment by environment
    (`posture.py`), in words; `posture_error` says why it could not be computed.
    """

    base: str
    merge_base: str
    targets: tuple[TargetDiff, ...]
    posture: tuple[posture.Change, ...] = ()
    posture_error: str | None = None


def object_key(body: Mapping[str, Any]) -> ObjectKey:
    """(group, kind, namespace, name) of a rendered object; the core group is ``""``."""
    api_version = str(body.get("apiVersion", ""))
    meta = body.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    return ObjectKey(
        group=api_version.rpartition("/")[0],
        kind=str(body.get("kind", "")),
        namespace=str(meta.get("namespace") or ""),
        name=str(meta.get("name", "")),
    )


def _list_key(old: Sequence[Any], new: Sequence[Any]) -> str | None:
    both = [*old, *new]
    if not both or not all(isinstance(e, dict) for e in both):
        return None
    for key in LIST_KEYS:
        if all(key in e for e in both):
            old_keys = [_hashable(e[key]) for e in old]
            new_keys = [_hashable(e[key]) for e in new]
            if len(set(old_keys)) == len(old_keys) and len(set(new_keys)) == len(new_keys):
                return key
    return None


def _hashable(value: Any) -> Any:
    return json.dumps(value, sort_keys=True, default=str)


def _same(old: Any, new: Any) -> bool:
    # `True == 1` in Python, but not in a manifest.
    return type(old) is type(new) and bool(old == new)


def diff_values(old: Any, new: Any, path: FieldPath = ()) -> Iterator[FieldChange]:
    """Field-level differences between two YAML values, in the new value's order."""
    if isinstance(old, dict) and isinstance(new, dict):
        for k, v in new.items():
            if k not in old:
                yield FieldChange((*path, str(k)), "added", new=v)
            else:
                yield from diff_values(old[k], v, (*path, str(k)))
        for k, v in old.items():
            if k not in new:
                yield FieldChange((*path, str(k)), "removed", old=v)
    elif isinstance(old, list) and isinstance(new, list):
        yield from _diff_lists(old, new, path)
    elif not _same(old, new):
        yield FieldChange(path, "changed", old=old, new=new)


def _diff_lists(old: list[Any], new: list[Any], path: FieldPath) -> Iterator[FieldChange]:
    key = _list_key(old, new)
    if key is None:
        for i in range(max(len(old), len(new))):
            if i >= len(old):
                yield FieldChange((*path, i), "added", new=new[i])
            elif i >= len(new):
                yield FieldChange((*path, i), "removed", old=old[i])
            else:
                yield from diff_values(old[i], new[i], (*path, i))
        return
    old_by = {_hashable(e[key]): e for e in old}
    new_ids = [_hashable(e[key]) for e in new]
    for j, element in enumerate(new):
        ident = new_ids[j]
        if ident in old_by:
            yield from diff_values(old_by[ident], element, (*path, j))
        else:
            yield FieldChange((*path, j), "added", new=element)
    for i, element in enumerate(old):
        if _hashable(element[key]) not in set(new_ids):
            yield FieldChange((*path, i), "removed", old=element)
    common_old = [e[key] for e in old if _hashable(e[key]) in set(new_ids)]
    common_new = [e[key] for e in new if _hashable(e[key]) in old_by]
    if common_old != common_new:  # order matters (a Ray container must come first)
        yield FieldChange(path, "reordered", old=common_old, new=common_new)


def _keyed(bodies: Iterable[Mapping[str, Any]]) -> dict[ObjectKey, Mapping[str, Any]]:
    """Objects by key, every one kept: a repeated key becomes `name#2`, `name#3`...

    One id in two API versions, or two replicas of one group once normalised.
    """
    out: dict[ObjectKey, Mapping[str, Any]] = {}
    for body in bodies:
        key = object_key(body)
        n = 1
        while key in out:
            n += 1
            key = dataclasses.replace(key, name=f"{object_key(body).name}#{n}")
        out[key] = body
    return out


def _by_key(rendered: Rendered) -> dict[ObjectKey, Mapping[str, Any]]:
    return _keyed(o.body for o in load_stream(rendered.text, rendered.target.path))


def diff_objects(
    old: Mapping[ObjectKey, Mapping[str, Any]], new: Mapping[ObjectKey, Mapping[str, Any]]
) -> tuple[ObjectChange, ...]:
    """Objects added, removed and changed between two renders, sorted by key."""
    out: list[ObjectChange] = []
    for key in sorted(set(old) | set(new)):
        if key not in old:
            out.append(ObjectChange(key, "added"))
        elif key not in new:
            out.append(ObjectChange(key, "removed"))
        else:
            fields = tuple(diff_values(old[key], new[key]))
            if fields:
                out.append(ObjectChange(key, "changed", fields))
    return tuple(out)


def _target_diff(target: str, base: Rendered | None, head: Rendered | None) -> TargetDiff:
    base_error = base.error if base is not None else None
    head_error = head.error if head is not None else None
    if base_error is not None or head_error is not None:
        return TargetDiff(
            target,
            base_error=base_error,
            head_error=head_error,
            base_absent=base is None,
            head_absent=head is None,
        )
    old = _by_key(base) if base is not None else {}
    new = _by_key(head) if head is not None else {}
    return TargetDiff(
        target,
        diff_objects(old, new),
        base_absent=base is None,
        head_absent=head is None,
    )


def _refusal(settings: Settings, root: Path, target: RenderTarget, cache: RunCache) -> str | None:
    """Why hardened rendering refuses to build a target (as `validate` does), if it does."""
    found = harden.blocking(harden.scan(root, [target.path], settings.allowed_remotes, cache))
    if not found:
        return None
    first = found[0]
    more = f" and {len(found) - 1} more" if len(found) > 1 else ""
    return f"{_REFUSED}[{first.check_id}] {first.location}: {first.message}{more}"


def _render_side(
    settings: Settings, renderer: Renderer, targets: Sequence[RenderTarget], cache: RunCache
) -> dict[RenderTarget, Rendered]:
    """Render what hardened rendering allows; a refused target is a failed one."""
    out: dict[RenderTarget, Rendered] = {}
    allowed: list[RenderTarget] = []
    for t in targets:
        refusal = _refusal(settings, renderer.repo_root, t, cache)
        if refusal is None:
            allowed.append(t)
        else:
            out[t] = Rendered(t, "", refusal)
    out.update((r.target, r) for r in render_all(renderer, allowed, settings.effective_jobs))
    return out


# Names the operator (utils.GenerateRayClusterName, Pod generateName) and the API server
# make random end in five characters of this alphabet (k8s.io/apimachinery rand.String).
_RANDOM_SUFFIX = re.compile(r"-[bcdfghjklmnpqrstvwxz2456789]{5}\b")
_SERVER_META = ("uid", "resourceVersion", "creationTimestamp", "generation", "managedFields")
_SERVER_SPEC = ("clusterIP", "clusterIPs", "nodeName")
_RUN_STATE_LABELS = frozenset({kuberay.SERVE_LABEL})
Generate = Callable[[Renderer, Sequence[RenderTarget]], Mapping[str, Sequence[K8sObject]]]
# Every Argo CD environment of the tree a renderer builds, as one index (the posture diff).
Environments = Callable[[Renderer], Mapping[str, ObjectIndex]]


def _normal(value: Any) -> Any:
    if isinstance(value, str):
        return _RANDOM_SUFFIX.sub("-*", value)
    if isinstance(value, Mapping):
        return {_normal(k): _normal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normal(v) for v in value]
    return value


def normalised(body: Mapping[str, Any]) -> dict[str, Any]:
    """A generated object without what differs between two runs of the same input."""
    out = {k: v for k, v in body.items() if k not in ("status", "data")}
    meta = body.get("metadata")
    if isinstance(meta, Mapping):
        meta = {k: v for k, v in meta.items() if k not in _SERVER_META}
        labels = meta.get("labels")
        if isinstance(labels, Mapping):  # set by the controller as the run goes
            meta["labels"] = {k: v for k, v in labels.items() if k not in _RUN_STATE_LABELS}
        owners = meta.get("ownerReferences")
        if isinstance(owners, list):
            meta["ownerReferences"] = [
                {k: v for k, v in o.items() if k != "uid"} if isinstance(o, Mapping) else o
                for o in owners
            ]
        out["metadata"] = meta
    spec = body.get("spec")
    if isinstance(spec, Mapping):
        out["spec"] = {k: v for k, v in spec.items() if k not in _SERVER_SPEC}
    result = _normal(out)
    assert isinstance(result, dict)
    return result


def _generated_by_key(objects: Sequence[K8sObject]) -> dict[ObjectKey, Mapping[str, Any]]:
    return _keyed(normalised(o.body) for o in objects)


def generated_diffs(
    base: Mapping[str, Sequence[K8sObject]], head: Mapping[str, Sequence[K8sObject]]
) -> tuple[TargetDiff, ...]:
    """Per environment, what the operator generates differently (`generated in <env>`)."""
    return tuple(
        TargetDiff(
            f"generated in {env}",
            diff_objects(
                _generated_by_key(base.get(env, ())), _generated_by_key(head.get(env, ()))
            ),
            base_absent=env not in base,
            head_absent=env not in head,
        )
        for env in sorted(set(base) | set(head))
    )


def diff(
    settings: Settings,
    renderer: Renderer,
    base_ref: str,
    generate: Generate | None = None,
    environments: Environments | None = None,
) -> DiffReport:
    """Render every affected target at the merge base and in the working tree; compare.

    With `generate` (the cluster stage), also compare what the operator generates; with
    `environments`, also the platform's posture of every environment (`posture.py`).
    """
    root = settings.repo_root
    commit = merge_base(root, base_ref)
    changed = changed_since_commit(root, commit)
    if not changed:
        return DiffReport(base_ref, commit, ())
    with base_tree(root, commit, settings.scratch_path) as base_root:
        cache = RunCache()  # one run: both trees, every target
        change: ChangeSet = change_set(settings, base_ref, commit, changed, base_root, cache)
        at_base = change.base_targets or frozenset()
        wanted = sorted({*change.targets, *change.removed})
        base_renderer = dataclasses.replace(renderer, repo_root=base_root)
        heads = _render_side(
            settings, renderer, [t for t in wanted if t not in change.removed], cache
        )
        bases = _render_side(
            settings, base_renderer, [t for t in wanted if t.path in at_base], cache
        )
        extra: tuple[TargetDiff, ...] = ()
        if generate is not None:
            extra = generated_diffs(
                generate(base_renderer, [t for t, r in bases.items() if r.error is None]),
                generate(renderer, [t for t, r in heads.items() if r.error is None]),
            )
        changes: tuple[posture.Change, ...] = ()
        refused = sorted(t.path for t, r in heads.items() if (r.error or "").startswith(_REFUSED))
        posture_error = (
            f"not computed: hardened rendering refuses {', '.join(refused)}" if refused else None
        )
        if environments is not None and wanted and posture_error is None:
            changes = tuple(posture.diff(environments(base_renderer), environments(renderer)))
    return DiffReport(
        base_ref,
        commit,
        tuple(_target_diff(t.path, bases.get(t), heads.get(t)) for t in wanted) + extra,
        changes,
        posture_error if environments is not None and wanted else None,
    )


def _posture_lines(report: DiffReport) -> list[str]:
    """`+ dev: ... can now reach ...` (widened) and `- dev: ...` (narrowed)."""
    if report.posture_error is not None:
        return [f"posture: {report.posture_error}"]
    return [f"{'+' if c.widened else '-'} {c.words}" for c in report.posture]


def _value(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= _VALUE_LIMIT else text[: _VALUE_LIMIT - 1] + "…"


def _field_text(fc: FieldChange) -> str:
    where = format_field(fc.path) or "."
    if fc.change == "added":
        return f"{where}: {_value(fc.new)}"
    if fc.change == "removed":
        return f"{where}: {_value(fc.old)}"
    if fc.change == "reordered":
        return f"{where}: order {_value(fc.old)} → {_value(fc.new)}"
    return f"{where}: {_value(fc.old)} → {_value(fc.new)}"


def _status(t: TargetDiff, base: str) -> str | None:
    """A target's one-line state when it has no object list to show."""
    if t.failed:
        parts = []
        for where, error in (
            (f"at {base}", t.base_error),
            (f"in the {_WORKING_TREE}", t.head_error),
        ):
            if error is None:
                continue
            if error.startswith(_REFUSED):
                parts.append(
                    f"refused by hardened rendering {where}: {error.removeprefix(_REFUSED)}"
                )
            else:
                parts.append(f"kustomize build failed {where}: {error}")
        return "; ".join(parts)
    if not t.objects:
        return "no rendered change"
    return None


def _tally(report: DiffReport) -> str:
    failed = sum(1 for t in report.targets if t.failed)
    changed = sum(1 for t in report.targets if not t.failed and t.objects)
    same = len(report.targets) - failed - changed
    n = len(report.targets)
    return (
        f"{n} target{'' if n == 1 else 's'} affected: {changed} changed, {same} unchanged, "
        f"{failed} failed to render"
    )


def _suffix(t: TargetDiff) -> str:
    if t.base_absent:
        return " (new target)"
    if t.head_absent:
        return " (target removed)"
    return ""


def render_text(report: DiffReport) -> str:
    """`== target`, then `~ Kind/ns/name` and `    ~ .field: old → new` lines."""
    short = report.merge_base[:12]
    if not report.targets:
        return f"no render target affected since {report.base}\n"
    lines: list[str] = []
    for t in report.targets:
        status = _status(t, report.base)
        if status is not None:
            lines.append(f"== {t.target}{_suffix(t)}: {status}")
            continue
        lines.append(f"== {t.target}{_suffix(t)}")
        for obj in t.objects:
            lines.append(f"{_MARK[obj.change]} {obj.key}")
            lines.extend(f"    {_MARK[fc.change]} {_field_text(fc)}" for fc in obj.fields)
    posture_lines = _posture_lines(report)
    if posture_lines:
        lines.append("== posture (+ widened, - narrowed)")
        lines.extend(posture_lines)
    lines.append(f"diff against {report.base} (merge base {short}): {_tally(report)}")
    return "\n".join(lines) + "\n"


def _code(text: str) -> str:
    if not text:
        return ""
    if "`" in text or "|" in text:
        return "<code>" + html.escape(text).replace("|", "&#124;") + "</code>"
    return f"`{text}`"


def _cell(text: str) -> str:
    return html.escape(text).replace("|", "&#124;")


def render_markdown(report: DiffReport) -> str:
    """A section per target with a table of changed fields ($GITHUB_STEP_SUMMARY)."""
    out = [f"## Rendered changes since {_code(report.base)}", ""]
    if not report.targets:
        out.append(f"No render target affected since {_code(report.base)}.")
        return "\n".join(out) + "\n"
    out += [f"Merge base {_code(report.merge_base[:12])}: {_tally(report)}.", ""]
    for t in report.targets:
        out += [f"### {_code(t.target)}{_suffix(t)}", ""]
        status = _status(t, report.base)
        if status is not None:
            out += [_cell(status[:1].upper() + status[1:]) + ".", ""]
            continue
        out += [
            f"| | object | field | {_code(report.base)} | {_WORKING_TREE} |",
            "| --- | --- | --- | --- | --- |",
        ]
        for obj in t.objects:
            label = _code(str(obj.key))
            if obj.change != "changed":
                out.append(f"| {_MARK[obj.change]} | {label} | *object {obj.change}* | | |")
                continue
            for fc in obj.fields[:_MARKDOWN_ROWS_PER_OBJECT]:
                where = _code(format_field(fc.path) or ".")
                old = "" if fc.change == "added" else _code(_value(fc.old))
                new = "" if fc.change == "removed" else _code(_value(fc.new))
                out.append(f"| {_MARK[fc.change]} | {label} | {where} | {old} | {new} |")
            hidden = len(obj.fields) - _MARKDOWN_ROWS_PER_OBJECT
            if hidden > 0:
                out.append(f"| | {label} | *… and {hidden} more fields* | | |")
        out.append("")
    out.extend(_posture_markdown(report))
    return "\n".join(out)


def _posture_markdown(report: DiffReport) -> list[str]:
    """The posture section: widenings first (each needs a reviewed posture.allow entry)."""
    if report.posture_error is None and not report.posture:
        return []
    out = ["### Posture", ""]
    if report.posture_error is not None:
        return [*out, _cell(f"Posture {report.posture_error}."), ""]
    for c in report.posture:
        what = "**widened**" if c.widened else "narrowed"
        out.append(f"- {what}: {_cell(c.words)}")
    return [*out, ""]


FORMATS: Mapping[str, Callable[[DiffReport], str]] = MappingProxyType(
    {
        "text": render_text,
        "markdown": render_markdown,
    }
)
