"""Which render targets a change can affect, from the kustomize graph, not path prefixes.

A target's dependencies are every repository file its build can read: each kustomization
on the way (through `resources`, `components`, `bases`, transformer/generator/validator
entries) and every file those name (patches, generator sources, replacements, openapi,
crds, configurations). Remote URLs are pinned and outside the repository, so they never
count. Where a kustomization cannot be read, its whole directory counts.

Changes come from git: the merge base of the base ref and HEAD against the working tree,
plus untracked files. Dependencies at the merge base are read from a detached worktree in
a temporary directory, so the user's checkout is never touched.
"""

from __future__ import annotations

import functools
import json
import os
import posixpath
import shutil
import tarfile
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from kuberay_gitops.discover import KUSTOMIZATION_FILES, RenderTarget, discover, select
from kuberay_gitops.exitcodes import ToolError, ToolFailed
from kuberay_gitops.filememo import FileMemo
from kuberay_gitops.harden import looks_remote
from kuberay_gitops.manifests import SAFE_LOADER
from kuberay_gitops.settings import CONFIG_FILE, TOOLCHAIN_FILE, Settings
from kuberay_gitops.tools.runner import one_line, run

# Inputs of every target: the config (targets, checks, mirrors), the tool pins, yamllint's rules.
GLOBAL_INPUTS = frozenset({CONFIG_FILE, TOOLCHAIN_FILE, ".yamllint"})
ARGOCD_TARGET = "argocd"
_REMOTE_PREFIXES = ("git@", "git::", "github.com/", "gitlab.com/", "bitbucket.org/")
_GIT_TIMEOUT = 120.0


class UnknownRef(ToolError):
    """The base ref names no commit of the repository (a usage error on the command line)."""


class _Malformed(Exception):
    """A kustomization kustomize may read differently than this parser: fail closed."""


class _StrictLoader(SAFE_LOADER):  # type: ignore[misc,valid-type]
    """SafeLoader refusing duplicate keys (kustomize's decoder rejects them too).

    libyaml's parser when PyYAML has it: the graph walk parses every kustomization of
    every target, and the pure-Python parser made that most of a `--changed-since` run.
    """


def _strict_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[object, object]:
    loader.flatten_mapping(node)
    out: dict[object, object] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str | int | float | bool) or key in out:
            raise _Malformed(f"duplicate or complex key {key!r}")
        out[key] = loader.construct_object(value_node, deep=True)
    return out


_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _strict_mapping,
)


@functools.lru_cache(maxsize=65536)
def _real(root: Path, path: str) -> str | None:
    """`Graph.real`, memoized: every environment's targets resolve the same base paths."""
    try:
        resolved = (root / path).resolve()
    except (OSError, RuntimeError):
        return None
    if resolved == root or not resolved.is_relative_to(root):
        return None
    rel = resolved.relative_to(root).as_posix()
    return rel if rel != path else None


_PARSED: FileMemo[dict[str, object] | _Malformed] = FileMemo()


def _parse_kustomization(kfile: Path) -> dict[str, object] | _Malformed:
    try:
        data = yaml.load(kfile.read_text(encoding="utf-8"), Loader=_StrictLoader)
        if not isinstance(data, dict):
            raise _Malformed("not a mapping")
        return _folded(data)
    except _Malformed as exc:
        return exc


def _load_kustomization(kfile: Path) -> dict[str, object]:
    """A kustomization's folded fields, parsed once per run per file version."""
    hit = _PARSED.get(kfile, _parse_kustomization)
    if isinstance(hit, _Malformed):
        raise hit
    return hit


def _folded(data: Mapping[object, object]) -> dict[str, object]:
    """Field names folded as kustomize's JSON decoder matches them (case-insensitively)."""
    out: dict[str, object] = {}
    for key, value in data.items():
        if not isinstance(key, str) or not key.isascii() or key.upper() in out:
            raise _Malformed(f"field name {key!r}")
        out[key.upper()] = value
    return out


def _is_remote(entry: str) -> bool:
    return looks_remote(entry) or "://" in entry or entry.startswith(_REMOTE_PREFIXES)


