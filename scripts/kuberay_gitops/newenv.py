"""`new-env NAME --from ENV`: a new environment as a copy of ENV, wired into Argo CD, validated.

What it writes. Every YAML edit is a ruamel.yaml round trip, so comments and layout stay;
a file with nothing to rewrite is copied byte for byte:

- `overlays/ENV/**` → `overlays/NAME/**` and `apps/*/overlays/ENV/**` → `apps/*/overlays/NAME/**`.
  Same depth, so every relative path stays valid. ENV is rewritten where it is a value:
  a scalar equal to ENV anywhere except under path-like keys (`resources`, `path`, ...);
  a generator literal `KEY=ENV`; ENV as a word (between non-alphanumerics) in labels,
  annotations, selectors, kustomize `labels`/`commonLabels`/`commonAnnotations`, names
  (`name`, `namePrefix`, `nameSuffix`) and JSON-patch values aimed at those fields. Comments
  are copied as they are; the summary lists those that still name ENV.
- `argocd/applicationsets/applicationset-kuberay-NAME.yaml` from ENV's: ENV as a word in every
  value (names, labels, element targets: the `# env:` lines), destination cluster NAME;
  `targetRevision` and `repoURL` are kept.
- `argocd/kustomization.yaml` lists it; the AppProject of ENV's ApplicationSet gets, for
  cluster NAME, the destinations it has for ENV's cluster.

Then the new targets and `argocd` are validated (checkov skipped for speed); an error rolls
back every file written or changed. `--dry-run` prints the plan and writes nothing.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import difflib
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.tokens import CommentToken

from kuberay_gitops.exitcodes import ExitCode, ToolError
from kuberay_gitops.filememo import RunCache
from kuberay_gitops.findings import Report, Severity
from kuberay_gitops.pipeline import Stages, validate
from kuberay_gitops.reporters import REPORTERS
from kuberay_gitops.settings import CONFIG_FILE, Settings

NAME_PATTERN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
NAME_MAX_LENGTH = 63
OVERLAYS_DIR = "overlays"
APPS_DIR = "apps"
ARGOCD_DIR = "argocd"
APPSET_DIR = "argocd/applicationsets"
PROJECT_DIR = "argocd/projects"
ARGOCD_KUSTOMIZATION = "argocd/kustomization.yaml"
# Validation of the result: everything but checkov, which takes most of the time.
STAGES = Stages(checkov=False)

_META_KEYS = frozenset(
    {"labels", "annotations", "commonLabels", "commonAnnotations", "matchLabels", "pairs"}
)
_NAME_KEYS = frozenset({"name", "namePrefix", "nameSuffix", "generateName"})
_PATH_KEYS = frozenset(
    {
        "path",
        "resources",
        "components",
        "bases",
        "crds",
        "files",
        "envs",
        "configurations",
        "generators",
        "transformers",
        "validators",
        "openapi",
    }
)
_APPSET_KEEP_KEYS = frozenset({"targetRevision", "repoURL"})


class BadArgument(ValueError):
    """NAME or ENV is not acceptable on the command line (exit 2)."""


class Refused(ToolError):
    """The repository already has part of the new environment, or lacks ENV's wiring (exit 3)."""


def check_name(name: str) -> None:
    """NAME must be a DNS-1123 label: it becomes a directory, a cluster and object names."""
    if len(name) > NAME_MAX_LENGTH or not NAME_PATTERN.fullmatch(name):
        raise BadArgument(
            f'invalid environment name "{name}": expected a DNS-1123 label (lower-case letters, '
            f"digits and '-', starting and ending alphanumeric, at most {NAME_MAX_LENGTH} "
            "characters)"
        )


@dataclass(frozen=True, slots=True)
class FileChange:
    """One file to write: `old` is None for a new file, else the bytes it replaces."""

    path: str
    data: bytes
    old: bytes | None = None


@dataclass(frozen=True, slots=True)
class Plan:
    """Everything `new-env` would write, computed without touching the repository."""

    name: str
    source: str
    changes: tuple[FileChange, ...]
    targets: tuple[str, ...]
    appset_name: str
    cluster: str
    target_revision: str
    notes: tuple[str, ...] = ()


# --- YAML round trip ---------------------------------------------------------------------


def _yaml() -> YAML:
    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.width = 4096
    y.indent(mapping=2, sequence=4, offset=2)
    return y


