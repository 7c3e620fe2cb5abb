"""Containers drop ALL capabilities and add back at most NET_BIND_SERVICE ("restricted").

Risk: the container runtime's default capability set (NET_RAW, CHOWN, SETUID, …) helps an
attacker who got code execution through Ray's unauthenticated APIs move sideways.
Applies to every pod template, Ray head and worker groups and the autoscaler sidecar
(`autoscalerOptions.securityContext`), which checkov does not see.
PASS / FAIL examples: tests/unit/checks/test_pod_capabilities.py
"""

from __future__ import annotations

from collections.abc import Iterator

from kuberay_gitops.checks._api import CheckContext, CheckSpec, Issue
from kuberay_gitops.checks._pod import containers, items, mapping, pod_label, pod_templates
from kuberay_gitops.findings import Profile, Severity

ALLOWED_ADD = frozenset({"NET_BIND_SERVICE"})

CHECK = CheckSpec(
    id="pod-capabilities",
    severity=Severity.ERROR,
    summary="containers drop ALL capabilities and add only NET_BIND_SERVICE",
    hint='set securityContext.capabilities.drop: ["ALL"] and remove every added capability '
    "other than NET_BIND_SERVICE",
    profile=Profile.PLATFORM,
)


def run(ctx: CheckContext) -> Iterator[Issue]:
    """Each container's capabilities.drop includes ALL; capabilities.add is a subset of the one."""
    for pod in pod_templates(ctx.index):
        for c in containers(pod):
            caps = mapping(c.security_context.get("capabilities"))
            where = f"{c.label} of the {pod_label(pod)}"
            if "ALL" not in items(caps.get("drop")):
                yield Issue(
                    pod.owner,
                    c.at(pod.owner, "securityContext", "capabilities", "drop"),
                    f'{where}: capabilities.drop does not include "ALL"',
                )
            for j, cap in enumerate(items(caps.get("add"))):
                if str(cap) not in ALLOWED_ADD:
                    yield Issue(
                        pod.owner,
                        c.at(pod.owner, "securityContext", "capabilities", "add", j),
                        f'{where}: adds capability "{cap}"; only NET_BIND_SERVICE is allowed',
                    )