def _is_inline(entry: str) -> bool:
    """An inline YAML/JSON document (patchesStrategicMerge, transformers), not a path."""
    text = entry.strip()
    return "\n" in text or ": " in text or text.endswith(":") or text.startswith(("{", "["))


def _items(data: Mapping[str, object], key: str) -> list[object]:
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise _Malformed(key)
    return value


def _string(value: object, key: str) -> str:
    if not isinstance(value, str):
        raise _Malformed(key)
    return value


def _mapping(value: object, key: str) -> dict[str, object]:
    if not isinstance(value, dict):
        raise _Malformed(key)
    return _folded(value)


@dataclass(slots=True)
class _Walk:
    """One dependency walk: the files found and the directories already visited."""

    root: Path
    files: set[str] = field(default_factory=set)
    seen: set[str] = field(default_factory=set)

    def local(self, directory: str, entry: str) -> str | None:
        """Repo-relative POSIX path of an entry of a kustomization in `directory`."""
        if not entry or _is_remote(entry):
            return None
        if os.path.isabs(entry):
            try:
                entry = Path(entry).relative_to(self.root).as_posix()
            except ValueError:
                return None
            directory = "."
        path = posixpath.normpath(posixpath.join(directory, entry))
        if path == ".." or path.startswith("../"):
            return None  # outside the repository (e.g. the shared directory)
        return path

    def real(self, path: str) -> str | None:
        """Where a path leads through symlinks, when that is elsewhere in the repository."""
        return _real(self.root, path)

    def add_path(self, path: str) -> None:
        if path == ".":
            return
        self.files.add(path)
        real = self.real(path)
        if real is not None:
            self.files.add(real)

    def add_file(self, directory: str, entry: str) -> None:
        path = self.local(directory, entry)
        if path is not None:
            self.add_path(path)

    def add_tree(self, path: str) -> None:
        """A whole directory: its files, and `path/` for any file added to it later."""
        self.files.add("/" if path == "." else f"{path}/")
        for dirpath, dirnames, filenames in os.walk(self.root / path):
            dirnames[:] = [d for d in dirnames if d != ".git"]
            rel = Path(dirpath).relative_to(self.root).as_posix()
            for name in filenames:
                self.files.add(name if rel == "." else f"{rel}/{name}")

    def add_resource(self, directory: str, entry: str) -> None:
        """A `resources`-like entry: a file, or a directory holding a kustomization."""
        if _is_inline(entry):
            return
        path = self.local(directory, entry)
        if path is None:
            return
        full = self.root / path
        if full.is_dir():
            if full.is_symlink():
                self.files.add(path)
            self.visit(self.real(path) or path)
        elif full.is_file():
            self.add_path(path)
        else:  # missing: whichever of file or directory appears here changes the build
            self.files.add(path)
            self.files.add(f"{path}/")

    def visit(self, directory: str) -> None:
        """A directory kustomize builds: its kustomization and everything it names."""
        if directory in self.seen:
            return
        self.seen.add(directory)
        for name in KUSTOMIZATION_FILES:  # adding a second one breaks the build, too
            self.add_file(directory, name)
        candidates = [self.root / directory / n for n in KUSTOMIZATION_FILES]
        kfile = next((c for c in candidates if c.is_file()), None)
        if kfile is None:
            self.add_tree(directory)
            return
        try:
            self._fields(directory, _load_kustomization(kfile))
        except (OSError, UnicodeDecodeError, yaml.YAMLError, _Malformed):
            self.add_tree(directory)

    def _fields(self, d: str, data: Mapping[str, object]) -> None:
        for key in ("RESOURCES", "COMPONENTS", "BASES", "TRANSFORMERS", "GENERATORS", "VALIDATORS"):
            for item in _items(data, key):
                self.add_resource(d, _string(item, key))
        for key in ("CRDS", "CONFIGURATIONS", "PATCHESSTRATEGICMERGE"):
            for item in _items(data, key):
                entry = _string(item, key)
                if not _is_inline(entry):
                    self.add_file(d, entry)
        for key in ("PATCHES", "PATCHESJSON6902", "REPLACEMENTS"):
            for item in _items(data, key):
                if isinstance(item, str):  # kustomize reads a bare string as a path
                    if not _is_inline(item):
                        self.add_file(d, item)
                    continue
                path = _mapping(item, key).get("PATH")
                if path is not None:
                    self.add_file(d, _string(path, f"{key}[].path"))
        for key in ("CONFIGMAPGENERATOR", "SECRETGENERATOR"):
            for item in _items(data, key):
                gen = _mapping(item, key)
                for source in _items(gen, "FILES"):
                    spec = _string(source, f"{key}[].files")
                    self.add_file(d, spec.split("=", 1)[1] if "=" in spec else spec)
                for env in _items(gen, "ENVS"):
                    self.add_file(d, _string(env, f"{key}[].envs"))
                if gen.get("ENV") is not None:
                    self.add_file(d, _string(gen["ENV"], f"{key}[].env"))
        if data.get("OPENAPI") is not None:
            path = _mapping(data["OPENAPI"], "openapi").get("PATH")
            if path is not None:
                self.add_file(d, _string(path, "openapi.path"))
        # Hardened rendering refuses Helm, but a values file still decides the output.
        for item in _items(data, "HELMCHARTS"):
            chart = _mapping(item, "helmCharts")
            if chart.get("VALUESFILE") is not None:
                self.add_file(d, _string(chart["VALUESFILE"], "helmCharts[].valuesFile"))
            for extra in _items(chart, "ADDITIONALVALUESFILES"):
                self.add_file(d, _string(extra, "helmCharts[].additionalValuesFiles"))
        if data.get("HELMGLOBALS") is not None:
            home = _mapping(data["HELMGLOBALS"], "helmGlobals").get("CHARTHOME")
            if home is not None:
                path = self.local(d, _string(home, "helmGlobals.chartHome"))
                if path is not None:
                    self.add_tree(path)


