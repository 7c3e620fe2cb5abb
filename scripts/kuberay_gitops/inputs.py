"""Input limits: a repository file is read, linted and scanned only once it is safe to.

Why: on a pull request every file is untrusted. A FIFO named `x.yaml` blocks a reader
forever, a 20 MB file or a YAML alias bomb exhausts memory in whatever expands it, deep
nesting overflows recursive parsers, and bytes that are not UTF-8 make each tool fail in
its own way. This module reads every repository YAML file once, as bytes (so CRLF line
endings survive for yamllint), and hands the decoded text on only when the file passed.
`harden` asks the same questions about the files a kustomization references, so
kustomize never starts on such input either.

One event pass of libyaml (non-recursive, so depth itself cannot overflow it) measures
nesting and alias expansion without building the document, and sees what a parse
hides: stray empty documents, tags that are not YAML's, and `kind: List` wrappers.

Checks (source `kuberay-gitops`, severity error; `input-*`):
- `input-unsafe[not-regular|too-large|too-deep|alias-bomb]`: never read further, and a
  target referencing the file is never rendered.
- `input-encoding[utf-8|bom|control]`: not UTF-8, a byte order mark, or a character YAML
  forbids (NUL and other C0/C1 controls).
- `input-document[empty|tag|list|duplicate-key]`: an empty document between `---`
  separators, a tag outside YAML's own (`!!python/object`, `!custom`), a `kind: List`
  wrapper, a key twice in one mapping (parsers keep one silently; yamllint's rule can be
  switched off by a comment in the file, this cannot).
PASS / FAIL examples: tests/unit/test_inputs.py and the corpus in tests/corpus/.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType

import yaml

from kuberay_gitops.filememo import RunCache
from kuberay_gitops.findings import Finding, Location, Severity
from kuberay_gitops.manifests import SAFE_LOADER

UNSAFE = "input-unsafe"
ENCODING = "input-encoding"
DOCUMENT = "input-document"
CHECK_IDS = (UNSAFE, ENCODING, DOCUMENT)

# etcd refuses a request over 1.5 MiB, so no manifest file needs more than a few MiB.
MAX_BYTES = 4 * 1024 * 1024
# Real manifests nest about 25 levels; CRD schemas about 40.
MAX_DEPTH = 100
# Nodes after alias expansion; a 20,000-line manifest has about 40,000.
MAX_EXPANDED = 200_000

HINTS = MappingProxyType(
    {
        UNSAFE: "commit a plain file of reasonable size and shape; split generated data or "
        "move it out of the manifests",
        ENCODING: "save the file as UTF-8 without a byte order mark, with printable characters "
        "only (escape binary data or use binaryData)",
        DOCUMENT: "remove the stray `---`, the custom tag or the List wrapper: one plain object "
        "per document, one object per file",
    }
)

_CORE_TAGS = frozenset(
    f"tag:yaml.org,2002:{t}"
    for t in (
        "str", "int", "float", "bool", "null", "map", "seq", "binary", "timestamp",
        "merge", "omap", "pairs", "set", "value",
    )
)  # fmt: skip
# YAML 1.1 forbids these in a stream (tab, LF, CR and printable text are fine).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ufffe\uffff]")


@dataclass(frozen=True, slots=True)
class Inspected:
    """A file's findings, and its text when it is safe for line-level tools."""

    rel: str
    findings: tuple[Finding, ...]
    text: str | None


def _finding(rel: str, line: int | None, check: str, message: str) -> Finding:
    return Finding(
        Location(rel, line),
        check,
        Severity.ERROR,
        message,
        hint=HINTS[check.split("[", 1)[0]],
    )


