"""Ray pods respect the placement of a platform whose control-plane node is also its GPU node.

Why: Ray workers are memory- and CPU-hungry; on a control-plane node they starve the API
server and etcd, so a busy Ray job can take the whole cluster down. The platform's GPU node
is reserved for the control plane and GPU workloads: a CPU pod there takes room a GPU
worker needs, and a GPU worker sized for the whole node leaves the control plane none.

Rules, one variant each:
`[toleration]` a non-GPU Ray pod tolerates control-plane taints
(`node-role.kubernetes.io/control-plane`, the legacy `.../master`) or the GPU taint
(`nvidia.com/gpu`), or everything (`operator: Exists` without key);
`[anti-affinity]` (option `require_anti_affinity`) not every required nodeAffinity term of
a non-GPU Ray pod says `node-role.kubernetes.io/control-plane` DoesNotExist;
`[gpu-node]` (option `gpu_node_label`) not every such term keeps it off GPU nodes (the
label, e.g. `nvidia.com/gpu.present`, DoesNotExist or NotIn ["true"]);
`[gpu-requests]` (options `gpu_node_allocatable`, `control_plane_reserve`) a GPU Ray pod
that tolerates the control-plane taint asks for (or may use, by its limits) more CPU or
memory than its share of what the node leaves after the control plane's reserve:
(allocatable - reserve) x its GPUs / the node's GPUs;
`[head-priority]` (option `head_priority_class`) a Ray head has no priorityClassName, or
not the one named.
PASS / FAIL examples: tests/unit/checks/test_ray_control_plane.py
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any

from kuberay_gitops.checks._api import CheckContext, CheckSpec, Issue
from kuberay_gitops.checks._ray import (
    REQUIRED_TERMS,
    existing,
    gpu_count,
    is_gpu_pod,
    required_node_terms,
    term_expressions,
    tolerates_key,
    tolerations,
)
from kuberay_gitops.findings import Profile, Severity
from kuberay_gitops.index import PodView

CONTROL_PLANE = "node-role.kubernetes.io/control-plane"
_TAINT_KEYS = (CONTROL_PLANE, "node-role.kubernetes.io/master")
GPU_TAINT = "nvidia.com/gpu"

CHECK = CheckSpec(
    id="ray-control-plane",
    severity=Severity.ERROR,
    summary="CPU Ray pods stay off control-plane and GPU nodes; GPU pods leave the control "
    "plane room; Ray heads have their priority",
    hint=f"CPU pods: drop control-plane and GPU tolerations and require {CONTROL_PLANE} and the "
    "GPU node label DoesNotExist in every nodeAffinity term; GPU pods: fit requests and limits "
    "into the node's allocatable minus the control plane's reserve; heads: set "
    "priorityClassName",
    profile=Profile.PLATFORM,
    options={
        "require_anti_affinity": True,
        "gpu_node_label": "nvidia.com/gpu.present",
        "gpu_node_allocatable": {},
        "control_plane_reserve": {},
        "head_priority_class": "",
    },
)


def run(ctx: CheckContext) -> Iterator[Issue]:
    """Tolerations, required node affinity, sizes and priority of every Ray pod."""
    gpu_label = str(ctx.options["gpu_node_label"])
    for pod in ctx.index.ray_pods():
        if pod.ray_role == "head":
            yield from _head_priority(pod, str(ctx.options["head_priority_class"]))
        if is_gpu_pod(pod):
            yield from _gpu_requests(
                pod, ctx.options["gpu_node_allocatable"], ctx.options["control_plane_reserve"]
            )
            continue
        yield from _tolerations(pod)
        if ctx.options["require_anti_affinity"] and not _every_term(pod, _off_control_plane):
            yield _affinity_issue(
                pod,
                f"no required nodeAffinity keeps the pod off control-plane nodes "
                f"({CONTROL_PLANE} DoesNotExist in every term)",
                "anti-affinity",
            )
        if gpu_label and not _every_term(pod, lambda e: _off_gpu_nodes(e, gpu_label)):
            yield _affinity_issue(
                pod,
                f"no required nodeAffinity keeps the CPU pod off GPU nodes ({gpu_label} "
                "DoesNotExist in every term); GPU nodes are for GPU workers",
                "gpu-node",
            )


def _affinity_issue(pod: PodView, what: str, variant: str) -> Issue:
    return Issue(
        pod.owner,
        existing(pod.owner, (*pod.spec_path, *REQUIRED_TERMS)),
        f"{pod.ray_role} group {pod.group}: {what}",
        variant=variant,
    )


def _tolerations(pod: PodView) -> Iterator[Issue]:
    for path, t in tolerations(pod):
        if any(tolerates_key(t, key) for key in (*_TAINT_KEYS, GPU_TAINT)):
            what = (
                "control-plane and GPU"
                if not t.get("key")
                else ("GPU" if t.get("key") == GPU_TAINT else "control-plane")
            )
            yield Issue(
                pod.owner,
                (*path, "key") if "key" in t else path,
                f"{pod.ray_role} group {pod.group}: a CPU pod tolerates {what} taints "
                f'(key "{t.get("key", "")}", operator {t.get("operator", "Equal")})',
                variant="toleration",
            )


def _every_term(pod: PodView, ok: Any) -> bool:
    terms = required_node_terms(pod)
    return bool(terms) and all(any(ok(e) for e in term_expressions(t)) for t in terms)


def _off_control_plane(e: Mapping[str, Any]) -> bool:
    return e.get("key") == CONTROL_PLANE and e.get("operator") == "DoesNotExist"


def _off_gpu_nodes(e: Mapping[str, Any], label: str) -> bool:
    if e.get("key") != label:
        return False
    values = e.get("values")
    return e.get("operator") == "DoesNotExist" or (
        e.get("operator") == "NotIn" and isinstance(values, list) and "true" in values
    )


def _head_priority(pod: PodView, wanted: str) -> Iterator[Issue]:
    have = pod.spec.get("priorityClassName")
    if have and (not wanted or have == wanted):
        return
    yield Issue(
        pod.owner,
        existing(pod.owner, (*pod.spec_path, "priorityClassName")),
        f"head of {pod.owner.ref.kind} {pod.owner.ref.name}: priorityClassName is "
        f"{have or 'not set'}, expected {wanted or 'a Ray head PriorityClass'}: the head holds "
        "GCS and the driver and must not lose its node to Ray workers",
        variant="head-priority",
    )


# ----------------------------------------------------------------------------- sizes

_SUFFIX: Mapping[str, Decimal] = MappingProxyType(
    {
        "": Decimal(1),
        "m": Decimal("0.001"),
        "k": Decimal(10**3),
        "M": Decimal(10**6),
        "G": Decimal(10**9),
        "T": Decimal(10**12),
        "Ki": Decimal(2**10),
        "Mi": Decimal(2**20),
        "Gi": Decimal(2**30),
        "Ti": Decimal(2**40),
    }
)
_QUANTITY = re.compile(r"^([0-9.]+)(m|k|M|G|T|Ki|Mi|Gi|Ti|)$")


def quantity(value: Any) -> Decimal | None:
    """A Kubernetes resource quantity as a number (cores, bytes); None when unreadable."""
    m = _QUANTITY.match(str(value).strip())
    if m is None:
        return None
    try:
        return Decimal(m.group(1)) * _SUFFIX[m.group(2)]
    except InvalidOperation:
        return None


def _tolerates_control_plane(pod: PodView) -> bool:
    return any(tolerates_key(t, k) for _, t in tolerations(pod) for k in _TAINT_KEYS)


def _gpu_requests(
    pod: PodView, allocatable: Mapping[str, Any], reserve: Mapping[str, Any]
) -> Iterator[Issue]:
    if not allocatable or not _tolerates_control_plane(pod):
        return
    node_gpus = quantity(allocatable.get(GPU_TAINT)) or Decimal(1)
    pod_gpus = Decimal(sum(gpu_count(c) or 0 for _, c in pod.containers())) or Decimal(1)
    share = min(pod_gpus / node_gpus, Decimal(1))
    containers = list(pod.containers())
    for resource in ("cpu", "memory"):
        alloc = quantity(allocatable.get(resource))
        if alloc is None or not containers:
            continue
        budget = (alloc - (quantity(reserve.get(resource)) or Decimal(0))) * share
        for section in ("requests", "limits"):
            total = Decimal(0)
            for _, c in containers:
                values = _section(c, section)
                total += quantity(values.get(resource)) or Decimal(0)
            if total <= budget:
                continue
            cpath, _ = containers[0]
            yield Issue(
                pod.owner,
                existing(pod.owner, (*cpath, "resources", section, resource)),
                f"{pod.ray_role} group {pod.group}: {section}.{resource} "
                f"{_fmt(total, resource)} of a GPU pod that may run on the control-plane node "
                f"exceeds its share of that node, {_fmt(budget, resource)} = (allocatable "
                f"{allocatable.get(resource)} - control-plane reserve {reserve.get(resource, 0)})"
                f" x {pod_gpus}/{node_gpus} GPUs",
                variant="gpu-requests",
            )


def _section(container: Mapping[str, Any], section: str) -> Mapping[str, Any]:
    res = container.get("resources")
    values = res.get(section) if isinstance(res, Mapping) else None
    return values if isinstance(values, Mapping) else {}


def _fmt(value: Decimal, resource: str) -> str:
    if resource == "memory":
        return f"{(value / _SUFFIX['Gi']).quantize(Decimal('0.01'))}Gi"
    return f"{value.quantize(Decimal('0.001')).normalize():f} CPU"
