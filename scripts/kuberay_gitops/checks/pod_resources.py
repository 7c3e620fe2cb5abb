"""Every container requests and limits CPU and memory, Ray's autoscaler sidecar included.

Risk: a container without requests is scheduled anywhere and evicted first; one without
limits can starve its neighbours (a Ray worker's object store will take all the memory it is
allowed). KubeRay builds the autoscaler sidecar from `spec.autoscalerOptions.resources`
when `enableInTreeAutoscaling: true`; if set, it replaces KubeRay's default (500m CPU and
512Mi memory, requests and limits) as a whole, so a partial block drops the limits.
PASS / FAIL examples: tests/unit/checks/test_pod_resources.py
"""

from __future__ import annotations

from collections.abc import Iterator

from kuberay_gitops.checks._api import CheckContext, CheckSpec, Issue
from kuberay_gitops.checks._pod import containers, mapping, pod_label, pod_templates
from kuberay_gitops.findings import Profile, Severity

REQUIRED = (("requests", "cpu"), ("requests", "memory"), ("limits", "cpu"), ("limits", "memory"))

CHECK = CheckSpec(
    id="pod-resources",
    severity=Severity.ERROR,
    summary="every container sets requests and limits for cpu and memory",
    hint="set resources.requests and resources.limits for cpu and memory "
    "(the autoscaler sidecar: spec.autoscalerOptions.resources)",
    profile=Profile.PLATFORM,
)


def run(ctx: CheckContext) -> Iterator[Issue]:
    """Resources of every container and init container; the autoscaler's when it overrides."""
    for pod in pod_templates(ctx.index):
        for c in containers(pod):
            if c.kind == "autoscaler" and "resources" not in c.body:
                continue  # KubeRay's default sets all four
            res = mapping(c.body.get("resources"))
            missing = [f"{a}.{b}" for a, b in REQUIRED if b not in mapping(res.get(a))]
            if missing:
                yield Issue(
                    pod.owner,
                    c.at(pod.owner, "resources"),
                    f"{c.label} of the {pod_label(pod)} does not set resources "
                    + ", ".join(missing),
                )
