"""The kustomization graph: how the tool reads a kustomization, and what a build reads.

Why one module: discovery, hardened rendering (`harden`), `--changed-since` (`affected`),
the render cache key (`rendercache`) and the pipeline ask questions of the same
kustomizations, and each used to carry its own list of the fields that name files and
its own idea of what is remote. Here each has one answer:

- `KUSTOMIZATION_FILES`, `kustomization_file`: which file of a directory kustomize reads;
- the fields that reference other files (`BASE_FIELDS` ... `GENERATOR_SOURCES`), by
  name folded to ASCII upper case, as kustomize's encoding/json decoder matches them;
- `load`: the strict parse (fails closed on duplicate, complex or non-ASCII field
  names), and `documents`: the round-trip parse with positions that findings point at;
- `looks_remote`, `parse_remote`, `Remote`: what kustomize fetches instead of reading a
  local path, split as `git.NewRepoSpecFromURL` splits it;
- `dependencies`: every repository file a directory's build can read.

Every function takes the run's `RunCache` (`filememo`): what one run learns is kept for
that run only.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError

from kuberay_gitops.filememo import RunCache
from kuberay_gitops.manifests import SAFE_LOADER

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")

# Fields that reference files, by folded name.
# A file, or a directory holding a kustomization kustomize builds.
BASE_FIELDS = ("RESOURCES", "COMPONENTS", "BASES")
# Read like `resources`, and each entry configures a plugin (harden refuses them).
PLUGIN_FIELDS = ("TRANSFORMERS", "GENERATORS", "VALIDATORS")
# Helm chart inflation (harden refuses it; its values files still decide the output).
HELM_FIELDS = ("HELMCHARTS", "HELMGLOBALS", "HELMCHARTINFLATIONGENERATOR")
# Lists of file paths (or of inline documents).
FILE_LIST_FIELDS = ("CRDS", "CONFIGURATIONS", "PATCHESSTRATEGICMERGE")
# Lists of entries with a `path` (or of bare paths).
ENTRY_PATH_FIELDS = ("PATCHES", "PATCHESJSON6902", "REPLACEMENTS")
# Generators whose entries read `GENERATOR_SOURCES` (a `files` item may be `key=path`).
GENERATOR_FIELDS = ("CONFIGMAPGENERATOR", "SECRETGENERATOR")
GENERATOR_SOURCES = ("FILES", "ENVS", "ENV")
# A mapping with a `path`.
OPENAPI_FIELD = "OPENAPI"
PATH_KEY = "PATH"

# git.NewRepoSpecFromURL: optional `git::`, then a scheme, `user@host:`, or github.com.
SCHEME = re.compile(r"(?i)(https?|ssh|file):")
_USER = re.compile(r"[A-Za-z][A-Za-z0-9-]*@")
_HOST = re.compile(r"[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?(?::[0-9]+)?")
_SEGMENT = re.compile(r"[A-Za-z0-9_.~-]+")
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


def kustomization_file(directory: Path) -> Path | None:
    """The kustomization file of a directory, if it has one."""
    for name in KUSTOMIZATION_FILES:
        candidate = directory / name
        if candidate.is_file():
            return candidate
    return None


# -- remotes -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Remote:
    """A remote reference split as kustomize splits it.

    `transport` is `secure` (https, ssh), `http` or `file`; `repo` holds the segments
    kustomize clones, `subpath` those of the kustomization root inside the clone.
    """

    transport: str
    host: str
    repo: tuple[str, ...]
    subpath: tuple[str, ...]
    ref: str

    @property
    def display(self) -> str:
        """`host/org/repo`, without scheme, user or query."""
        return "/".join((self.host, *self.repo))

    def within(self, allowed: Remote) -> bool:
        """Whether this remote is at or below an allowed one (whole segments only)."""
        if (self.transport, self.host) != (allowed.transport, allowed.host):
            return False
        if allowed.subpath:
            return (
                self.repo == allowed.repo
                and self.subpath[: len(allowed.subpath)] == allowed.subpath
            )
        return self.repo[: len(allowed.repo)] == allowed.repo


def looks_remote(value: str) -> bool:
    """Whether kustomize would fetch this reference instead of reading a local path."""
    s = value[5:] if value[:5].lower() == "git::" else value
    if SCHEME.match(s) or s.lower().startswith(("github.com/", "github.com:")):
        return True
    user = _USER.match(s)
    return user is not None and any(c in s[user.end() :] for c in "/:")


def _query_ref(query: str) -> str:
    """The ref kustomize uses: `ref`, else `version`; "" when Go's ParseQuery fails."""
    first: dict[str, str] = {}
    for part in query.split("&"):
        if not part:
            continue
        if ";" in part or _BAD_ESCAPE.search(part):
            return ""  # url.ParseQuery errors and kustomize falls back to no ref at all
        key, _, value = part.partition("=")
        first.setdefault(unquote_plus(key), unquote_plus(value))
    return first.get("ref") or first.get("version", "")