def dependencies(repo_root: Path, target: RenderTarget) -> frozenset[str]:
    """Every repository file the target's build can read (repo-relative POSIX paths).

    An entry ending in `/` stands for every file under that directory, including files
    that do not exist yet (a kustomization that cannot be read, a missing directory).
    """
    walk = _Walk(repo_root.resolve())
    walk.visit(posixpath.normpath(target.path))
    return frozenset(walk.files)


def _depends_on(deps: frozenset[str], changed: str) -> bool:
    if changed in deps:
        return True
    return any(d.endswith("/") and (d == "/" or changed.startswith(d)) for d in deps)


def affected(
    repo_root: Path,
    targets: Sequence[RenderTarget],
    changed_files: Sequence[str],
    base_deps: Mapping[str, frozenset[str]] | None = None,
    added: bool = False,
) -> list[RenderTarget]:
    """The targets whose output a change to `changed_files` can alter, sorted.

    `targets` are all current render targets; `base_deps` maps every render target at the
    base to its dependencies there, so a deleted or renamed dependency still counts and a
    target appearing or disappearing marks `argocd` (whose coverage checks read the set
    of targets); without the base, `added` says a target appeared. A change to a global
    input (config, tool pins, yamllint rules) marks all.
    """
    changed = {posixpath.normpath(c) for c in changed_files}
    if changed & GLOBAL_INPUTS:
        return sorted(set(targets))
    base = base_deps or {}
    target_set_changed = added or (base_deps is not None and set(base) != {t.path for t in targets})
    argocd_changed = any(c == ARGOCD_TARGET or c.startswith(ARGOCD_TARGET + "/") for c in changed)
    out: list[RenderTarget] = []
    for target in sorted(set(targets)):
        if target.path == ARGOCD_TARGET and (argocd_changed or target_set_changed):
            out.append(target)
            continue
        deps = dependencies(repo_root, target) | base.get(target.path, frozenset())
        if any(_depends_on(deps, c) for c in changed):
            out.append(target)
    return out


