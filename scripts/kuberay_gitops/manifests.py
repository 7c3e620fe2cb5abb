"""Parse rendered YAML into K8sObjects; `Any` stops here, behind typed accessors."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from kuberay_gitops.exitcodes import ToolFailed
from kuberay_gitops.findings import ObjectRef
from kuberay_gitops.tools.runner import one_line

# libyaml's parser when PyYAML was built with it: the same safe loading, many times faster.
SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(SAFE_LOADER):  # type: ignore[misc,valid-type]
    """Safe loading with Kubernetes' reading of scalars: no timestamps.

    The API server decodes YAML through JSON, which has no dates: an unquoted
    `2024-02-01` is the string "2024-02-01" there, and an impossible `2024-02-30` is
    just as valid. PyYAML would build a date from the first and fail on the second.
    """


_Loader.add_constructor(
    "tag:yaml.org,2002:timestamp",
    lambda loader, node: loader.construct_scalar(node),
)


@dataclass(frozen=True, slots=True)
class K8sObject:
    """One rendered object of one target."""

    ref: ObjectRef
    body: Mapping[str, Any]
    target: str
    position: int

    @property
    def labels(self) -> Mapping[str, str]:
        """metadata.labels (empty when absent)."""
        meta = self.body.get("metadata") or {}
        labels = meta.get("labels") or {}
        return labels if isinstance(labels, dict) else {}

    @property
    def annotations(self) -> Mapping[str, str]:
        """metadata.annotations (empty when absent)."""
        meta = self.body.get("metadata") or {}
        ann = meta.get("annotations") or {}
        return ann if isinstance(ann, dict) else {}

    @property
    def spec(self) -> Mapping[str, Any]:
        """`.spec` (empty when absent)."""
        spec = self.body.get("spec")
        return spec if isinstance(spec, dict) else {}


def ref_of(body: Mapping[str, Any]) -> ObjectRef:
    """ObjectRef of a parsed object body.

    An object without a name is known by its `generateName` (`kubectl create` of a plain
    manifest: the API server appends five random characters); kustomize output always
    has names.
    """
    meta = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
    assert isinstance(meta, dict)
    ns = meta.get("namespace")
    return ObjectRef(
        kind=str(body.get("kind", "")),
        name=str(meta.get("name") or meta.get("generateName") or ""),
        namespace=str(ns) if ns else None,
        api_version=str(body.get("apiVersion", "")),
    )


def objects_from_docs(docs: Sequence[Any], target: str) -> list[K8sObject]:
    """K8sObjects of parsed documents, in order."""
    objects = []
    for i, doc in enumerate(docs):
        if not isinstance(doc, dict):
            raise ToolFailed(f"{target}: kustomize output document {i + 1} is not a mapping")
        objects.append(K8sObject(ref_of(doc), doc, target, i))
    return objects


def documents(text: str) -> list[tuple[int, Any]]:
    """(1-based line, value) of each non-empty document of a YAML stream.

    Read as the API server reads YAML (`_Loader`: no timestamps). Raises what PyYAML
    raises on bad input (YAMLError, and the ValueError of a bad `!!int x`).
    """
    loader = _Loader(text)
    out: list[tuple[int, Any]] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            value = loader.construct_document(node)
            if value is not None:
                out.append((node.start_mark.line + 1, value))
    finally:
        loader.dispose()
    return out


def load_stream(text: str, target: str) -> list[K8sObject]:
    """Objects of a rendered stream (kustomize output is always well-formed YAML)."""
    try:
        docs = [d for d in yaml.load_all(text, Loader=_Loader) if d is not None]
    except Exception as exc:  # YAMLError, and the ValueErrors of a bad `!!int x`
        raise ToolFailed(
            f"{target}: kustomize output is not valid YAML: {one_line(str(exc))}"
        ) from exc
    return objects_from_docs(docs, target)
