"""GPU Ray groups agree with themselves and land on GPU nodes.

Why: Ray schedules GPU tasks by `num-gpus`, Kubernetes by the `nvidia.com/gpu` limit; when
they differ Ray either advertises GPUs the pod does not have (tasks fail with CUDA errors)
or leaves GPUs idle, and a GPU pod that does not tolerate the `nvidia.com/gpu` taint or
select GPU nodes stays Pending or lands where no GPU exists.

Variants: `[mismatch]` num-gpus differs from the Ray container's `nvidia.com/gpu` limit
(limits, else requests); `[no-num-gpus]` a GPU limit without num-gpus (KubeRay derives
num-gpus from it, so this variant is a warning);
`[toleration]` no toleration for `nvidia.com/gpu`; `[node-selector]` neither nodeSelector
nor every required nodeAffinity term uses a label from option `gpu_node_labels`.
Profiles: `[mismatch]` is correctness; `[no-num-gpus]` (KubeRay v1.7.0 derives num-gpus
from the limit, `addWellKnownAcceleratorResources` in common/pod.go: stating it is
explicitness), `[toleration]` and `[node-selector]` (which taint and node labels GPU nodes
carry is the cluster's choice) are platform policy.
PASS / FAIL examples: tests/unit/checks/test_ray_gpu_consistency.py
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from kuberay_gitops.checks._api import CheckContext, CheckSpec, Issue, as_int
from kuberay_gitops.checks._ray import (
    GPU_RESOURCE,
    REQUIRED_TERMS,
    existing,
    gpu_count,
    is_gpu_pod,
    ray_container,
    required_node_terms,
    term_expressions,
    tolerates_key,
    tolerations,
)
from kuberay_gitops.findings import FieldPath, Profile, Severity
from kuberay_gitops.index import PodView

CHECK = CheckSpec(
    id="ray-gpu-consistency",
    severity=Severity.ERROR,
    summary="num-gpus equals the nvidia.com/gpu limit; GPU groups tolerate the GPU taint "
    "and select GPU nodes",
    hint="set rayStartParams num-gpus (a string) to the nvidia.com/gpu limit, tolerate "
    '"nvidia.com/gpu" and select GPU nodes by a GPU node label',
    profile=Profile.CORRECTNESS,
    options={"gpu_node_labels": ["nvidia.com/gpu.present"]},
)


def run(ctx: CheckContext) -> Iterator[Issue]:
    """num-gpus against the GPU limit, then placement, for every GPU Ray pod."""
    labels = [str(label) for label in ctx.options["gpu_node_labels"]]
    for pod in ctx.index.ray_pods():
        yield from _num_gpus(pod)
        if is_gpu_pod(pod):
            yield from _placement(pod, labels)


def _gpu_path(path: FieldPath, container: Mapping[str, Any]) -> FieldPath:
    resources = container.get("resources") or {}
    section = "limits" if GPU_RESOURCE in (resources.get("limits") or {}) else "requests"
    return (*path, "resources", section, GPU_RESOURCE)


def _num_gpus(pod: PodView) -> Iterator[Issue]:
    found = ray_container(pod)
    if found is None or pod.ray_params_path is None:
        return
    where = f"{pod.ray_role} group {pod.group}"
    limit = gpu_count(found[1])
    if "num-gpus" in pod.ray_params:
        num = as_int(pod.ray_params["num-gpus"])
        if num is not None and num != (limit or 0):
            yield Issue(
                pod.owner,
                (*pod.ray_params_path, "num-gpus"),
                f"{where}: num-gpus {num} but the Ray container's {GPU_RESOURCE} limit is "
                f"{limit if limit is not None else 'not set'}",
                variant="mismatch",
            )
    elif limit:
        yield Issue(
            pod.owner,
            _gpu_path(*found),
            f"{where}: {GPU_RESOURCE} limit {limit} without rayStartParams num-gpus "
            "(KubeRay derives it from the limit; state it explicitly)",
            variant="no-num-gpus",
            profile=Profile.PLATFORM,
            severity=Severity.WARNING,
        )


def _placement(pod: PodView, labels: Sequence[str]) -> Iterator[Issue]:
    where = f"{pod.ray_role} group {pod.group}"
    if not any(tolerates_key(t, GPU_RESOURCE) for _, t in tolerations(pod)):
        yield Issue(
            pod.owner,
            existing(pod.owner, (*pod.spec_path, "tolerations")),
            f'{where}: GPU pod does not tolerate the "{GPU_RESOURCE}" taint',
            variant="toleration",
            profile=Profile.PLATFORM,
        )
    if not _selects_gpu_nodes(pod, labels):
        field = (*pod.spec_path, "nodeSelector")
        if not isinstance(pod.spec.get("nodeSelector"), Mapping) and required_node_terms(pod):
            field = (*pod.spec_path, *REQUIRED_TERMS)
        yield Issue(
            pod.owner,
            existing(pod.owner, field),
            f"{where}: GPU pod selects no GPU nodes (nodeSelector or required nodeAffinity "
            f"on {', '.join(labels)})",
            variant="node-selector",
            profile=Profile.PLATFORM,
        )


def _selects_gpu_nodes(pod: PodView, labels: Sequence[str]) -> bool:
    selector = pod.spec.get("nodeSelector")
    if isinstance(selector, Mapping) and any(k in labels for k in selector):
        return True
    terms = required_node_terms(pod)
    return bool(terms) and all(
        any(
            e.get("key") in labels and e.get("operator") in ("In", "Exists")
            for e in term_expressions(t)
        )
        for t in terms
    )