def _segments(path: str) -> tuple[str, ...] | None:
    parts = tuple(p for p in path.split("/") if p)
    if any(p in (".", "..") or not _SEGMENT.fullmatch(p) for p in parts):
        return None
    return parts


def parse_remote(value: str, *, allow_short: bool = False) -> Remote | None:
    """Split a remote reference into transport, host, repo, subpath and ref.

    None when it is not a git-like URL, or has a part we refuse to interpret (`..`,
    percent-escapes, an odd host): such a remote is never allowed.
    """
    s, _, query = value.partition("?")
    ref = _query_ref(query)
    if s[:5].lower() == "git::":
        s = s[5:]
    scheme = SCHEME.match(s)
    if scheme:
        name = scheme.group(1).lower()
        rest = s[scheme.end() :]
        if not rest.startswith("//"):
            return None
        rest = rest[2:]
        if name == "file":
            transport, authority, path = "file", "", rest
        else:
            transport = "http" if name == "http" else "secure"
            authority, _, path = rest.partition("/")
    else:
        user = _USER.match(s)
        rest = s[user.end() :] if user else s
        if user is None and not rest.lower().startswith(("github.com/", "github.com:")):
            return None
        slash, colon = rest.find("/"), rest.find(":")
        cut = colon if colon > 0 and (slash < 0 or colon < slash) else slash
        if cut < 0:
            return None
        transport, authority, path = "secure", rest[:cut], rest[cut + 1 :]
    host = authority.rpartition("@")[2].lower()  # git and curl connect after the last "@"
    if transport != "file" and not _HOST.fullmatch(host):
        return None
    split = _split_repo(path, whole=transport == "file" or allow_short)
    if split is None:
        return None
    repo_path, sub_path = split
    repo = _segments(repo_path)
    sub = posixpath.normpath(sub_path) if sub_path.strip("/") else ""
    subpath = _segments(sub) if not sub.startswith("..") else None
    if not repo or subpath is None:
        return None
    if repo[-1].endswith(".git"):
        repo = (*repo[:-1], repo[-1][: -len(".git")])
    return Remote(transport, host, repo, subpath, ref)


def _split_repo(path: str, *, whole: bool) -> tuple[str, str] | None:
    """Mirror kustomize's parsePathParts: `_git/`, then `//`, then `.git`, then org/repo."""
    if "_git/" in path:
        head, _, tail = path.partition("_git/")
        first, _, sub = tail.partition("/")
        return f"{head}_git/{first}", sub
    if "//" in path:
        repo, _, sub = path.partition("//")
        return repo, sub
    if ".git" in path:
        i = path.index(".git") + len(".git")
        return path[:i], path[i:]
    parts = path.split("/")
    if whole:
        return path, ""
    if len(parts) < 2:
        return None
    return "/".join(parts[:2]), "/".join(parts[2:])


# -- parsing ---------------------------------------------------------------------------


class Malformed(Exception):
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
            raise Malformed(f"duplicate or complex key {key!r}")
        out[key] = loader.construct_object(value_node, deep=True)
    return out


_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _strict_mapping,
)


