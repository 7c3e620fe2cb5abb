"""Pods run as non-root: runAsNonRoot true on the pod or every container, never runAsUser 0.

Risk: root in the container is root on the node's files it can reach and one kernel bug
away from the host; Ray images run fine as the `ray` user (uid 1000).
Rules of the "restricted" profile: `runAsNonRoot: true` at pod level or on every container
(a container's `false` overrides the pod's `true`), and `runAsUser: 0` nowhere. The autoscaler
sidecar of a Ray head counts as a container (`autoscalerOptions.securityContext`).
PASS / FAIL examples: tests/unit/checks/test_pod_run_as_non_root.py
"""

from __future__ import annotations

from collections.abc import Iterator

from kuberay_gitops.checks._api import CheckContext, CheckSpec, Issue, as_int
from kuberay_gitops.checks._pod import containers, field_at, mapping, pod_label, pod_templates
from kuberay_gitops.findings import Profile, Severity

CHECK = CheckSpec(
    id="pod-run-as-non-root",
    severity=Severity.ERROR,
    summary="runAsNonRoot: true on the pod (or every container) and no runAsUser: 0",
    hint="set spec.securityContext.runAsNonRoot: true and a non-zero runAsUser on the pod "
    "template (Ray images: runAsUser: 1000)",
    profile=Profile.PLATFORM,
)


def run(ctx: CheckContext) -> Iterator[Issue]:
    """Pod-level and container-level runAsNonRoot / runAsUser."""
    for pod in pod_templates(ctx.index):
        owner = pod.owner
        label = pod_label(pod)
        pod_sc = mapping(pod.spec.get("securityContext"))
        pod_nonroot = pod_sc.get("runAsNonRoot")
        if as_int(pod_sc.get("runAsUser")) == 0:
            yield Issue(
                owner,
                (*pod.spec_path, "securityContext", "runAsUser"),
                f"the {label} runs as root: runAsUser is 0",
            )
        if pod_nonroot is False:
            yield Issue(
                owner,
                (*pod.spec_path, "securityContext", "runAsNonRoot"),
                f"the {label} sets runAsNonRoot: false",
            )
        missing = []
        all_containers = list(containers(pod))
        for c in all_containers:
            sc = c.security_context
            if as_int(sc.get("runAsUser")) == 0:
                yield Issue(
                    owner,
                    c.at(owner, "securityContext", "runAsUser"),
                    f"{c.label} of the {label} runs as root: runAsUser is 0",
                )
            if sc.get("runAsNonRoot") is False:
                yield Issue(
                    owner,
                    c.at(owner, "securityContext", "runAsNonRoot"),
                    f"{c.label} of the {label} sets runAsNonRoot: false",
                )
            elif sc.get("runAsNonRoot") is not True and pod_nonroot is not True:
                missing.append(c)
        if pod_nonroot is False or not missing:
            continue
        if len(missing) == len(all_containers):
            yield Issue(
                owner,
                field_at(owner.body, (*pod.spec_path, "securityContext", "runAsNonRoot")),
                f"the {label} does not set runAsNonRoot: true (neither the pod nor any container)",
            )
            continue
        for c in missing:
            yield Issue(
                owner,
                c.at(owner, "securityContext", "runAsNonRoot"),
                f"{c.label} of the {label} does not set runAsNonRoot: true "
                "and the pod does not either",
            )