def _git(repo_root: Path, *args: str, env: Mapping[str, str] | None = None) -> str:
    out = run(["git", *args], cwd=repo_root, env=env, timeout=_GIT_TIMEOUT)
    if out.returncode != 0:
        msg = one_line(out.stderr.strip() or f"exit code {out.returncode}")
        raise ToolFailed(f"git {args[0]} failed in {repo_root}: {msg}")
    return out.stdout


def merge_base(repo_root: Path, base_ref: str) -> str:
    """The commit where HEAD's history left REF's: what a pull request is compared with."""
    if not base_ref or base_ref.startswith("-"):
        raise UnknownRef(f'"{base_ref}" is not a git revision')
    inside = run(["git", "rev-parse", "--show-prefix"], cwd=repo_root, timeout=_GIT_TIMEOUT)
    if inside.returncode != 0:
        raise ToolFailed(f"{repo_root} is not in a git repository: comparing with a ref needs git")
    check = run(
        ["git", "rev-parse", "--verify", "--quiet", f"{base_ref}^{{commit}}"],
        cwd=repo_root,
        timeout=_GIT_TIMEOUT,
    )
    if check.returncode != 0:
        raise UnknownRef(
            f'"{base_ref}" names no commit of the repository (fetch it first, e.g. '
            "`git fetch origin main`)"
        )
    out = run(["git", "merge-base", base_ref, "HEAD"], cwd=repo_root, timeout=_GIT_TIMEOUT)
    if out.returncode != 0:
        raise ToolFailed(
            f'no merge base of "{base_ref}" and HEAD (a shallow clone? fetch the full history)'
        )
    return out.stdout.strip()


def changed_since_commit(repo_root: Path, commit: str) -> list[str]:
    """Files changed since `commit` (see `changed_files`)."""
    # Against the working tree: committed, staged and unstaged changes in one list; without
    # rename detection both the old and the new name of a moved file are listed.
    with _private_index(repo_root) as env:
        diff_args = ("diff", "--name-only", "--no-renames", "--relative", "-z", commit, "--")
        diff = _git(repo_root, *diff_args, env=env)
        untracked = _git(repo_root, "ls-files", "--others", "--exclude-standard", "-z", env=env)
    return sorted({p for p in (diff + untracked).split("\0") if p})


@contextmanager
def _private_index(repo_root: Path) -> Iterator[dict[str, str]]:
    """A throw-away copy of the index for git commands that only read.

    `git diff` refreshes the stat data of racily clean files and writes the index back when
    it can; as root it can even in a read-only checkout. Pointing GIT_INDEX_FILE at a copy
    keeps the checkout's `.git` untouched while git still sees the staged changes.
    """
    where = _git(repo_root, "rev-parse", "--path-format=absolute", "--git-path", "index")
    index = Path(where.strip())
    tmp = Path(tempfile.mkdtemp(prefix="kuberay-gitops-index-"))
    try:
        copy = tmp / "index"
        if index.is_file():
            shutil.copyfile(index, copy)
        yield {"GIT_INDEX_FILE": str(copy), "GIT_OPTIONAL_LOCKS": "0"}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def changed_files(repo_root: Path, base_ref: str) -> list[str]:
    """Files changed since the merge base with REF: commits, working tree and untracked."""
    return changed_since_commit(repo_root, merge_base(repo_root, base_ref))


@contextmanager
def base_tree(repo_root: Path, commit: str, scratch: Path) -> Iterator[Path]:
    """The repository root as of `commit`, extracted under `scratch` and removed afterwards.

    `git archive` only reads the repository: a worktree would write into `.git`, which a
    read-only checkout refuses. Members a safe extraction refuses (links leading out of the
    tree) are left out; harden reports such links anyway.
    """
    prefix = _git(repo_root, "rev-parse", "--show-prefix").strip()
    top = Path(_git(repo_root, "rev-parse", "--show-toplevel").strip())
    scratch.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="base-", dir=scratch))
    tree = tmp / "tree"
    try:
        _git(top, "archive", "--format=tar", "-o", str(tmp / "base.tar"), commit)
        with tarfile.open(tmp / "base.tar") as archive:
            archive.extractall(tree, filter=_safe_member)
        yield tree / prefix if prefix else tree
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _safe_member(member: tarfile.TarInfo, dest: str) -> tarfile.TarInfo | None:
    try:
        return tarfile.data_filter(member, dest)
    except tarfile.FilterError:
        return None