def _parse_strict(kfile: Path) -> dict[str, object] | Exception:
    try:
        data = yaml.load(kfile.read_text(encoding="utf-8"), Loader=_StrictLoader)
        if not isinstance(data, dict):
            raise Malformed("not a mapping")
        return _folded(data)
    except Malformed as exc:
        return exc


def load(kfile: Path, cache: RunCache) -> dict[str, object]:
    """A kustomization's fields by folded name, parsed once per run per file version.

    Raises `Malformed` (kept for the run), `OSError`, `UnicodeDecodeError` or
    `yaml.YAMLError` (parsed again when asked again).
    """
    hit = cache.kustomizations.get(kfile, _parse_strict)
    if isinstance(hit, Exception):
        raise hit
    return hit


def _folded(data: Mapping[object, object]) -> dict[str, object]:
    """Field names folded as kustomize's JSON decoder matches them (case-insensitively)."""
    out: dict[str, object] = {}
    for key, value in data.items():
        if not isinstance(key, str) or not key.isascii() or key.upper() in out:
            raise Malformed(f"field name {key!r}")
        out[key.upper()] = value
    return out


def kind(kfile: Path, cache: RunCache) -> object:
    """The `kind` of a kustomization, None when it has none or cannot be read strictly."""
    try:
        return load(kfile, cache).get("KIND")
    except (OSError, UnicodeDecodeError, yaml.YAMLError, Malformed):
        return None