def unsafe(path: Path, rel: str) -> tuple[list[Finding], bytes | None]:
    """Resource limits only: what `harden` refuses before kustomize reads the file.

    Returns the findings and, when the file is safe to read, its bytes.
    """
    try:
        st = os.stat(path)
    except OSError as exc:
        reason = "a symlink loop" if exc.errno == 40 else (exc.strerror or str(exc))  # ELOOP
        return [_finding(rel, None, f"{UNSAFE}[not-regular]", f"cannot be read: {reason}")], None
    if not stat.S_ISREG(st.st_mode):
        what = "a FIFO" if stat.S_ISFIFO(st.st_mode) else "not a regular file"
        return [
            _finding(
                rel,
                None,
                f"{UNSAFE}[not-regular]",
                f"is {what}; reading it could block forever, so it is never read",
            )
        ], None
    if st.st_size > MAX_BYTES:
        return [
            _finding(
                rel,
                None,
                f"{UNSAFE}[too-large]",
                f"file size {st.st_size / 2**20:.1f} MiB exceeds the {MAX_BYTES // 2**20} MiB "
                "input limit",
            )
        ], None
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        return [_finding(rel, None, f"{UNSAFE}[not-regular]", f"cannot be read: {exc}")], None
    if len(data) > MAX_BYTES:  # grew since stat
        return [_finding(rel, None, f"{UNSAFE}[too-large]", "file exceeds the input limit")], None
    return [], data


def _decode(rel: str, data: bytes) -> tuple[list[Finding], str | None]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return [
            _finding(
                rel,
                line,
                f"{ENCODING}[utf-8]",
                f"not UTF-8: byte 0x{data[exc.start]:02x} at line {line} is invalid",
            )
        ], None
    found: list[Finding] = []
    if text.startswith("\ufeff"):
        found.append(
            _finding(rel, 1, f"{ENCODING}[bom]", "starts with a UTF-8 byte order mark (BOM)")
        )
        text = text[1:]
    bad = _CONTROL.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        found.append(
            _finding(
                rel,
                line,
                f"{ENCODING}[control]",
                f"control character U+{ord(bad.group()):04X} at line {line}: YAML forbids it",
            )
        )
        return found, None
    return found, text


@dataclass(slots=True)
class _Frame:
    """An open mapping or sequence during the event pass."""

    is_map: bool
    anchor: str | None
    start: int
    expect_key: bool = True
    key: str | None = None
    keys: set[str] = field(default_factory=set)


def _done(frames: list[_Frame]) -> None:
    """A node completed inside the innermost collection: keys and values alternate."""
    if frames and frames[-1].is_map:
        frames[-1].expect_key = not frames[-1].expect_key


