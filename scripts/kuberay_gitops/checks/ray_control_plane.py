"""Non-GPU Ray pods cannot be scheduled on control-plane nodes.

Why: Ray workers are memory- and CPU-hungry; on a control-plane node they starve the API
server and etcd, so a busy Ray job can take the whole cluster down. GPU pods are exempt
(they are pinned to GPU nodes, see ray-gpu-consistency).

Variants: `[toleration]` a toleration for `node-role.kubernetes.io/control-plane` (or the
legacy `.../master`, or a wildcard `operator: Exists` without key); `[anti-affinity]`
(option `require_anti_affinity`) not every required nodeAffinity term says
`node-role.kubernetes.io/control-plane` DoesNotExist.
PASS / FAIL examples: tests/unit/checks/test_ray_control_plane.py
"""

from __future__ import annotations

from collections.abc import Iterator

from kuberay_gitops.checks._api import CheckContext, CheckSpec, Issue
from kuberay_gitops.checks._ray import (
    REQUIRED_TERMS,
    existing,
    is_gpu_pod,
    required_node_terms,
    term_expressions,
    tolerates_key,
    tolerations,
)
from kuberay_gitops.findings import Severity
from kuberay_gitops.index import PodView

CONTROL_PLANE = "node-role.kubernetes.io/control-plane"
_TAINT_KEYS = (CONTROL_PLANE, "node-role.kubernetes.io/master")

CHECK = CheckSpec(
    id="ray-control-plane",
    severity=Severity.ERROR,
    summary="non-GPU Ray pods neither tolerate nor may land on control-plane nodes",
    hint=f"drop the control-plane toleration and add a required nodeAffinity term with "
    f"{CONTROL_PLANE} DoesNotExist",
    options={"require_anti_affinity": True},
)


def run(ctx: CheckContext) -> Iterator[Issue]:
    """Tolerations and required node affinity of every non-GPU Ray pod."""
    for pod in ctx.index.ray_pods():
        if is_gpu_pod(pod):
            continue
        yield from _tolerations(pod)
        if ctx.options["require_anti_affinity"] and not _avoids_control_plane(pod):
            yield Issue(
                pod.owner,
                existing(pod.owner, (*pod.spec_path, *REQUIRED_TERMS)),
                f"{pod.ray_role} group {pod.group}: no required nodeAffinity keeps the pod off "
                f"control-plane nodes ({CONTROL_PLANE} DoesNotExist in every term)",
                variant="anti-affinity",
            )


def _tolerations(pod: PodView) -> Iterator[Issue]:
    for path, t in tolerations(pod):
        if any(tolerates_key(t, key) for key in _TAINT_KEYS):
            yield Issue(
                pod.owner,
                (*path, "key") if "key" in t else path,
                f"{pod.ray_role} group {pod.group}: tolerates control-plane taints "
                f'(key "{t.get("key", "")}", operator {t.get("operator", "Equal")})',
                variant="toleration",
            )


def _avoids_control_plane(pod: PodView) -> bool:
    terms = required_node_terms(pod)
    return bool(terms) and all(
        any(
            e.get("key") == CONTROL_PLANE and e.get("operator") == "DoesNotExist"
            for e in term_expressions(t)
        )
        for t in terms
    )