def _unindent_top_sequence(text: str) -> str:
    # ruamel indents a top-level sequence by the offset; the repository writes it at column 0.
    return "".join(ln[2:] if ln.startswith("  ") else ln for ln in text.splitlines(True))


def _load(text: str) -> list[Any]:
    return list(_yaml().load_all(text))


def _dump(docs: Sequence[Any]) -> str:
    out = io.StringIO()
    if len(docs) == 1 and isinstance(docs[0], CommentedSeq):
        _yaml().dump_all(docs, out, transform=_unindent_top_sequence)
    else:
        _yaml().dump_all(docs, out)
    return out.getvalue()


def _is_yaml(path: Path) -> bool:
    return path.suffix in (".yaml", ".yml") or path.name == "Kustomization"


def _same_style(old: str, new: str) -> str:
    """Keep the quoting style of a ruamel scalar string."""
    if type(old) is str:
        return new
    return type(old)(new)


# --- rewriting ENV → NAME ---------------------------------------------------------------


@dataclass(slots=True)
class _Rewriter:
    source: str
    name: str
    count: int = 0
    word: re.Pattern[str] = field(init=False)

    def __post_init__(self) -> None:
        self.word = re.compile(rf"(?<![A-Za-z0-9]){re.escape(self.source)}(?![A-Za-z0-9])")

    def scalar(self, value: str, mode: str) -> str:
        if mode == "word" and self.word.search(value):
            self.count += 1
            return _same_style(value, self.word.sub(self.name, value))
        if mode == "exact" and value == self.source:
            self.count += 1
            return _same_style(value, self.name)
        key, eq, literal = value.partition("=")
        if mode == "literal" and eq and literal == self.source:
            self.count += 1
            return _same_style(value, f"{key}={self.name}")
        return value

    def names_source(self, text: str) -> bool:
        return self.word.search(text) is not None


def _pointer_mode(node: CommentedMap) -> str | None:
    """For a JSON-patch operation, how to treat its `value` (from the field `path` targets)."""
    op, pointer = node.get("op"), node.get("path")
    if not isinstance(op, str) or not isinstance(pointer, str):
        return None
    segments = [s.replace("~1", "/").replace("~0", "~") for s in pointer.split("/")]
    if any(s in _META_KEYS for s in segments) or segments[-1] in _NAME_KEYS:
        return "word"
    return "exact"


def _child_mode(key: str, mode: str, value_mode: str | None) -> str:
    if mode == "skip" or key in _PATH_KEYS:
        return "skip"
    if key == "value" and value_mode is not None:
        return value_mode
    if key == "literals":
        return "literal"
    if mode == "word" or key in _META_KEYS or key in _NAME_KEYS:
        return "word"
    return "exact"


def _rewrite_overlay(node: Any, rw: _Rewriter, mode: str) -> Any:
    """Rewrite ENV where it is a value (see the module docstring); containers in place."""
    if isinstance(node, str):
        return rw.scalar(node, mode)
    if isinstance(node, CommentedMap):
        value_mode = _pointer_mode(node)
        for key in list(node):
            old = node[key]
            new = _rewrite_overlay(old, rw, _child_mode(str(key), mode, value_mode))
            if new is not old:
                node[key] = new
    elif isinstance(node, CommentedSeq):
        for i, old in enumerate(list(node)):
            new = _rewrite_overlay(old, rw, mode)
            if new is not old:
                node[i] = new
    return node


def _rewrite_words(node: Any, rw: _Rewriter) -> Any:
    """Rewrite ENV as a word in every value except the kept keys (the ApplicationSet)."""
    if isinstance(node, str):
        return rw.scalar(node, "word")
    if isinstance(node, CommentedMap):
        for key in list(node):
            if str(key) in _APPSET_KEEP_KEYS:
                continue
            old = node[key]
            new = _rewrite_words(old, rw)
            if new is not old:
                node[key] = new
    elif isinstance(node, CommentedSeq):
        for i, old in enumerate(list(node)):
            new = _rewrite_words(old, rw)
            if new is not old:
                node[i] = new
    return node


