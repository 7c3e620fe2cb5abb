"""Hardened rendering: a pre-render scan of every kustomization a target reaches.

Why: on a pull request the repository is untrusted input, and `kustomize build` runs
what it describes. A kustomization can run plugins, read files outside the checkout,
or clone any git remote at whatever its default branch holds. This scan refuses all
three before kustomize runs. It reads repository files only, starts no process, never
follows a remote, and never reads a path that resolves outside the repository.

Checks (source `kuberay-gitops`, severity error):
- `harden-plugins`: `generators`/`transformers`/`validators` entries (exec and
  alpha plugins, KRM functions) and `helmCharts`/`helmGlobals`/
  `helmChartInflationGenerator`.
- `harden-path-escape`: a local path in a kustomization that is absolute or resolves
  outside the repository, and any symlink in a walked directory whose target does.
- `harden-remote-base`: a remote whose repository is not in `allowed_remotes`;
  `harden-remote-base[unpinned]`: an allowed remote without a tag (v1.2.3) or
  40-hex commit as its `ref=`/`version=`;
  `harden-remote-base[file-url]`: an http(s) file URL of an allowed repository whose path
  does not carry the pin (see below).
- `harden-ambiguous`: a kustomization we cannot read exactly as kustomize does, so
  we fail closed: invalid YAML, duplicate keys, or non-ASCII field names.

Parser parity with kustomize v5.8.1 (api v0.21.1, read from its source):
- it decodes kustomizations with encoding/json, so field names match
  case-insensitively with Unicode folding (`Transformers:` works, and so does
  `transformers` spelled with a long s, U+017F), and a `!!binary` key or a
  custom-tagged key counts as the plain key;
- remote detection and the repo/subpath split mirror `git.NewRepoSpecFromURL`
  (`kgraph.looks_remote`, `kgraph.parse_remote`);
- any file field may be an http(s) URL, which the file loader fetches: `loader.IsRemoteFile`
  is true for every http(s) value, and `accumulateResources` tries `FileLoader.Load` (one
  plain HTTP GET of the URL as written, query included) before it clones anything. `ref=`
  is a git option, so a file served over HTTP ignores it:
  `https://github.com/org/repo/raw/master/x.yaml?ref=v1.7.0` is master, whatever the query.
  A value is taken for such a file URL when its last segment names a file (`.yaml`, `.yml`,
  `.json`), its host is a raw host (`raw.githubusercontent.com`, `gist.githubusercontent.com`),
  its path uses a raw route after the repository (`raw/`, `blob/`, `releases/download/`,
  `-/raw/`, `-/blob/`) or its query has `raw=`; it is pinned only when the first segment after
  the repository and those route words (`refs/tags/` included) is a tag like v1.2.3 or a
  40-hex commit. Other http(s) values get a page or a 404 from a Git host, so kustomize
  clones them and the `ref=` rule applies. A raw host is its own host in `allowed_remotes`.

No `harden-load-restrictor`: the load restrictor is a command-line flag only, and no
kustomization field changes it (render.py keeps the default). Argo CD's place for it
is `kustomize.buildOptions` in `argocd-cm`, which a check on rendered objects covers.
PASS / FAIL examples: see tests/unit/test_harden.py
"""

from __future__ import annotations

import os
import re
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar

from kuberay_gitops import inputs
from kuberay_gitops.exitcodes import ConfigError
from kuberay_gitops.filememo import RunCache
from kuberay_gitops.findings import FieldPath, Finding, Location, Severity, sorted_findings
from kuberay_gitops.kgraph import (
    BASE_FIELDS,
    ENTRY_PATH_FIELDS,
    FILE_LIST_FIELDS,
    GENERATOR_FIELDS,
    GENERATOR_SOURCES,
    HELM_FIELDS,
    KUSTOMIZATION_FILES,
    OPENAPI_FIELD,
    PATH_KEY,
    PLUGIN_FIELDS,
    Remote,
    documents,
    kustomization_file,
    looks_remote,
    parse_remote,
)
from kuberay_gitops.kgraph import SCHEME as _SCHEME
from kuberay_gitops.repotree import skipped_dir

PLUGINS = "harden-plugins"
PATH_ESCAPE = "harden-path-escape"
REMOTE_BASE = "harden-remote-base"
UNPINNED = "harden-remote-base[unpinned]"
FILE_URL = "harden-remote-base[file-url]"
AMBIGUOUS = "harden-ambiguous"
CHECK_IDS = (PLUGINS, PATH_ESCAPE, REMOTE_BASE, UNPINNED, FILE_URL, AMBIGUOUS)

