from __future__ import annotations

import copy
import dataclasses
import itertools
import pickle
import re
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from kuberay_gitops.findings import (
    FieldPath,
    Finding,
    Location,
    ObjectRef,
    Severity,
    format_field,
    parse_json_pointer,
    sorted_findings,
)
from tests.property import PROPERTY
from tests.property.strategies import field_paths, findings, tricky_text

INDEX = re.compile(r"0|[1-9][0-9]*")  # RFC 6901 array index


def to_pointer(path: FieldPath) -> str:
    """RFC 6901: `~` → `~0`, `/` → `~1`, each segment after a `/`."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


# A pointer carries no types: a segment that reads as an array index is one, and an empty
# segment is dropped (kubeconform never emits one). Every other path round-trips.
pointer_keys = tricky_text.filter(lambda s: s != "" and not INDEX.fullmatch(s))
pointer_paths = st.lists(
    st.one_of(st.integers(min_value=0, max_value=10**9), pointer_keys), max_size=6
).map(tuple)


@PROPERTY
@example(path=("²",))  # str.isdigit() but not int(): used to raise ValueError (fixed)
@example(path=("01",))  # not an array index in RFC 6901: used to become 1 (fixed)
@example(path=("a/b", "~1", "~0/", "~"))
@given(path=pointer_paths)
def test_json_pointer_round_trips_through_parse_json_pointer(path: FieldPath) -> None:
    assert parse_json_pointer(to_pointer(path)) == path


@PROPERTY
@given(path=pointer_paths)
def test_json_pointer_without_leading_slash_parses_the_same(path: FieldPath) -> None:
    assert parse_json_pointer(to_pointer(path)[1:]) == (path if path else ())


@PROPERTY
@given(index=st.integers(min_value=0, max_value=10**9), key=pointer_keys)
def test_json_pointer_index_segments_become_ints_and_empty_segments_vanish(
    index: int, key: str
) -> None:
    pointer = f"/{to_pointer((key,))[1:]}//{index}/"
    assert parse_json_pointer(pointer) == (key, index)


@PROPERTY
@example(pointer="/²")
@example(pointer="/spec/\u0661")
@given(pointer=st.one_of(st.text(), st.lists(tricky_text, max_size=5).map("/".join)))
def test_parse_json_pointer_accepts_any_text(pointer: str) -> None:
    path = parse_json_pointer(pointer)
    assert all(isinstance(p, int) or p != "" for p in path)
    assert all(isinstance(p, str) or p >= 0 for p in path)


_PLAIN_KEY = r"[A-Za-z_][A-Za-z0-9_-]*"
plain_paths = st.lists(
    st.one_of(st.integers(min_value=0, max_value=10**6), st.from_regex(_PLAIN_KEY, fullmatch=True)),
    max_size=6,
).map(tuple)


def _parse_field(text: str) -> FieldPath:
    """Inverse of format_field for plain keys (`.spec.ports[1].name`)."""
    parts: list[str | int] = []
    for key, index in re.findall(rf"\.({_PLAIN_KEY})|\[([0-9]+)\]", text):
        parts.append(key if key else int(index))
    assert "".join(f".{p}" if isinstance(p, str) else f"[{p}]" for p in parts) == text
    return tuple(parts)


@PROPERTY
@given(path=plain_paths)
def test_format_field_of_plain_keys_reads_back(path: FieldPath) -> None:
    assert _parse_field(format_field(path)) == path


@PROPERTY
@given(a=field_paths, b=field_paths)
def test_format_field_renders_segment_by_segment(a: FieldPath, b: FieldPath) -> None:
    assert format_field(a + b) == format_field(a) + format_field(b)
    assert format_field(a) == "".join(format_field((p,)) for p in a)


@PROPERTY
@given(path=pointer_paths)
def test_format_field_of_a_parsed_pointer_is_the_format_of_the_path(path: FieldPath) -> None:
    assert format_field(parse_json_pointer(to_pointer(path))) == format_field(path)


# --- Finding: a value ------------------------------------------------------------------


@PROPERTY
@given(f=findings)
def test_finding_equality_and_hash_survive_copy_pickle_and_replace(f: Finding) -> None:
    for twin in (copy.deepcopy(f), pickle.loads(pickle.dumps(f)), dataclasses.replace(f)):
        assert twin == f
        assert hash(twin) == hash(f)
        assert twin.sort_key() == f.sort_key()


_CHANGES: dict[str, Any] = {
    "location": st.builds(Location, file=tricky_text),
    "check_id": tricky_text,
    "severity": st.sampled_from(Severity),
    "message": tricky_text,
    "obj": st.none() | st.builds(ObjectRef, kind=tricky_text, name=tricky_text),
    "field": field_paths,
    "hint": tricky_text,
    "source": tricky_text,
    "target": tricky_text,
}


def _variant(f: Finding, data: st.DataObject) -> Finding:
    name = data.draw(st.sampled_from(sorted(_CHANGES)), label="changed field")
    return dataclasses.replace(f, **{name: data.draw(_CHANGES[name], label=name)})


@PROPERTY
@example(  # the same finding in two targets: used to tie, so order followed hashes (fixed)
    f=Finding(Location("base/svc.yaml", 3), "ports-service-target", Severity.ERROR, "m"),
    data=None,
)
@given(f=findings, data=st.data())
def test_distinct_findings_never_tie_in_the_sort_order(
    f: Finding, data: st.DataObject | None
) -> None:
    g = dataclasses.replace(f, target="overlays/prod") if data is None else _variant(f, data)
    if g != f:
        assert g.sort_key() != f.sort_key()
    else:
        assert g.sort_key() == f.sort_key()


@PROPERTY
@given(fs=st.lists(findings, max_size=8), data=st.data())
def test_sorted_findings_is_deterministic_deduplicated_and_ordered(
    fs: list[Finding], data: st.DataObject
) -> None:
    shuffled = data.draw(st.permutations(fs + fs), label="permutation")
    result = sorted_findings(fs)
    assert sorted_findings(shuffled) == result
    assert set(result) == set(fs)
    assert len(result) == len(set(fs))
    keys = [f.sort_key() for f in result]
    assert keys == sorted(keys)
    assert all(a < b for a, b in itertools.pairwise(keys))  # strictly: no ties


@PROPERTY
@given(fs=st.lists(findings, min_size=1, max_size=6))
def test_sort_key_orders_by_file_then_line_then_column(fs: list[Finding]) -> None:
    ordered = [
        (f.location.file, f.location.line or 0, f.location.column or 0) for f in sorted_findings(fs)
    ]
    assert ordered == sorted(ordered)