def documents(path: Path, cache: RunCache) -> list[Any] | tuple[int, str]:
    """A kustomization's round-trip documents, or (line, message) when it is not plain YAML.

    Parsed once per run per file version (the round-trip parser is slow); callers only
    read the documents.
    """
    try:
        return cache.documents.get(path, lambda p: _parse_documents(p.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError) as exc:
        return 1, f"kustomization cannot be read: {exc}"


def _parse_documents(text: str) -> list[Any] | tuple[int, str]:
    rt = YAML(typ="rt")
    rt.allow_duplicate_keys = False
    try:
        return [d for d in rt.load_all(text) if d is not None]
    except Exception as exc:  # any parser failure, warnings included: fail closed
        mark = getattr(exc, "problem_mark", None) if isinstance(exc, MarkedYAMLError) else None
        line = int(mark.line) + 1 if mark is not None else 1
        problem = getattr(exc, "problem", None) or type(exc).__name__
        # ruamel quotes the duplicated values; they may be secretGenerator literals
        problem = " ".join(str(problem).split()).split(" with value ", 1)[0]
        return line, f"kustomization is not plain YAML ({problem})"


# -- dependencies ----------------------------------------------------------------------


def _is_inline(entry: str) -> bool:
    """An inline YAML/JSON document (patchesStrategicMerge, transformers), not a path.

    Broader than harden's test on purpose: harden fails closed on anything that may be a
    path; a dependency walk loses nothing by skipping what cannot be one.
    """
    text = entry.strip()
    return "\n" in text or ": " in text or text.endswith(":") or text.startswith(("{", "["))


def _items(data: Mapping[str, object], key: str) -> list[object]:
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise Malformed(key)
    return value


def _string(value: object, key: str) -> str:
    if not isinstance(value, str):
        raise Malformed(key)
    return value


def _mapping(value: object, key: str) -> dict[str, object]:
    if not isinstance(value, dict):
        raise Malformed(key)
    return _folded(value)


@dataclass(slots=True)
class _Walk:
    """The dependency walk of one directory: the files found, the directories on the way.

    A directory's files (its closure) are kept in the run's cache once its walk is
    complete, and every later walk that reaches it takes them from there. A walk that
    meets a directory on its own way (a cycle, which kustomize refuses) or one seen in
    this walk but not kept is incomplete: it is never kept, nor is any walk above it.
    """

    root: Path
    cache: RunCache
    way: frozenset[str] = frozenset()
    visited: set[str] = field(default_factory=set)
    files: set[str] = field(default_factory=set)
    incomplete: bool = False

    def local(self, directory: str, entry: str) -> str | None:
        """Repo-relative POSIX path of an entry of a kustomization in `directory`."""
        if not entry or looks_remote(entry):
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
        return self.cache.real(self.root, path)

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
        key = (str(self.root), directory)
        kept = self.cache.closures.peek(key)
        if kept is not None:
            self.files |= kept
            return
        if directory in self.way or directory in self.visited:
            self.incomplete = True
            return
        self.visited.add(directory)
        sub = _Walk(self.root, self.cache, self.way | {directory}, self.visited)
        sub.here(directory)
        self.files |= sub.files
        if sub.incomplete:
            self.incomplete = True
        else:
            self.cache.closures.put(key, frozenset(sub.files))

    def here(self, directory: str) -> None:
        """The directory's own kustomization and what it names (`visit` recurses)."""
        for name in KUSTOMIZATION_FILES:  # adding a second one breaks the build, too
            self.add_file(directory, name)
        kfile = kustomization_file(self.root / directory)
        if kfile is None:
            self.add_tree(directory)
            return
        try:
            self._fields(directory, load(kfile, self.cache))
        except (OSError, UnicodeDecodeError, yaml.YAMLError, Malformed):
            self.add_tree(directory)

    def _fields(self, d: str, data: Mapping[str, object]) -> None:
        for key in (*BASE_FIELDS, *PLUGIN_FIELDS):
            for item in _items(data, key):
                self.add_resource(d, _string(item, key))
        for key in FILE_LIST_FIELDS:
            for item in _items(data, key):
                entry = _string(item, key)
                if not _is_inline(entry):
                    self.add_file(d, entry)
        for key in ENTRY_PATH_FIELDS:
            for item in _items(data, key):
                if isinstance(item, str):  # kustomize reads a bare string as a path
                    if not _is_inline(item):
                        self.add_file(d, item)
                    continue
                path = _mapping(item, key).get(PATH_KEY)
                if path is not None:
                    self.add_file(d, _string(path, f"{key}[].path"))
        files, envs, env = GENERATOR_SOURCES
        for key in GENERATOR_FIELDS:
            for item in _items(data, key):
                gen = _mapping(item, key)
                for source in _items(gen, files):
                    spec = _string(source, f"{key}[].files")
                    self.add_file(d, spec.split("=", 1)[1] if "=" in spec else spec)
                for each in _items(gen, envs):
                    self.add_file(d, _string(each, f"{key}[].envs"))
                if gen.get(env) is not None:
                    self.add_file(d, _string(gen[env], f"{key}[].env"))
        if data.get(OPENAPI_FIELD) is not None:
            path = _mapping(data[OPENAPI_FIELD], "openapi").get(PATH_KEY)
            if path is not None:
                self.add_file(d, _string(path, "openapi.path"))
        # Hardened rendering refuses Helm, but a values file still decides the output.
        helm_charts, helm_globals, _ = HELM_FIELDS
        for item in _items(data, helm_charts):
            chart = _mapping(item, "helmCharts")
            if chart.get("VALUESFILE") is not None:
                self.add_file(d, _string(chart["VALUESFILE"], "helmCharts[].valuesFile"))
            for extra in _items(chart, "ADDITIONALVALUESFILES"):
                self.add_file(d, _string(extra, "helmCharts[].additionalValuesFiles"))
        if data.get(helm_globals) is not None:
            home = _mapping(data[helm_globals], "helmGlobals").get("CHARTHOME")
            if home is not None:
                path = self.local(d, _string(home, "helmGlobals.chartHome"))
                if path is not None:
                    self.add_tree(path)


def dependencies(repo_root: Path, directory: str, cache: RunCache) -> frozenset[str]:
    """Every repository file a build of `directory` can read (repo-relative POSIX paths).

    Each kustomization on the way (through `resources`, `components`, `bases`,
    transformer/generator/validator entries) and every file those name (patches,
    generator sources, replacements, openapi, crds, configurations, Helm values). Remote
    URLs are pinned and outside the repository, so they never count. Where a
    kustomization cannot be read, its whole directory counts. An entry ending in `/`
    stands for every file under that directory, including files that do not exist yet
    (a kustomization that cannot be read, a missing directory).
    """
    walk = _Walk(repo_root.resolve(), cache)
    walk.visit(posixpath.normpath(directory))
    return frozenset(walk.files)
