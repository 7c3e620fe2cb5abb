"""No container runs privileged (Pod Security Standards "restricted" and "baseline").

Risk: a privileged container has every capability and all host devices: one compromised
Ray worker (ShadowRay turns the Jobs API into remote code execution) owns the node.
checkov's CKV_K8S_16 does not see RayCluster, RayJob or RayService pods; this check reads
every pod template, Ray head and worker groups and the autoscaler sidecar included.
PASS / FAIL examples: tests/unit/checks/test_pod_privileged.py
"""

from __future__ import annotations

from collections.abc import Iterator

from kuberay_gitops.checks._api import CheckContext, CheckSpec, Issue
from kuberay_gitops.checks._pod import containers, pod_label, pod_templates
from kuberay_gitops.findings import Profile, Severity

CHECK = CheckSpec(
    id="pod-privileged",
    severity=Severity.ERROR,
    summary="no container or init container sets securityContext.privileged: true",
    hint="remove securityContext.privileged (or set it to false); grant a single capability "
    "instead if one is really needed",
    profile=Profile.PLATFORM,
)


def run(ctx: CheckContext) -> Iterator[Issue]:
    """Every container, init container and autoscaler sidecar of every pod template."""
    for pod in pod_templates(ctx.index):
        for c in containers(pod):
            if c.security_context.get("privileged") is True:
                yield Issue(
                    pod.owner,
                    c.at(pod.owner, "securityContext", "privileged"),
                    f"{c.label} of the {pod_label(pod)} runs privileged",
                )