HINTS = MappingProxyType(
    {
        PLUGINS: "kustomize plugins and Helm run code or fetch charts at build time: use patches, "
        "images, replacements or a Component instead; render charts outside the pull request",
        PATH_ESCAPE: "keep every referenced path relative and inside the repository (Argo CD only "
        "has the checkout); move the file in, or replace the symlink with the file",
        REMOTE_BASE: "vendor the base through the shared directory mirror, or add its repository "
        "to allowed_remotes after review",
        UNPINNED: "pin the remote with ?ref=<tag like v1.2.3> or ?ref=<40-hex commit>; a commit "
        "cannot move, a branch moves with every push",
        FILE_URL: "kustomize fetches a file URL with a plain HTTP GET and ignores ref=: put the "
        "tag like v1.2.3 or the 40-hex commit in the path (.../raw/v1.2.3/x.yaml), or use a pinned "
        "remote base",
        AMBIGUOUS: "make the kustomization plain YAML: unique keys, ASCII field names, no "
        "tags; the scan cannot vouch for what it cannot read as kustomize does",
    }
)


# A pin: a tag like v1.2.3 (optionally under a path prefix) or a commit.
_TAG = re.compile(
    r"(?:[A-Za-z0-9][A-Za-z0-9._-]*/)*v?[0-9]+\.[0-9]+\.[0-9]+"
    r"(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?"
)
_COMMIT = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
# File URLs (module docstring): what makes an http(s) value a file, and the route words
# before the revision segment of a raw path.
_FILE_SUFFIXES = (".yaml", ".yml", ".json")
_RAW_HOSTS = frozenset({"raw.githubusercontent.com", "gist.githubusercontent.com"})
_RAW_ROUTES = (("-", "raw"), ("-", "blob"), ("raw",), ("blob",), ("releases", "download"))


def parse_allowed(allowed_remotes: Sequence[str]) -> list[Remote]:
    """The allowlist as Remotes; an entry that is no git URL is a configuration error."""
    out = []
    for entry in allowed_remotes:
        remote = parse_remote(entry, allow_short=True)
        if remote is None:
            raise ConfigError(
                f'config: allowed remote "{entry}" is not a git URL like '
                "https://github.com/<org>/<repo>"
            )
        out.append(remote)
    return out


def _is_pinned(ref: str) -> bool:
    return bool(_TAG.fullmatch(ref) or _COMMIT.fullmatch(ref))


def is_file_url(value: str, remote: Remote) -> bool:
    """Whether kustomize's HTTP GET of this value would be served a file (module docstring)."""
    scheme = _SCHEME.match(value)  # `git::https://` is no http URL to Go's url.Parse
    if scheme is None or scheme.group(1).lower() == "file":
        return False
    query = value.partition("?")[2]
    return (
        remote.host in _RAW_HOSTS
        or any(remote.subpath[: len(route)] == route for route in _RAW_ROUTES)
        or (bool(remote.subpath) and remote.subpath[-1].lower().endswith(_FILE_SUFFIXES))
        or any(part.partition("=")[0] == "raw" for part in query.split("&"))
    )


def file_url_pin(remote: Remote) -> str:
    """The revision segment of a file URL's path ("" when it has none)."""
    rest = remote.subpath
    for route in _RAW_ROUTES:
        if rest[: len(route)] == route:
            rest = rest[len(route) :]
            break
    if rest[:2] == ("refs", "tags"):
        rest = rest[2:]
    return rest[0] if rest else ""


def _text(node: Any) -> str | None:
    """A scalar as the string Go's YAML decoder would see (binary and tagged included)."""
    if isinstance(node, TaggedScalar):
        node = node.value
    if isinstance(node, bytes):
        return node.decode("utf-8", errors="replace")
    if isinstance(node, str):
        return str(node)
    return None


def _fold(key: str) -> str:
    return key.upper()


def _pos(container: Any, key: str | int | Any, *, value: bool = False) -> tuple[int, int | None]:
    """1-based (line, column) of a key, value or item; the container's own as fallback."""
    try:
        if isinstance(container, CommentedSeq):
            line, col = container.lc.item(key)
        elif value:
            line, col = container.lc.value(key)
        else:
            line, col = container.lc.key(key)
        return int(line) + 1, int(col) + 1
    except (KeyError, IndexError, TypeError, AttributeError):
        return int(getattr(container.lc, "line", 0)) + 1, None


