"""A seccomp profile, RuntimeDefault or Localhost, on the pod or every container ("restricted").

Risk: Unconfined (the default for most runtimes under Kubernetes) leaves every syscall open
to an attacker who reached code execution, including the ones container escapes use.
The pod-level profile covers every container; a container-level one overrides it, and
`Unconfined` anywhere is a finding. The autoscaler sidecar of a Ray head counts as a
container (`autoscalerOptions.securityContext`); checkov does not see Ray pods at all.
PASS / FAIL examples: tests/unit/checks/test_pod_seccomp.py
"""

from __future__ import annotations

from collections.abc import Iterator

from kuberay_gitops.checks._api import CheckContext, CheckSpec, Issue
from kuberay_gitops.checks._pod import containers, field_at, mapping, pod_label, pod_templates
from kuberay_gitops.findings import Profile, Severity

ALLOWED = frozenset({"RuntimeDefault", "Localhost"})

CHECK = CheckSpec(
    id="pod-seccomp",
    severity=Severity.ERROR,
    summary="seccompProfile.type RuntimeDefault or Localhost on the pod or every container",
    hint="set spec.securityContext.seccompProfile.type: RuntimeDefault on the pod template",
    profile=Profile.PLATFORM,
)


def run(ctx: CheckContext) -> Iterator[Issue]:
    """Pod-level and container-level seccompProfile.type."""
    for pod in pod_templates(ctx.index):
        owner = pod.owner
        label = pod_label(pod)
        pod_type = mapping(mapping(pod.spec.get("securityContext")).get("seccompProfile")).get(
            "type"
        )
        if pod_type is not None and pod_type not in ALLOWED:
            yield Issue(
                owner,
                (*pod.spec_path, "securityContext", "seccompProfile", "type"),
                f'the {label} sets seccompProfile.type "{pod_type}"; '
                "expected RuntimeDefault or Localhost",
            )
        missing = []
        all_containers = list(containers(pod))
        for c in all_containers:
            ctype = mapping(c.security_context.get("seccompProfile")).get("type")
            if ctype is None:
                if pod_type is None:
                    missing.append(c)
            elif ctype not in ALLOWED:
                yield Issue(
                    owner,
                    c.at(owner, "securityContext", "seccompProfile", "type"),
                    f'{c.label} of the {label} sets seccompProfile.type "{ctype}"; '
                    "expected RuntimeDefault or Localhost",
                )
        if not missing:
            continue
        if len(missing) == len(all_containers):
            yield Issue(
                owner,
                field_at(owner.body, (*pod.spec_path, "securityContext", "seccompProfile")),
                f"the {label} sets no seccompProfile (neither the pod nor any container)",
            )
            continue
        for c in missing:
            yield Issue(
                owner,
                c.at(owner, "securityContext", "seccompProfile"),
                f"{c.label} of the {label} sets no seccompProfile and the pod does not either",
            )