def _structure(rel: str, text: str) -> Iterator[Finding]:
    """One event pass: depth, alias expansion, empty documents, foreign tags, Lists."""
    frames: list[_Frame] = []
    sizes: dict[str, int] = {}
    total = 0  # nodes so far, every alias counted as the nodes it expands to
    documents: list[tuple[int, bool]] = []
    try:
        for event in yaml.parse(text, Loader=SAFE_LOADER):
            line = event.start_mark.line + 1 if event.start_mark else 1
            tag = getattr(event, "tag", None)
            if tag is not None and tag not in _CORE_TAGS:
                yield _finding(
                    rel,
                    line,
                    f"{DOCUMENT}[tag]",
                    f"tag {tag} is not a YAML core tag; Kubernetes tools read it differently",
                )
            if isinstance(event, yaml.DocumentStartEvent):
                documents.append((line, True))
            elif isinstance(event, yaml.AliasEvent):
                total += sizes.get(str(event.anchor), 1)
                _done(frames)
            elif isinstance(event, yaml.ScalarEvent):
                total += 1
                if event.anchor:
                    sizes[event.anchor] = 1
                if frames and frames[-1].is_map and frames[-1].expect_key:
                    # A parser keeps one of two equal keys, silently: yamllint's rule can
                    # be switched off by a comment in the file, this cannot.
                    if event.value in frames[-1].keys:
                        yield _finding(
                            rel,
                            line,
                            f"{DOCUMENT}[duplicate-key]",
                            f'key "{event.value}" appears twice in one mapping; tools keep '
                            "different ones",
                        )
                    frames[-1].keys.add(event.value)
                if not frames:
                    empty = event.value == "" and tag is None and not event.style
                    documents[-1] = (documents[-1][0], not empty)
                elif len(frames) == 1 and frames[0].is_map:
                    top = frames[0]
                    if top.expect_key:
                        top.key = event.value
                    elif top.key == "kind" and event.value == "List":
                        yield _finding(
                            rel,
                            line,
                            f"{DOCUMENT}[list]",
                            "kind: List wraps several objects in one document",
                        )
                _done(frames)
            elif isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                if len(frames) >= MAX_DEPTH:
                    yield _finding(
                        rel,
                        line,
                        f"{UNSAFE}[too-deep]",
                        f"nesting deeper than {MAX_DEPTH} levels at line {line}",
                    )
                    return
                is_map = isinstance(event, yaml.MappingStartEvent)
                frames.append(_Frame(is_map, event.anchor, total))
                total += 1
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                frame = frames.pop()
                if frame.anchor:
                    sizes[frame.anchor] = total - frame.start
                _done(frames)
            if total > MAX_EXPANDED:
                yield _finding(
                    rel,
                    line,
                    f"{UNSAFE}[alias-bomb]",
                    f"aliases expand to more than {MAX_EXPANDED:,} nodes by line {line}",
                )
                return
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        if "nesting depth" in str(exc) and mark is not None:  # libyaml stops at 1,000 levels
            line = mark.line + 1
            yield _finding(
                rel,
                line,
                f"{UNSAFE}[too-deep]",
                f"nesting deeper than {MAX_DEPTH} levels at line {line}",
            )
        return  # any other syntax error: yamllint reports it with its line
    # A trailing `---` is a harmless habit; an empty document before another is not.
    for line, has_content in documents[:-1]:
        if not has_content:
            yield _finding(
                rel,
                line,
                f"{DOCUMENT}[empty]",
                f"empty document at line {line} between `---` separators (an object "
                "deleted by accident?)",
            )


def inspect(root: Path, path: Path) -> Inspected:
    """Every input check for one repository file; text only when line-level tools may read it.

    A file that resolves outside the repository (a symlink) is never read: `harden`
    reports the symlink.
    """
    rel = Path(os.path.normpath(path)).relative_to(root).as_posix()
    try:
        outside = not path.resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError):
        outside = False  # a symlink loop: the stat below reports it
    if outside:
        return Inspected(rel, (), None)
    found, data = unsafe(path, rel)
    if data is None:
        return Inspected(rel, tuple(found), None)
    decoded, text = _decode(rel, data)
    found.extend(decoded)
    if text is None:
        return Inspected(rel, tuple(found), None)
    structure = list(_structure(rel, text))
    found.extend(structure)
    blocked = any(f.check_id.startswith(UNSAFE) for f in structure)
    return Inspected(rel, tuple(found), None if blocked else text)


def inspect_all(root: Path, paths: Iterable[Path]) -> tuple[list[Finding], list[tuple[str, str]]]:
    """Every file's findings, and (repo-relative path, text) of those safe to read further."""
    checked = [inspect(root, p) for p in paths]
    findings = [f for c in checked for f in c.findings]
    return findings, [(c.rel, c.text) for c in checked if c.text is not None]


def refused(path: Path, rel: str, cache: RunCache) -> list[Finding]:
    """The findings that keep kustomize from reading a referenced file (resource limits).

    Every target that reaches a shared base asks about the same files: the answer is
    worked out once per file version per run, then located at `rel`.
    """
    try:
        found = cache.refused.get(path, lambda p: _refused(p, ""))
    except OSError:  # a symlink loop or a vanished file: `unsafe` reports it, unmemoized
        found = _refused(path, "")
    return [replace(f, location=replace(f.location, file=rel)) for f in found]


def _refused(path: Path, rel: str) -> list[Finding]:
    found, data = unsafe(path, rel)
    if data is None:
        return found
    _, text = _decode(rel, data)
    if text is None:
        return []  # kustomize reports bad encoding itself, quickly
    return [f for f in _structure(rel, text) if f.check_id.startswith(UNSAFE)]