@dataclass(slots=True)
class _Scan:
    """Per-run state of one scan: the walk queue and what it has found."""

    root: Path
    cache: RunCache
    allowed: list[Remote]
    allowed_text: str
    findings: list[Finding]
    queue: deque[Path]
    seen: set[Path]
    scanned_dirs: set[Path]

    def rel(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def inside(self, path: Path) -> bool:
        return path == self.root or path.is_relative_to(self.root)

    def add(
        self,
        file: str,
        pos: tuple[int | None, int | None],
        check_id: str,
        message: str,
        field: FieldPath = (),
    ) -> None:
        base = check_id.split("[", 1)[0]
        self.findings.append(
            Finding(
                Location(file, pos[0], pos[1] if pos[0] is not None else None),
                check_id,
                Severity.ERROR,
                message,
                field=field,
                hint=HINTS.get(check_id, HINTS.get(base, "")),
            )
        )

    def enqueue(self, directory: Path) -> None:
        if directory not in self.seen:
            self.seen.add(directory)
            self.queue.append(directory)

    def visit(self, kdir: Path) -> None:
        """A kustomization's findings and the directories it leads to, once per run.

        Every environment's targets reach the same bases and components: each is
        scanned on its own once (`alone`), and every target's scan takes the result.
        """
        key = (str(self.root), self.allowed_text, str(kdir))
        found, onward = self.cache.hardened.get(key, lambda _: self.alone(kdir))
        self.findings.extend(found)
        for directory in onward:
            self.enqueue(directory)

    def alone(self, kdir: Path) -> tuple[tuple[Finding, ...], tuple[Path, ...]]:
        """One kustomization scanned by itself: its findings, the directories it names."""
        sub = _Scan(
            root=self.root,
            cache=self.cache,
            allowed=self.allowed,
            allowed_text=self.allowed_text,
            findings=[],
            queue=deque(),
            seen=set(),
            scanned_dirs=set(),
        )
        sub.kustomization(kdir)
        return tuple(sub.findings), tuple(sub.queue)

    # -- references -----------------------------------------------------------------

    def reference(
        self,
        kdir: Path,
        kfile: str,
        raw: str,
        pos: tuple[int, int | None],
        field: FieldPath,
        *,
        base: bool,
    ) -> None:
        """One path-or-URL value: remote rules, escape rules, and the walk into bases."""
        if not raw:
            return
        if looks_remote(raw):
            self.remote(kfile, raw, pos, field)
            return
        if os.path.isabs(raw) or raw.startswith("\\"):
            self.add(
                kfile,
                pos,
                PATH_ESCAPE,
                f'path "{raw}" is absolute; kustomize paths must be relative to the kustomization',
                field,
            )
            return
        lexical = Path(os.path.normpath(kdir / raw))
        try:
            real = lexical.resolve()
        except (OSError, RuntimeError, ValueError):
            return  # a symlink loop or a NUL byte: kustomize fails on it, nothing leaks
        if not self.inside(lexical) or not self.inside(real):
            via = " through a symlink" if self.inside(lexical) else ""
            self.add(
                kfile,
                pos,
                PATH_ESCAPE,
                f'path "{raw}" resolves{via} outside the repository; expected a path inside it',
                field,
            )
            return
        if real.is_dir():
            if base:
                self.base_directory(real)
        elif os.path.lexists(real):
            self.findings.extend(inputs.refused(real, self.rel(lexical), self.cache))

    def base_directory(self, directory: Path) -> None:
        """Walk into a base; a kustomization file that is a FIFO would hang kustomize."""
        for name in KUSTOMIZATION_FILES:
            candidate = directory / name
            if os.path.lexists(candidate) and not candidate.is_file():
                self.findings.extend(inputs.refused(candidate, self.rel(candidate), self.cache))
        if kustomization_file(directory) is not None:
            self.enqueue(directory)

    def remote(self, kfile: str, raw: str, pos: tuple[int, int | None], field: FieldPath) -> None:
        remote = parse_remote(raw)
        if remote is None or not any(remote.within(a) for a in self.allowed):
            what = f"({remote.display})" if remote else "(not a host/org/repo URL we accept)"
            self.add(
                kfile,
                pos,
                REMOTE_BASE,
                f'remote "{raw}" {what} is not in allowed_remotes; allowed: '
                f"{self.allowed_text or 'none'}",
                field,
            )
            return
        if is_file_url(raw, remote):
            pin = file_url_pin(remote)
            if not _is_pinned(pin):
                self.add(
                    kfile,
                    pos,
                    FILE_URL,
                    f'remote "{raw}" is a file URL: kustomize fetches it with a plain HTTP GET '
                    f'and ignores ref=, so its path must carry the pin, and "{pin}" (the '
                    "segment after the repository) is no tag like v1.2.3 or 40-hex commit",
                    field,
                )
            return
        if not remote.ref:
            self.add(
                kfile,
                pos,
                UNPINNED,
                f'remote "{raw}" has no ref= or version=; kustomize would fetch the default branch',
                field,
            )
        elif not _is_pinned(remote.ref):
            self.add(
                kfile,
                pos,
                UNPINNED,
                f'remote "{raw}" is pinned to "{remote.ref}", which looks like a branch; '
                "expected a tag like v1.2.3 or a 40-hex commit",
                field,
            )

    # -- one kustomization ----------------------------------------------------------

    def kustomization(self, kdir: Path) -> None:
        kpath = kustomization_file(kdir)
        if kpath is None:
            return
        self.symlinks(kdir)
        try:
            real = kpath.resolve()
        except (OSError, RuntimeError):
            return
        if not self.inside(real):
            return  # never read; the symlink scan of kdir reports it
        kfile = self.rel(kpath)
        refused = inputs.refused(real, kfile, self.cache)
        if refused:
            self.findings.extend(refused)
            return
        docs = self.load(real, kfile)
        for doc in docs:
            if isinstance(doc, CommentedMap):
                self.fields(kdir, kfile, doc)

    def load(self, path: Path, kfile: str) -> list[Any]:
        loaded = documents(path, self.cache)
        if isinstance(loaded, tuple):
            line, message = loaded
            self.add(kfile, (line, None), AMBIGUOUS, message)
            return []
        return loaded

    def fields(self, kdir: Path, kfile: str, doc: CommentedMap) -> None:
        for key, value in doc.items():
            name = _text(key)
            pos = _pos(doc, key)
            if name is None:
                continue
            if not name.isascii():
                self.add(
                    kfile,
                    pos,
                    AMBIGUOUS,
                    f'field name "{name}" is not ASCII; kustomize folds Unicode case in '
                    "field names, so it may stand for a real field",
                    (name,),
                )
                continue
            folded = _fold(name)
            if folded in PLUGIN_FIELDS or folded in HELM_FIELDS:
                self.plugins(kfile, doc, key, name, value)
            elif folded in BASE_FIELDS:
                for i, raw, item_pos in _items(value):
                    self.reference(kdir, kfile, raw, item_pos, (name, i), base=True)
            elif folded in FILE_LIST_FIELDS:
                for i, raw, item_pos in _items(value):
                    if "\n" not in raw and not raw.lstrip().startswith(("{", "[")):
                        self.reference(kdir, kfile, raw, item_pos, (name, i), base=False)
            elif folded in ENTRY_PATH_FIELDS:
                self.entries(kdir, kfile, name, value, (PATH_KEY,))
            elif folded in GENERATOR_FIELDS:
                self.entries(kdir, kfile, name, value, GENERATOR_SOURCES)
            elif folded == OPENAPI_FIELD and isinstance(value, CommentedMap):
                for sub, raw, sub_pos in _map_paths(value, (PATH_KEY,)):
                    self.reference(kdir, kfile, raw, sub_pos, (name, *sub), base=False)

    def plugins(self, kfile: str, doc: CommentedMap, key: Any, name: str, value: Any) -> None:
        kind = "Helm chart inflation" if _fold(name).startswith("HELM") else "a kustomize plugin"
        if isinstance(value, CommentedSeq):
            for i, item in enumerate(value):
                label = _text(item) or (
                    _text(item.get("name")) if isinstance(item, CommentedMap) else None
                )
                shown = f' "{label}"' if label and "\n" not in label else ""
                self.add(
                    kfile,
                    _pos(value, i),
                    PLUGINS,
                    f"{name}[{i}]{shown} would run {kind} at build time; refused on "
                    "untrusted input",
                    (name, i),
                )
        elif value:
            self.add(
                kfile,
                _pos(doc, key),
                PLUGINS,
                f"{name} configures {kind}, which runs at build time; refused on untrusted input",
                (name,),
            )

    def entries(self, kdir: Path, kfile: str, name: str, value: Any, keys: tuple[str, ...]) -> None:
        if not isinstance(value, CommentedSeq):
            return
        for i, entry in enumerate(value):
            raw = _text(entry)
            if raw is not None:  # a bare string: kustomize treats it as a path or fails
                if "\n" not in raw:
                    self.reference(kdir, kfile, raw, _pos(value, i), (name, i), base=False)
                continue
            if not isinstance(entry, CommentedMap):
                continue
            for sub, raw_path, pos in _map_paths(entry, keys):
                self.reference(kdir, kfile, raw_path, pos, (name, i, *sub), base=False)

    # -- symlinks -------------------------------------------------------------------

    def _skipped(self, directory: Path) -> bool:
        inside = directory.is_relative_to(self.root)
        return inside and skipped_dir(directory.relative_to(self.root).parts)

    def symlinks(self, directory: Path) -> None:
        """Symlinks under a walked directory whose target is outside the repository."""
        if directory in self.scanned_dirs:
            return
        for dirpath, dirnames, filenames in os.walk(directory):
            here = Path(dirpath)
            self.scanned_dirs.add(here)
            dirnames[:] = sorted(
                d
                for d in dirnames
                if not self._skipped(here / d) and here / d not in self.scanned_dirs
            )
            for name in sorted([*dirnames, *filenames]):
                path = here / name
                if not path.is_symlink():
                    continue
                try:
                    target = path.resolve()
                except (OSError, RuntimeError):
                    continue  # a loop stays inside; kustomize reports it
                if not self.inside(target):
                    self.add(
                        self.rel(path),
                        (None, None),
                        PATH_ESCAPE,
                        f'symlink points outside the repository (to "{os.readlink(path)}")',
                    )


def _items(value: Any) -> Iterator[tuple[int, str, tuple[int, int | None]]]:
    """String entries of a list field with their positions."""
    if not isinstance(value, CommentedSeq):
        return
    for i, item in enumerate(value):
        raw = _text(item)
        if raw is not None:
            yield i, raw, _pos(value, i)


def _map_paths(
    entry: CommentedMap, keys: tuple[str, ...]
) -> Iterator[tuple[FieldPath, str, tuple[int, int | None]]]:
    """Path values of an entry's keys (`path`, `files`, `envs`, `env`), case-folded.

    A `files` item may be `key=path`; the path is what kustomize reads.
    """
    for key, value in entry.items():
        name = _text(key)
        if name is None or _fold(name) not in keys:
            continue
        if isinstance(value, CommentedSeq):
            for i, raw, pos in _items(value):
                path = raw.split("=", 1)[1] if _fold(name) == "FILES" and "=" in raw else raw
                yield (name, i), path, pos
        else:
            single = _text(value)
            if single is not None:
                yield (name,), single, _pos(entry, key, value=True)


def blocking(findings: Sequence[Finding]) -> list[Finding]:
    """The findings that refuse a build: `validate` and `diff` never render such a target."""
    return [f for f in findings if f.severity is Severity.ERROR]


def scan(
    repo_root: Path, targets: Sequence[str], allowed_remotes: Sequence[str], cache: RunCache
) -> list[Finding]:
    """Hardening findings for every kustomization reachable from the targets.

    `targets` are repo-relative directories (RenderTarget.path); `allowed_remotes` are
    git URLs matched by whole segments (`https://github.com/ray-project/kuberay` allows
    that repository, `https://github.com/ray-project` the whole org).
    """
    root = repo_root.resolve()
    allowed = parse_allowed(allowed_remotes)
    state = _Scan(
        root=root,
        cache=cache,
        allowed=allowed,
        allowed_text=", ".join(allowed_remotes),
        findings=[],
        queue=deque(),
        seen=set(),
        scanned_dirs=set(),
    )
    for target in targets:
        lexical = Path(os.path.normpath(root / target))
        real = lexical.resolve()
        if not state.inside(lexical) or not state.inside(real):
            state.add(
                target,
                (None, None),
                PATH_ESCAPE,
                f'render target "{target}" resolves outside the repository',
            )
            continue
        state.enqueue(real)
    while state.queue:
        state.visit(state.queue.popleft())
    return sorted_findings(state.findings)
