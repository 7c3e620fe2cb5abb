"""Pods do not share the node's network, PID or IPC namespace (Pod Security Standards).

Risk: hostNetwork binds Ray's unauthenticated dashboard, client and GCS ports on the
node's own addresses and lets the pod sniff node traffic; hostPID and hostIPC expose every
process and shared-memory segment on the node. Ray pods included (checkov misses them).
PASS / FAIL examples: tests/unit/checks/test_pod_host_namespaces.py
"""

from __future__ import annotations

from collections.abc import Iterator

from kuberay_gitops.checks._api import CheckContext, CheckSpec, Issue
from kuberay_gitops.checks._pod import pod_label, pod_templates
from kuberay_gitops.findings import Profile, Severity

FIELDS = ("hostNetwork", "hostPID", "hostIPC")

CHECK = CheckSpec(
    id="pod-host-namespaces",
    severity=Severity.ERROR,
    summary="no pod template sets hostNetwork, hostPID or hostIPC",
    hint="remove hostNetwork/hostPID/hostIPC; expose ports through a Service instead",
    profile=Profile.PLATFORM,
)


def run(ctx: CheckContext) -> Iterator[Issue]:
    """hostNetwork, hostPID and hostIPC of every pod template."""
    for pod in pod_templates(ctx.index):
        for name in FIELDS:
            if pod.spec.get(name) is True:
                yield Issue(
                    pod.owner,
                    (*pod.spec_path, name),
                    f"the {pod_label(pod)} sets {name}: true",
                )
