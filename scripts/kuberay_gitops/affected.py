"""Which render targets a change can affect, from the kustomize graph, not path prefixes.

A target's dependencies are every repository file its build can read
(`kgraph.dependencies`).

Changes come from git: the merge base of the base ref and HEAD against the working tree,
plus untracked files. Dependencies at the merge base are read from a detached worktree in
a temporary directory, so the user's checkout is never touched.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
import shutil
import stat
import tarfile
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import yaml

from kuberay_gitops import inputs
from kuberay_gitops.discover import RenderTarget, discover, select
from kuberay_gitops.exitcodes import ToolError, ToolFailed
from kuberay_gitops.filememo import RunCache
from kuberay_gitops.kgraph import (
    BASE_FIELDS,
    KUSTOMIZATION_FILES,
    PLUGIN_FIELDS,
    Malformed,
    Remote,
    dependencies,
    load,
    looks_remote,
    parse_remote,
)
from kuberay_gitops.manifests import SAFE_LOADER
from kuberay_gitops.settings import CONFIG_FILE, TOOLCHAIN_FILE, Settings
from kuberay_gitops.tools.runner import one_line, run

# Inputs of every target: the config (targets, checks, mirrors), the tool pins, yamllint's rules.
GLOBAL_INPUTS = frozenset({CONFIG_FILE, TOOLCHAIN_FILE, ".yamllint"})
ARGOCD_TARGET = "argocd"
_GIT_TIMEOUT = 120.0
# The word for an Argo CD Application or ApplicationSet, as a string of a file a build reads
# (a kind, a JSON resource, a patch's value): broader than an object on purpose.
_APP_TEXT = "Application"
_APP_WORD = re.compile(_APP_TEXT.encode())
# Larger files are refused by the input limits (`inputs`) and never built.
_SCAN_BYTES = 8 << 20


class UnknownRef(ToolError):
    """The base ref names no commit of the repository (a usage error on the command line)."""


def _depends_on(deps: frozenset[str], changed: str) -> bool:
    if changed in deps:
        return True
    return any(d.endswith("/") and (d == "/" or changed.startswith(d)) for d in deps)


def affected(
    repo_root: Path,
    targets: Sequence[RenderTarget],
    changed_files: Sequence[str],
    cache: RunCache,
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
        deps = dependencies(repo_root, target.path, cache) | base.get(target.path, frozenset())
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
    cache: RunCache,
    paths: Sequence[str] = (),
    added: bool = False,
) -> ChangeSet:
    """Affected targets among those at or under `paths`, given the base tree if checked out."""
    root = settings.repo_root
    current = discover(root, settings.targets, cache)
    candidates = select(current, root, paths)
    base_deps: dict[str, frozenset[str]] | None = None
    removed: list[RenderTarget] = []
    if base_root is not None:
        at_base = discover(base_root, settings.targets, cache)
        base_deps = {t.path: dependencies(base_root, t.path, cache) for t in at_base}
        removed = [t for t in at_base if t not in set(current)]
    hit = set(affected(root, current, changed, cache, base_deps, added))
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


def since(
    settings: Settings, base_ref: str, cache: RunCache, paths: Sequence[str] = ()
) -> ChangeSet:
    """The change set of the working tree against the merge base with `base_ref`."""
    root = settings.repo_root
    commit = merge_base(root, base_ref)
    changed = changed_since_commit(root, commit)
    if not needs_base_tree(root, changed):
        added = targets_added(root, commit, changed)
        return change_set(settings, base_ref, commit, changed, None, cache, paths, added)
    with base_tree(root, commit, settings.scratch_path) as base_root:
        return change_set(settings, base_ref, commit, changed, base_root, cache, paths)


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


def argocd_sources(
    settings: Settings,
    targets: Sequence[RenderTarget],
    cache: RunCache,
    root: Path | None = None,
) -> list[RenderTarget]:
    """The targets whose render can hold an Argo CD Application or ApplicationSet.

    What the environments of the cluster stage are read from, found without building
    anything: a target qualifies when a file its build reads mentions `Application`
    (a resource, JSON included, or a patch that could set the kind), or when its build
    reads what the graph cannot see, a remote base or a path outside the repository,
    unless the remote is a configured mirror whose local copy mentions none. A narrowed
    run then renders these few instead of every target to learn the environments.
    `root` is the tree the targets are in (the repository's, unless a base tree).
    """
    root = root or settings.repo_root
    mentions: dict[str, bool] = {}
    mirrors = _mirror_sources(settings, cache)

    def names_app(rel: str) -> bool:
        if rel not in mentions:
            mentions[rel] = _mentions_app(root / rel, cache)
        return mentions[rel]

    out = []
    for target in targets:
        deps = dependencies(root, target.path, cache)
        files = sorted(d for d in deps if not d.endswith("/"))
        if any(names_app(d) for d in files) or any(
            _reaches_unseen(root, d, cache, mirrors)
            for d in files
            if posixpath.basename(d) in KUSTOMIZATION_FILES
        ):
            out.append(target)
    return out


def _mentions_app(path: Path, cache: RunCache) -> bool:
    """Whether a regular file (never a symlink, FIFO or device) can name an Argo CD app.

    Comments do not count (the YAML parser drops them); any string of the file, key or
    value, does: a kind, a JSON resource, a patch's value, a replacement's source. A
    file that is not YAML counts when its bytes do; a file the input limits refuse
    never does (no target reading it is built).
    """
    try:
        st = os.lstat(path)
        if not stat.S_ISREG(st.st_mode) or st.st_size > _SCAN_BYTES:
            return False
        data = path.read_bytes()
    except OSError:
        return False
    if _APP_WORD.search(data) is None:
        return False
    if inputs.refused(path, path.name, cache):
        return False
    try:
        docs = list(yaml.load_all(data.decode("utf-8"), Loader=SAFE_LOADER))
    except (UnicodeDecodeError, yaml.YAMLError):
        return True
    stack: list[object] = docs
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _APP_TEXT in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _mirror_sources(settings: Settings, cache: RunCache) -> list[tuple[Remote, str]]:
    """The configured mirrors whose local copy mentions no Argo CD app: (remote, ref)."""
    out: list[tuple[Remote, str]] = []
    for mirror in settings.mirrors:
        remote = parse_remote(mirror.url, allow_short=True)
        source = settings.shared_path / mirror.source
        if remote is None or not source.is_dir():
            continue
        if not any(
            _mentions_app(Path(d) / f, cache) for d, _, names in os.walk(source) for f in names
        ):
            out.append((remote, mirror.ref))
    return out


def _reaches_unseen(
    root: Path, kfile: str, cache: RunCache, clean_mirrors: Sequence[tuple[Remote, str]]
) -> bool:
    """Whether a kustomization names a base the dependency graph cannot read."""
    try:
        data = load(root / kfile, cache)
    except (OSError, UnicodeDecodeError, yaml.YAMLError, Malformed):
        return False  # its whole directory is a dependency, read as files
    here = posixpath.dirname(kfile)
    for key in (*BASE_FIELDS, *PLUGIN_FIELDS):
        entries = data.get(key)
        for entry in entries if isinstance(entries, list) else []:
            if not isinstance(entry, str) or "\n" in entry or ": " in entry:
                continue  # inline documents
            if looks_remote(entry):
                remote = parse_remote(entry)
                if remote is None or not any(
                    remote.within(m) and remote.ref == ref for m, ref in clean_mirrors
                ):
                    return True
                continue
            joined = posixpath.normpath(posixpath.join(here, entry))
            if os.path.isabs(entry) or joined == ".." or joined.startswith("../"):
                return True
    return False