@dataclass(frozen=True, slots=True)
class ChangeSet:
    """What changed since a base ref and which render targets that affects."""

    base: str
    merge_base: str
    changed: tuple[str, ...]
    candidates: tuple[RenderTarget, ...]
    targets: tuple[RenderTarget, ...]
    base_targets: frozenset[str] | None = None
    removed: tuple[RenderTarget, ...] = ()

    def note(self) -> str:
        """The line a narrowed `validate` adds to its report."""
        return f"(changed since {self.base}: {len(self.targets)} of {len(self.candidates)} targets)"


def change_set(
    settings: Settings,
    base_ref: str,
    commit: str,
    changed: Sequence[str],
    base_root: Path | None,
    paths: Sequence[str] = (),
    added: bool = False,
) -> ChangeSet:
    """Affected targets among those at or under `paths`, given the base tree if checked out."""
    root = settings.repo_root
    current = discover(root, settings.targets)
    candidates = select(current, root, paths)
    base_deps: dict[str, frozenset[str]] | None = None
    removed: list[RenderTarget] = []
    if base_root is not None:
        at_base = discover(base_root, settings.targets)
        base_deps = {t.path: dependencies(base_root, t) for t in at_base}
        removed = [t for t in at_base if t not in set(current)]
    hit = set(affected(root, current, changed, base_deps, added))
    return ChangeSet(
        base=base_ref,
        merge_base=commit,
        changed=tuple(changed),
        candidates=tuple(candidates),
        targets=tuple(t for t in candidates if t in hit),
        base_targets=frozenset(base_deps) if base_deps is not None else None,
        removed=tuple(removed),
    )


def needs_base_tree(repo_root: Path, changed: Sequence[str]) -> bool:
    """Whether base dependencies can matter: only when a changed path no longer exists.

    An edited or added file is found in the current graph: a target that depended on a
    path at the base but no longer does reaches, through unchanged files, the first
    changed kustomization on its old path, and that file is in its current graph. Only a
    deletion (or the old name of a move) can hide a target from the current graph, or
    remove a target, so only then is the base checked out and walked.
    """
    if not changed or set(changed) & GLOBAL_INPUTS:
        return False
    return any(not os.path.lexists(repo_root / c) for c in changed)


def targets_added(repo_root: Path, commit: str, changed: Sequence[str]) -> bool:
    """Whether a changed kustomization file is new since `commit` (a new render target)."""
    names = set(KUSTOMIZATION_FILES)
    for path in changed:
        if posixpath.basename(path) in names:
            probe = run(
                ["git", "cat-file", "-e", f"{commit}:{path}"],
                cwd=repo_root,
                timeout=_GIT_TIMEOUT,
            )
            if probe.returncode != 0:
                return True
    return False


def since(settings: Settings, base_ref: str, paths: Sequence[str] = ()) -> ChangeSet:
    """The change set of the working tree against the merge base with `base_ref`."""
    root = settings.repo_root
    commit = merge_base(root, base_ref)
    changed = changed_since_commit(root, commit)
    if not needs_base_tree(root, changed):
        added = targets_added(root, commit, changed)
        return change_set(settings, base_ref, commit, changed, None, paths, added)
    with base_tree(root, commit, settings.scratch_path) as base_root:
        return change_set(settings, base_ref, commit, changed, base_root, paths)


def render(change: ChangeSet, fmt: str) -> str:
    """`affected` output: one target per line, or the documented JSON object."""
    if fmt == "json":
        data = {
            "base": change.base,
            "changed": list(change.changed),
            "targets": [t.path for t in change.targets],
        }
        return json.dumps(data, indent=2) + "\n"
    return "".join(f"{t.path}\n" for t in change.targets)
