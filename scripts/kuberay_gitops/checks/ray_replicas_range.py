"""Worker group replicas must lie within minReplicas and maxReplicas.

Why: KubeRay clamps or rejects an out-of-range `replicas`, so the cluster silently runs
a size nobody asked for, and the autoscaler fights the declared value.
PASS / FAIL examples: tests/unit/checks/test_ray_replicas_range.py
"""

from __future__ import annotations

from collections.abc import Iterator

from kuberay_gitops.checks._api import CheckContext, CheckSpec, Issue, as_int
from kuberay_gitops.findings import Profile, Severity

CHECK = CheckSpec(
    id="ray-replicas-range",
    severity=Severity.ERROR,
    summary="worker group minReplicas <= replicas <= maxReplicas",
    hint="set replicas between minReplicas and maxReplicas (or widen the range)",
    profile=Profile.CORRECTNESS,
)


def run(ctx: CheckContext) -> Iterator[Issue]:
    """Each worker group's replica numbers are ordered."""
    for pod in ctx.index.ray_pods():
        if pod.ray_role != "worker" or pod.group_path is None:
            continue
        g = pod.group_spec
        lo, hi, n = (
            as_int(g.get("minReplicas")),
            as_int(g.get("maxReplicas")),
            as_int(g.get("replicas")),
        )
        if lo is not None and hi is not None and lo > hi:
            yield Issue(
                pod.owner,
                (*pod.group_path, "minReplicas"),
                f"worker group {pod.group}: minReplicas {lo} > maxReplicas {hi}",
            )
            continue
        if n is None:
            continue
        if hi is not None and n > hi:
            yield Issue(
                pod.owner,
                (*pod.group_path, "replicas"),
                f"worker group {pod.group}: replicas {n} > maxReplicas {hi}",
            )
        elif lo is not None and n < lo:
            yield Issue(
                pod.owner,
                (*pod.group_path, "replicas"),
                f"worker group {pod.group}: replicas {n} < minReplicas {lo}",
            )
