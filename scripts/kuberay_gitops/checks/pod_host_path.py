"""Pods mount no hostPath volumes (Pod Security Standards "baseline" and "restricted").

Risk: a hostPath volume reads or writes the node's files (kubelet credentials, container
runtime socket, other pods' data); Ray spill and log directories belong on emptyDir or a
PersistentVolumeClaim. Applies to Ray head and worker groups too.
PASS / FAIL examples: tests/unit/checks/test_pod_host_path.py
"""

from __future__ import annotations

from collections.abc import Iterator

from kuberay_gitops.checks._api import CheckContext, CheckSpec, Issue
from kuberay_gitops.checks._pod import items, mapping, pod_label, pod_templates
from kuberay_gitops.findings import Profile, Severity

CHECK = CheckSpec(
    id="pod-host-path",
    severity=Severity.ERROR,
    summary="no pod template mounts a hostPath volume",
    hint="use an emptyDir, a PersistentVolumeClaim or a CSI ephemeral volume instead",
    profile=Profile.PLATFORM,
)


def run(ctx: CheckContext) -> Iterator[Issue]:
    """Every volume of every pod template."""
    for pod in pod_templates(ctx.index):
        for i, vol in enumerate(items(pod.spec.get("volumes"))):
            host = mapping(vol).get("hostPath")
            if host is None:
                continue
            path = mapping(host).get("path", "")
            yield Issue(
                pod.owner,
                (*pod.spec_path, "volumes", i, "hostPath"),
                f'the {pod_label(pod)} mounts hostPath "{path}" as volume '
                f'"{mapping(vol).get("name", i)}"',
            )
