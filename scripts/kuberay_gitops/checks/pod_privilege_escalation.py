"""Every container sets allowPrivilegeEscalation: false (Pod Security Standards "restricted").

Risk: without it a process can gain more privileges than its parent (setuid binaries,
file capabilities), so a code-execution bug in Ray escalates inside the container.
The restricted profile requires the explicit `false`; unset counts as allowed. Applies to
every pod template, Ray head and worker groups and the autoscaler sidecar KubeRay adds
from `autoscalerOptions.securityContext` (checkov does not see Ray pods).
PASS / FAIL examples: tests/unit/checks/test_pod_privilege_escalation.py
"""

from __future__ import annotations

from collections.abc import Iterator

from kuberay_gitops.checks._api import CheckContext, CheckSpec, Issue
from kuberay_gitops.checks._pod import containers, pod_label, pod_templates
from kuberay_gitops.findings import Profile, Severity

CHECK = CheckSpec(
    id="pod-privilege-escalation",
    severity=Severity.ERROR,
    summary="every container sets securityContext.allowPrivilegeEscalation: false",
    hint="set securityContext.allowPrivilegeEscalation: false on the container "
    "(for the autoscaler sidecar: spec.autoscalerOptions.securityContext)",
    profile=Profile.PLATFORM,
)


def run(ctx: CheckContext) -> Iterator[Issue]:
    """Each container's allowPrivilegeEscalation is explicitly false."""
    for pod in pod_templates(ctx.index):
        for c in containers(pod):
            value = c.security_context.get("allowPrivilegeEscalation")
            if value is False:
                continue
            state = "is true" if value is True else "is not set to false"
            yield Issue(
                pod.owner,
                c.at(pod.owner, "securityContext", "allowPrivilegeEscalation"),
                f"{c.label} of the {pod_label(pod)}: allowPrivilegeEscalation {state}",
            )