def _copy_file(src: Path, rw: _Rewriter, rel: str, notes: list[str]) -> bytes:
    raw = src.read_bytes()
    if not _is_yaml(src):
        return raw
    try:
        text = raw.decode()
        docs = _load(text)
    except (UnicodeDecodeError, YAMLError):
        notes.append(f"{rel}: not readable as YAML, copied unchanged")
        return raw
    before = rw.count
    for doc in docs:
        _rewrite_overlay(doc, rw, "exact")
    if rw.count == before:
        return raw
    if _dump(_load(text)) != text:
        notes.append(f"{rel}: the YAML round trip also normalised its layout; review it")
    return _dump(docs).encode()


# --- comments around inserted sequence items ---------------------------------------------


def _tail_chain(seq: CommentedSeq, index: int) -> list[tuple[Any, Any, int]]:
    """Comment slots after seq[index], outermost first: (container, key, position in slot)."""
    chain: list[tuple[Any, Any, int]] = [(seq, index, 0)]
    node = seq[index]
    while isinstance(node, (CommentedMap, CommentedSeq)) and node:
        key: Any = list(node)[-1] if isinstance(node, CommentedMap) else len(node) - 1
        chain.append((node, key, 2 if isinstance(node, CommentedMap) else 0))
        node = node[key]
    return chain


def _get_comment(container: Any, key: Any, pos: int) -> Any:
    slots = container.ca.items.get(key)
    return slots[pos] if slots and len(slots) > pos else None


def _set_comment(container: Any, key: Any, pos: int, token: Any) -> None:
    container.ca.items.setdefault(key, [None, None, None, None])[pos] = token


def _insert_after(seq: CommentedSeq, index: int, items: Sequence[Any]) -> None:
    """Insert items after seq[index]; blank lines and comments that followed it follow them.

    ruamel keeps what follows a collection on its last scalar, so inserted items would
    otherwise land below the next section's comment.
    """
    if not items:
        return
    following, mark = "", None
    for container, key, pos in reversed(_tail_chain(seq, index)):
        token = _get_comment(container, key, pos)
        if not isinstance(token, CommentToken):
            continue
        head, nl, following = token.value.partition("\n")
        mark = token.start_mark
        if head.strip():
            token.value = head + nl  # an end-of-line comment stays on its line
        else:
            _set_comment(container, key, pos, None)
        break
    for offset, item in enumerate(items, start=1):
        seq.insert(index + offset, item)
    if following:
        container, key, pos = _tail_chain(seq, index + len(items))[-1]
        _set_comment(container, key, pos, CommentToken("\n" + following, mark, None))


def _fresh(node: Any) -> Any:
    """A deep copy without comments."""
    if isinstance(node, CommentedMap):
        return CommentedMap((k, _fresh(v)) for k, v in node.items())
    if isinstance(node, CommentedSeq):
        return CommentedSeq(_fresh(v) for v in node)
    return copy.deepcopy(node)


# --- planning ----------------------------------------------------------------------------


