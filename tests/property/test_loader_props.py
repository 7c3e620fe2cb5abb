from __future__ import annotations

from typing import Any

import pytest
import yaml
from hypothesis import example, given
from hypothesis import strategies as st

from kuberay_gitops.exitcodes import ToolFailed
from kuberay_gitops.manifests import K8sObject, load_stream, objects_from_docs
from tests.property import PROPERTY
from tests.property.strategies import k8s_objects, tricky_text, yaml_documents

documents = st.one_of(yaml_documents, k8s_objects())

# Fragments of YAML syntax: random text almost never reaches the constructors (tags,
# anchors, timestamps, merge keys), concatenated fragments do.
FRAGMENTS = (
    "\n",
    "  ",
    "- ",
    ": ",
    "? ",
    "a",
    "kind: ",
    "{",
    "}",
    "[",
    "]",
    ", ",
    "&a ",
    "*a",
    "!!int ",
    "!!float ",
    "!!bool ",
    "!!timestamp ",
    "!!binary ",
    "!!str ",
    "!!map ",
    "!!seq ",
    "!!set ",
    "!!omap ",
    "!x ",
    "<<: ",
    "---\n",
    "...\n",
    "'",
    '"',
    "|\n",
    ">-\n",
    "# c",
    "%YAML 1.1\n",
    "%TAG ! tag:x,2000:\n",
    "2001-02-03",
    "2001-13-45",
    "12:30:00",
    "0x1F",
    "0o17",
    "1e3",
    ".inf",
    "~",
    "\t",
    "\ufeff",
    "\x00",
    "\u2028",
)
TAGS = ("", "", "!!int ", "!!float ", "!!bool ", "!!timestamp ", "!!binary ", "!!null ", "!x ")
SCALARS = ("x", "0x", "1_", "0:1", "", "2001-02-03", "2001-13-45", "2001-02-30T25:00:00", "~")
# `key: !!tag value` lines: the shape that reaches every scalar constructor.
mapping_lines = st.lists(
    st.builds(
        "{}: {}{}".format,
        st.sampled_from(["a", "kind", "data"]) | tricky_text,
        st.sampled_from(TAGS),
        st.sampled_from(SCALARS) | tricky_text,
    ),
    min_size=1,
    max_size=4,
).map("\n".join)
yamlish_text = st.one_of(
    st.lists(st.sampled_from(FRAGMENTS) | tricky_text, max_size=16).map("".join),
    mapping_lines,
)


def _mentions(value: Any, text: str) -> bool:
    if isinstance(value, str):
        return text in value
    if isinstance(value, dict):
        return any(_mentions(k, text) or _mentions(v, text) for k, v in value.items())
    if isinstance(value, list):
        return any(_mentions(v, text) for v in value)
    return False


@PROPERTY
@example(docs=[{"\x85": None}], allow_unicode=True, flow=False, explicit_start=False)
@given(
    docs=st.lists(documents, max_size=4),
    allow_unicode=st.booleans(),
    flow=st.sampled_from([False, None, True]),
    explicit_start=st.booleans(),
)
def test_safe_dump_all_streams_round_trip_through_load_stream(
    docs: list[dict[str, Any]], allow_unicode: bool, flow: bool | None, explicit_start: bool
) -> None:
    # PyYAML's emitter (not the loader) writes NEL (U+0085) raw inside a single-quoted
    # scalar when allow_unicode is on, where YAML folds that line break into a space;
    # both PyYAML loaders then read " ". The escaped form ("\N") is exact, so use it.
    unicode_ok = allow_unicode and not _mentions(docs, "\x85")
    text = yaml.safe_dump_all(
        docs,
        allow_unicode=unicode_ok,
        default_flow_style=flow,
        sort_keys=False,
        explicit_start=explicit_start,
    )
    objects = load_stream(text, "overlays/dev")
    assert [o.body for o in objects] == docs
    assert [list(o.body) for o in objects] == [list(d) for d in docs]  # key order kept
    assert [(o.target, o.position) for o in objects] == [
        ("overlays/dev", i) for i in range(len(docs))
    ]


@PROPERTY
@given(doc=k8s_objects())
def test_loaded_object_ref_names_kind_namespace_name_and_api_version(doc: dict[str, Any]) -> None:
    (obj,) = load_stream(yaml.safe_dump(doc), "t")
    meta = doc["metadata"]
    assert (obj.ref.kind, obj.ref.name, obj.ref.namespace, obj.ref.api_version) == (
        doc["kind"],
        meta["name"],
        meta.get("namespace"),
        doc["apiVersion"],
    )


@PROPERTY
@given(docs=st.lists(st.one_of(yaml_documents, tricky_text, st.integers(), st.lists(st.none()))))
def test_objects_from_docs_accepts_mappings_and_names_the_first_other_document(
    docs: list[Any],
) -> None:
    bad = [i for i, d in enumerate(docs) if not isinstance(d, dict)]
    if bad:
        with pytest.raises(ToolFailed) as info:
            objects_from_docs(docs, "overlays/dev")
        assert str(info.value) == (
            f"overlays/dev: kustomize output document {bad[0] + 1} is not a mapping"
        )
    else:
        assert [o.body for o in objects_from_docs(docs, "overlays/dev")] == docs


def _load_or_error(text: str) -> list[K8sObject] | ToolFailed:
    try:
        return load_stream(text, "overlays/dev")
    except ToolFailed as exc:
        return exc


# Found by this property: PyYAML's constructors raise plain ValueError, KeyError, … for
# `2024-02-30` (kustomize passes it through unquoted) and bad explicit tags (`!!int x`).
@PROPERTY
@example(text="data:\n  released: 2024-02-30\n")
@example(text="a: !!int 0x\n")
@given(text=st.one_of(st.text(), yamlish_text))
def test_load_stream_raises_nothing_but_tool_failed(text: str) -> None:
    result = _load_or_error(text)
    if isinstance(result, ToolFailed):
        assert str(result).startswith("overlays/dev: kustomize output ")
    else:
        assert all(isinstance(o.body, dict) for o in result)


# Found by this property: str(YAMLError) spans several lines, and a ToolError is one line.
@PROPERTY
@example(text="a: [")
@given(text=st.one_of(st.text(), yamlish_text))
def test_load_stream_error_is_one_non_empty_line(text: str) -> None:
    result = _load_or_error(text)
    if isinstance(result, ToolFailed):
        message = str(result)
        assert message.strip()
        assert message.splitlines() == [message]


def test_dates_stay_strings_as_kubernetes_reads_them() -> None:
    [obj] = load_stream("kind: ConfigMap\ndata:\n  a: 2024-02-01\n  b: 2024-02-30\n", "t")
    assert obj.body["data"] == {"a": "2024-02-01", "b": "2024-02-30"}
