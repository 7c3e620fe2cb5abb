"""The locator's line for a field path is the line where that key or item is in the file.

The oracle is an emitter written here that records the line of every key and list item
as it writes them (block style, every string double-quoted with escapes, so arbitrary
keys and values stay on one line). kustomize is not needed: `walk` is the pure function
from a parsed document and a field path to a line, and `Locator.locate` only reads the
origin annotation of the annotated render.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from kuberay_gitops.findings import FieldPath, Location
from kuberay_gitops.locate import ORIGIN, Locator, SourceCache, walk
from kuberay_gitops.manifests import ref_of
from tests.property import PROPERTY
from tests.property.strategies import k8s_objects


def _printable(ch: str) -> bool:
    """YAML's printable set, minus the characters a reader might treat as line breaks."""
    o = ord(ch)
    if ch in '"\\\x85\u2028\u2029\ufeff':
        return False
    return 0x20 <= o <= 0x7E or 0xA0 <= o <= 0xD7FF or 0xE000 <= o <= 0xFFFD or o >= 0x10000


def _quote(text: str) -> str:
    out = []
    for ch in text:
        if _printable(ch):
            out.append(ch)
        elif ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) <= 0xFF:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) <= 0xFFFF:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    return '"' + "".join(out) + '"'


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return _quote(value)
    assert value in ({}, []), value
    return "{}" if isinstance(value, dict) else "[]"


class _Emitter:
    """Block-style YAML writer that records the 1-based line of every path it writes."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.where: dict[FieldPath, int] = {}

    def document(self, body: Mapping[str, Any], comments: int) -> dict[FieldPath, int]:
        self.lines.extend(["# comment", ""][i % 2] for i in range(comments))
        self.where = {(): len(self.lines) + 1}
        self._mapping(body, 0, (), None)
        return self.where

    def _mapping(
        self, body: Mapping[str, Any], indent: int, path: FieldPath, first: str | None
    ) -> None:
        for i, (key, value) in enumerate(body.items()):
            prefix = first if i == 0 and first is not None else " " * indent
            self._entry(f"{prefix}{_quote(key)}:", value, indent + 2, (*path, key))

    def _entry(self, head: str, value: Any, indent: int, path: FieldPath) -> None:
        self.where[path] = len(self.lines) + 1
        if isinstance(value, dict) and value:
            self.lines.append(head)
            self._mapping(value, indent, path, None)
        elif isinstance(value, list) and value:
            self.lines.append(head)
            self._sequence(value, indent, path)
        else:
            self.lines.append(f"{head} {_scalar(value)}")

    def _sequence(self, items: Sequence[Any], indent: int, path: FieldPath) -> None:
        dash = " " * indent + "- "
        for j, item in enumerate(items):
            self.where[(*path, j)] = len(self.lines) + 1
            assert not (isinstance(item, list) and item), "lists of lists are not generated"
            if isinstance(item, dict) and item:
                self._mapping(item, indent + 2, (*path, j), dash)
            else:
                self.lines.append(dash + _scalar(item))


def emit_stream(
    bodies: Sequence[Mapping[str, Any]], comments: int = 0
) -> tuple[str, list[dict[FieldPath, int]]]:
    """YAML text of several documents and, per document, {field path: line}."""
    emitter = _Emitter()
    where = []
    for i, body in enumerate(bodies):
        if i:
            emitter.lines.append("---")
        where.append(emitter.document(body, comments))
    return "\n".join(emitter.lines) + "\n", where


def _parse_file(text: str) -> list[Any]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "object.yaml"
        path.write_text(text)
        return SourceCache(Path(tmp)).docs(path)


@PROPERTY
@example(  # duplicate merge key: [1] must not resolve to the first "head" (fixed in locate.py)
    body={"spec": {"ports": [{"name": "head"}, {"name": "head", "port": 80}]}},
    comments=0,
)
@example(body={"spec": {"args": ["--v", "--v"]}}, comments=0)  # equal scalars, same fix
@given(body=k8s_objects(), comments=st.integers(min_value=0, max_value=3))
def test_walk_gives_the_line_of_every_key_and_item_in_the_file(
    body: dict[str, Any], comments: int
) -> None:
    text, (where,) = emit_stream([body], comments)
    (doc,) = _parse_file(text)
    for path, line in where.items():
        assert walk(doc, body, path, by_index=True) == (len(path), line), (path, text)


@PROPERTY
@given(body=k8s_objects())
def test_walk_without_index_fallback_reports_the_line_of_the_last_part_it_resolved(
    body: dict[str, Any],
) -> None:
    text, (where,) = emit_stream([body])
    (doc,) = _parse_file(text)
    for path in where:
        depth, line = walk(doc, body, path, by_index=False)
        assert 0 <= depth <= len(path)
        assert line == where[path[:depth]], (path, text)
        if not any(isinstance(part, int) for part in path):
            assert depth == len(path)  # only list items may stay unresolved without indexes


@PROPERTY
@given(body=k8s_objects())
def test_walk_stops_at_the_first_part_missing_from_the_file(body: dict[str, Any]) -> None:
    text, (where,) = emit_stream([body])
    (doc,) = _parse_file(text)
    for path, line in where.items():
        extended = (*path, "\x00not-in-the-file", "deeper")
        assert walk(doc, body, extended, by_index=True) == (len(path), line), (path, text)


def _unique_refs(body: dict[str, Any]) -> tuple[str, str | None]:
    return body["metadata"]["name"], body["metadata"].get("namespace")


@PROPERTY
@example(  # two Services in one file: the second must not point at the first (fixed)
    bodies=[
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "a"}, "spec": {}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "b"}, "spec": {}},
    ]
)
@given(
    bodies=st.lists(
        k8s_objects(kinds=st.just("Service")), min_size=1, max_size=3, unique_by=_unique_refs
    )
)
def test_locator_points_at_the_field_of_the_right_object_in_the_origin_file(
    bodies: list[dict[str, Any]],
) -> None:
    text, where = emit_stream(bodies, comments=1)
    annotated = [
        {**b, "metadata": {**b["metadata"], "annotations": {ORIGIN: "path: services.yaml\n"}}}
        for b in bodies
    ]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "base").mkdir()
        (root / "base" / "services.yaml").write_text(text)
        locator = Locator(SourceCache(root), "overlays/dev", annotated, root / "base")
        for body, lines in zip(bodies, where, strict=True):
            for path, line in lines.items():
                location = locator.locate(ref_of(body), path, body)
                assert location == Location("base/services.yaml", line), (path, text)