def _rel(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()


def _appset_path(env: str) -> str:
    return f"{APPSET_DIR}/applicationset-kuberay-{env}.yaml"


def _yaml_docs(path: Path) -> list[Any]:
    try:
        return _load(path.read_text())
    except (OSError, UnicodeDecodeError, YAMLError):
        return []


def _find_kind(root: Path, directory: str, kind: str, name: str) -> Path | None:
    base = root / directory
    for path in sorted(base.rglob("*.y*ml")) if base.is_dir() else []:
        for doc in _yaml_docs(path):
            if (
                isinstance(doc, CommentedMap)
                and doc.get("kind") == kind
                and isinstance(doc.get("metadata"), CommentedMap)
                and doc["metadata"].get("name") == name
            ):
                return path
    return None


def _source_dirs(root: Path, env: str) -> list[Path]:
    return [root / OVERLAYS_DIR / env, *sorted((root / APPS_DIR).glob(f"*/overlays/{env}"))]


def _refuse_existing(root: Path, name: str) -> None:
    candidates = [
        root / OVERLAYS_DIR / name,
        *sorted((root / APPS_DIR).glob(f"*/overlays/{name}")),
        root / _appset_path(name),
    ]
    for path in candidates:
        if path.exists() or path.is_symlink():
            raise Refused(
                f'environment "{name}" exists already: {_rel(root, path)} '
                "(choose another name, or remove it first)"
            )


def _plan_overlays(
    root: Path, name: str, source: str, notes: list[str]
) -> tuple[list[FileChange], list[str]]:
    changes: list[FileChange] = []
    targets: list[str] = []
    rw = _Rewriter(source, name)
    for src_dir in _source_dirs(root, source):
        dest_dir = src_dir.parent / name
        targets.append(_rel(root, dest_dir))
        for src in sorted(p for p in src_dir.rglob("*") if p.is_file()):
            rel = _rel(root, dest_dir / src.relative_to(src_dir))
            changes.append(FileChange(rel, _copy_file(src, rw, rel, notes)))
    return changes, targets


@dataclass(frozen=True, slots=True)
class _AppSet:
    change: FileChange
    name: str
    project: str
    old_cluster: str
    target_revision: str


def _plan_appset(root: Path, name: str, source: str) -> _AppSet:
    src = root / _appset_path(source)
    if not src.is_file():
        raise Refused(
            f'environment "{source}" has no ApplicationSet: {_appset_path(source)} not found'
        )
    docs = _load(src.read_text())
    appsets = [d for d in docs if isinstance(d, CommentedMap) and d.get("kind") == "ApplicationSet"]
    if len(appsets) != 1:
        raise Refused(f"{_appset_path(source)}: expected one ApplicationSet")
    appset = appsets[0]
    spec = appset.get("spec", {}).get("template", {}).get("spec", {})
    destination = spec.get("destination", {})
    old_cluster = str(destination.get("name") or "")
    revision = spec.get("source", {}).get("targetRevision", "")
    _rewrite_words(appset, _Rewriter(source, name))
    if "name" in destination:
        destination["name"] = _same_style(destination["name"], name)
    new_name = str(appset.get("metadata", {}).get("name", ""))
    found = _find_kind(root, ARGOCD_DIR, "ApplicationSet", new_name) if new_name else None
    if found is not None:
        raise Refused(
            f'environment "{name}" exists already: {_rel(root, found)} '
            f'defines ApplicationSet "{new_name}"'
        )
    return _AppSet(
        FileChange(_appset_path(name), _dump(docs).encode()),
        new_name,
        str(spec.get("project") or ""),
        old_cluster,
        str(revision),
    )


def _plan_kustomization(root: Path, name: str) -> FileChange:
    path = root / ARGOCD_KUSTOMIZATION
    text = path.read_text()
    docs = _load(text)
    resources = docs[0].get("resources") if docs and isinstance(docs[0], CommentedMap) else None
    if not isinstance(resources, CommentedSeq):
        raise Refused(f"{ARGOCD_KUSTOMIZATION}: no resources list to add the ApplicationSet to")
    entry = Path(_appset_path(name)).relative_to(ARGOCD_DIR).as_posix()
    if entry in resources:
        raise Refused(f'environment "{name}" exists already: {ARGOCD_KUSTOMIZATION} lists {entry}')
    group = str(Path(entry).parent) + "/"
    same_dir = [i for i, r in enumerate(resources) if isinstance(r, str) and r.startswith(group)]
    _insert_after(resources, same_dir[-1] if same_dir else len(resources) - 1, [entry])
    return FileChange(ARGOCD_KUSTOMIZATION, _dump(docs).encode(), text.encode())


def _plan_project(
    root: Path, project: str, old_cluster: str, name: str, notes: list[str]
) -> FileChange | None:
    path = _find_kind(root, PROJECT_DIR, "AppProject", project)
    if path is None:
        raise Refused(f'AppProject "{project}" of the ApplicationSet not found under {PROJECT_DIR}')
    rel = _rel(root, path)
    text = path.read_text()
    docs = _load(text)
    doc = next(d for d in docs if isinstance(d, CommentedMap) and d.get("kind") == "AppProject")
    spec = doc.get("spec") or {}
    windows = spec.get("syncWindows") or []
    if any(old_cluster in (w.get("clusters") or []) for w in windows if isinstance(w, dict)):
        notes.append(
            f'{rel}: the syncWindows of cluster "{old_cluster}" were not copied; '
            f'add "{name}" to their clusters if it needs them'
        )
    dests = spec.get("destinations")
    if not isinstance(dests, CommentedSeq) or not dests:
        notes.append(f"{rel}: no destinations list; add cluster {name} by hand")
        return None
    have = {(d.get("name"), d.get("namespace")) for d in dests if isinstance(d, CommentedMap)}
    added = []
    for d in dests:
        if isinstance(d, CommentedMap) and d.get("name") == old_cluster:
            entry = _fresh(d)
            entry["name"] = name
            entry.pop("server", None)
            if (name, entry.get("namespace")) not in have:
                added.append(entry)
    if not added:
        notes.append(f'{rel}: no destinations for cluster "{old_cluster}" to copy')
        return None
    _insert_after(dests, len(dests) - 1, added)
    return FileChange(rel, _dump(docs).encode(), text.encode())


def _comment_notes(changes: Sequence[FileChange], source: str) -> list[str]:
    rw = _Rewriter(source, source)
    hits: list[str] = []
    for ch in changes:
        if ch.old is not None:
            continue
        for n, line in enumerate(ch.data.decode(errors="replace").splitlines(), start=1):
            hash_at = line.find("#")
            if hash_at >= 0 and rw.names_source(line[hash_at:]):
                hits.append(f"{ch.path}:{n}")
    if not hits:
        return []
    return [f'comments copied as they are still name "{source}": {", ".join(hits)}']


def _plan_config(root: Path, name: str, source: str) -> FileChange | None:
    """The new cluster gets the source cluster's prerequisites (`cluster.prerequisites`).

    Without them the cluster stage would apply the new environment to a twin missing the
    CRDs the source environment's cluster has (prometheus-operator, Kueue...).
    """
    path = root / CONFIG_FILE
    if not path.is_file():
        return None
    text = path.read_text()
    docs = _load(text)
    top = docs[0] if docs and isinstance(docs[0], CommentedMap) else None
    cluster = top.get("cluster") if top is not None else None
    pre = cluster.get("prerequisites") if isinstance(cluster, CommentedMap) else None
    if not isinstance(pre, CommentedMap) or source not in pre or name in pre:
        return None
    keys = list(pre)
    pre.insert(keys.index(source) + 1, name, _fresh(copy.deepcopy(pre[source])))
    return FileChange(CONFIG_FILE, _dump(docs).encode(), text.encode())


def plan(repo_root: Path, name: str, source: str) -> Plan:
    """What `new-env NAME --from ENV` would write; reads the repository, writes nothing."""
    check_name(name)
    if not source or "/" in source or not (repo_root / OVERLAYS_DIR / source).is_dir():
        raise BadArgument(
            f'--from: environment "{source}" not found (no {OVERLAYS_DIR}/{source}/ directory)'
        )
    _refuse_existing(repo_root, name)
    notes: list[str] = []
    changes, targets = _plan_overlays(repo_root, name, source, notes)
    appset = _plan_appset(repo_root, name, source)
    changes.append(appset.change)
    changes.append(_plan_kustomization(repo_root, name))
    project = _plan_project(repo_root, appset.project, appset.old_cluster, name, notes)
    if project is not None:
        changes.append(project)
    config = _plan_config(repo_root, name, source)
    if config is not None:
        changes.append(config)
    notes[:0] = _comment_notes(changes, source)
    return Plan(
        name=name,
        source=source,
        changes=tuple(changes),
        targets=(*targets, ARGOCD_DIR),
        appset_name=appset.name,
        cluster=name,
        target_revision=appset.target_revision,
        notes=tuple(notes),
    )


# --- applying, with rollback ---------------------------------------------------------------


@dataclass(slots=True)
class Journal:
    """Every file and directory written, so a failed run can put the tree back."""

    root: Path
    files: list[tuple[Path, bytes | None]] = field(default_factory=list)
    dirs: list[Path] = field(default_factory=list)

    def _mkdirs(self, directory: Path) -> None:
        missing = []
        d = directory
        while not d.exists():
            missing.append(d)
            d = d.parent
        for m in reversed(missing):
            m.mkdir()
            self.dirs.append(m)

    def write(self, change: FileChange) -> None:
        """Write one planned file; a new file must not exist, a changed one must be unchanged."""
        path = self.root / change.path
        if change.old is None:
            self._mkdirs(path.parent)
            with path.open("xb") as fh:
                self.files.append((path, None))
                fh.write(change.data)
            return
        if path.read_bytes() != change.old:
            raise Refused(f"{change.path} changed while new-env was running; nothing kept")
        self.files.append((path, change.old))
        path.write_bytes(change.data)

    def rollback(self) -> None:
        """Delete what was created and restore what was changed, newest first."""
        for path, old in reversed(self.files):
            if old is None:
                path.unlink(missing_ok=True)
            else:
                path.write_bytes(old)
        for d in reversed(self.dirs):
            with contextlib.suppress(OSError):
                d.rmdir()
        self.files.clear()
        self.dirs.clear()


def dry_run_text(p: Plan) -> str:
    """New files in full, changed files as a unified diff."""
    out: list[str] = []
    for ch in p.changes:
        text = ch.data.decode(errors="replace")
        if ch.old is None:
            out.append(f"=== would create {ch.path}\n")
            out.append(text if text.endswith("\n") else text + "\n")
        else:
            out.append(f"=== would change {ch.path}\n")
            out.extend(
                difflib.unified_diff(
                    ch.old.decode(errors="replace").splitlines(True),
                    text.splitlines(True),
                    f"a/{ch.path}",
                    f"b/{ch.path}",
                )
            )
    created = sum(1 for c in p.changes if c.old is None)
    out += [f"note: {n}\n" for n in p.notes]
    out.append(
        f"dry run: new-env {p.name} --from {p.source} would create {created} files and change "
        f"{len(p.changes) - created}; nothing written, nothing validated\n"
    )
    return "".join(out)


def _summary(p: Plan, report: Report) -> str:
    created = [c.path for c in p.changes if c.old is None]
    changed = [c.path for c in p.changes if c.old is not None]
    lines = [f"new-env {p.name}: created from {p.source}"]
    lines += [f"  created  {c}" for c in created]
    lines += [f"  changed  {c}" for c in changed]
    lines.append(
        f"validated {', '.join(p.targets)}: {report.count(Severity.ERROR)} errors, "
        f"{report.count(Severity.WARNING)} warnings (render, yamllint, kubeconform, checks; "
        "checkov skipped for speed, `kuberay-gitops validate` runs it)"
    )
    if p.target_revision:
        lines.append(
            f"ApplicationSet {p.appset_name} keeps targetRevision {p.target_revision} "
            f"from {p.source}"
        )
    lines += [f"note: {n}" for n in p.notes]
    dirs = " ".join(t for t in p.targets if t != ARGOCD_DIR)
    lines += [
        "next steps:",
        f"  1. register the cluster in Argo CD under the name {p.cluster}: "
        f"argocd cluster add <kube-context> --name {p.cluster}",
        f"  2. review and commit: git add {dirs} {' '.join(changed)} {_appset_path(p.name)} "
        f'&& git commit -m "overlay {p.name}: new environment from {p.source}"',
        "  3. push and open a pull request; once merged, the root Application creates "
        f"ApplicationSet {p.appset_name}",
    ]
    return "\n".join(lines) + "\n"


def run(settings: Settings, name: str, source: str, *, dry_run: bool = False) -> ExitCode:
    """Plan, then print it (dry run) or write, validate and keep it or roll it back."""
    root = settings.repo_root
    p = plan(root, name, source)
    if dry_run:
        click.echo(dry_run_text(p), nl=False)
        return ExitCode.OK
    journal = Journal(root)
    try:
        for change in p.changes:
            journal.write(change)
        click.echo(
            f"new-env: wrote {len(p.changes)} files; validating {', '.join(p.targets)} "
            "(checkov skipped for speed)",
            err=True,
        )
        # The settings were read before the config got the new cluster's prerequisites.
        pre = settings.cluster_prerequisites
        if p.source in pre and p.name not in pre:
            settings = dataclasses.replace(
                settings, cluster_prerequisites={**pre, p.name: pre[p.source]}
            )
        # A run of its own, started after the writes: nothing read before them is reused.
        report = validate(settings, [str(root / t) for t in p.targets], STAGES, cache=RunCache())
    except BaseException:
        journal.rollback()
        raise
    written = {c.path for c in p.changes}
    ours = [f for f in report.findings if f.target or f.location.file in written]
    report = dataclasses.replace(report, findings=ours)
    if report.count(Severity.ERROR):
        click.echo(REPORTERS["text"](report), nl=False)
        journal.rollback()
        click.echo(
            f"new-env: {p.name} does not validate; rolled back all {len(p.changes)} files "
            "(the repository is as before)",
            err=True,
        )
        return ExitCode.FINDINGS
    if ours:
        click.echo(REPORTERS["text"](report), nl=False)
    click.echo(_summary(p, report), nl=False)
    return ExitCode.OK
