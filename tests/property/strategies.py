"""Shared hypothesis strategies: awkward text, YAML values, Kubernetes-like objects, findings."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from kuberay_gitops.findings import (
    FieldPath,
    Finding,
    Location,
    ObjectRef,
    Report,
    Severity,
    TargetSummary,
)

# Pieces that break naive YAML emitters, workflow-command escaping, JSON pointers and
# line-oriented output: separators, escapes, YAML indicators, control characters, line
# breaks that str.splitlines() (but not "\n"-splitting) honours, and non-ASCII text.
TRICKY = (
    "",
    " ",
    ":",
    ": ",
    "::",
    ",",
    "#",
    " #",
    "'",
    '"',
    "\\",
    "- ",
    "? ",
    "{",
    "}",
    "[",
    "]",
    "&a",
    "*a",
    "!!str",
    "|",
    ">",
    "---",
    "...",
    "=",
    "<<",
    "%",
    "%25",
    "%0A",
    "%3A",
    "~",
    "~0",
    "~1",
    "/",
    "0",
    "01",
    "null",
    "true",
    "yes",
    "0x1F",
    "1e3",
    "2001-02-03",
    "\n",
    "\r",
    "\r\n",
    "\t",
    "\x00",
    "\x0b",
    "\x0c",
    "\x1b[2J",
    "\x7f",
    "\x85",
    "\u2028",
    "\u2029",
    "\ufeff",
    "é",
    "日本語",
    "😀",
    "²",
    "\u0661",  # ARABIC-INDIC DIGIT ONE: str.isdigit() and int() both accept it
)

tricky_text: st.SearchStrategy[str] = st.one_of(
    st.text(max_size=20),
    st.sampled_from(TRICKY),
    st.lists(st.one_of(st.sampled_from(TRICKY), st.text(max_size=4)), max_size=6).map("".join),
)
"""Arbitrary text, biased towards the characters that matter to parsers and escapers."""

multiline_text: st.SearchStrategy[str] = st.lists(tricky_text, min_size=2, max_size=4).map(
    "\n".join
)

yaml_scalars: st.SearchStrategy[Any] = st.one_of(
    st.none(), st.booleans(), st.integers(), tricky_text, multiline_text
)


def _containers(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.lists(inner, max_size=3) | st.dictionaries(tricky_text, inner, max_size=3)


json_like: st.SearchStrategy[Any] = st.recursive(yaml_scalars, _containers, max_leaves=12)
"""JSON-like values: dict (str keys) / list / str / int / bool / None."""

yaml_documents: st.SearchStrategy[dict[str, Any]] = st.dictionaries(
    tricky_text, json_like, max_size=5
)
"""A document is a mapping at the top, as every Kubernetes object is."""

# --- Kubernetes-like objects -------------------------------------------------------------

k8s_names = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True)
# Few distinct values, so that lists hold items that share a merge key or are equal.
_few_names = st.sampled_from(["head", "worker", "metrics"])
_few_ports = st.sampled_from([80, 8265, 6379])
_few_scalars = st.sampled_from(["--v", "a", 1, True, None])


def _item_map(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """A list item as Kubernetes has them: maybe a merge key (name, port, …) plus fields."""
    merge = st.fixed_dictionaries(
        {}, optional={"name": _few_names, "port": _few_ports, "containerPort": _few_ports}
    )
    rest = st.dictionaries(tricky_text, inner, max_size=2)
    return st.builds(lambda m, r: {**m, **r}, merge, rest)


def _k8s_containers(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    items = st.one_of(_few_scalars, yaml_scalars, _item_map(inner))
    return st.lists(items, max_size=3) | st.dictionaries(tricky_text, inner, max_size=3)


k8s_values: st.SearchStrategy[Any] = st.recursive(yaml_scalars, _k8s_containers, max_leaves=15)
"""Spec values: lists hold scalars or mappings (never lists), like Kubernetes fields."""


_KINDS = st.sampled_from(["Service", "RayCluster", "ConfigMap"])


def k8s_objects(kinds: st.SearchStrategy[str] = _KINDS) -> st.SearchStrategy[dict[str, Any]]:
    """apiVersion, kind, metadata (name, maybe namespace and labels) and an arbitrary spec."""
    metadata = st.fixed_dictionaries(
        {"name": k8s_names},
        optional={
            "namespace": k8s_names,
            "labels": st.dictionaries(tricky_text, tricky_text, max_size=3),
        },
    )
    return st.fixed_dictionaries(
        {
            "apiVersion": st.sampled_from(["v1", "ray.io/v1"]),
            "kind": kinds,
            "metadata": metadata,
            "spec": st.dictionaries(tricky_text, k8s_values, max_size=4),
        }
    )


# --- findings and reports -----------------------------------------------------------------

field_paths: st.SearchStrategy[FieldPath] = st.lists(
    st.one_of(st.integers(min_value=0, max_value=10**6), tricky_text), max_size=5
).map(tuple)

locations: st.SearchStrategy[Location] = st.builds(
    Location,
    file=tricky_text,
    line=st.none() | st.integers(min_value=1, max_value=10**6),
    column=st.none() | st.integers(min_value=1, max_value=10**4),
)

object_refs: st.SearchStrategy[ObjectRef] = st.builds(
    ObjectRef,
    kind=tricky_text,
    name=tricky_text,
    namespace=st.none() | tricky_text,
    api_version=tricky_text,
)

sources = st.one_of(
    st.sampled_from(["kuberay-gitops", "kubeconform", "yamllint", "checkov"]), tricky_text
)

findings: st.SearchStrategy[Finding] = st.builds(
    Finding,
    location=locations,
    check_id=tricky_text,
    severity=st.sampled_from(Severity),
    message=tricky_text,
    obj=st.none() | object_refs,
    field=field_paths,
    hint=tricky_text,
    source=sources,
    target=tricky_text,
)

target_summaries: st.SearchStrategy[TargetSummary] = st.builds(
    TargetSummary,
    path=tricky_text,
    objects=st.integers(min_value=0, max_value=10**5),
    rendered=st.booleans(),
)

_LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"

one_line_text: st.SearchStrategy[str] = tricky_text.map(
    lambda s: "".join(" " if ch in _LINE_BREAKS else ch for ch in s)
)
"""Text without any line break (notes are sentences the tool writes, one per line)."""


def reports(notes: st.SearchStrategy[str] = tricky_text) -> st.SearchStrategy[Report]:
    """Reports of up to 6 findings over up to 3 targets."""
    return st.builds(
        Report,
        findings=st.lists(findings, max_size=6),
        targets=st.lists(target_summaries, max_size=3),
        notes=st.lists(notes, max_size=2).map(tuple),
    )
