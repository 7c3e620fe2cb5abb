"""Pods keep their SELinux and AppArmor confinement and their own process namespace per container.

Risk: the Linux security modules are what still holds a container in when code inside it
runs as it pleases (ShadowRay: any job a Ray dashboard accepts). SELinux type `spc_t`
("super privileged container") or any type outside the container types the Pod Security
Standards allow (`container_t`, `container_init_t`, `container_kvm_t`,
`container_engine_t`) lifts SELinux confinement; AppArmor `Unconfined` (the
`appArmorProfile` field or the older `container.apparmor.security.beta.kubernetes.io/<name>:
unconfined` annotation) lifts AppArmor's. Both are refused by the Pod Security "baseline"
level, so they also tell a namespace label that was lowered. `shareProcessNamespace: true`
lets every container of the pod see and signal the others' processes and read their
environment and files through `/proc`: the Ray container then reaches the autoscaler
sidecar's ServiceAccount token. Variants `[selinux]`, `[apparmor]`,
`[share-process-namespace]`; every pod template is read, Ray head and worker groups and the
autoscaler sidecar (`autoscalerOptions.securityContext`) included. A seccomp profile of
`Unconfined` is pod-seccomp's.
PASS / FAIL examples: tests/unit/checks/test_pod_confinement.py
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from kuberay_gitops.checks._api import CheckContext, CheckSpec, Issue
from kuberay_gitops.checks._pod import containers, mapping, pod_label, pod_templates
from kuberay_gitops.findings import FieldPath, Profile, Severity
from kuberay_gitops.index import PodView

# Pod Security Standards, baseline, "SELinux": the types a pod may set (or none).
SELINUX_TYPES = frozenset(
    {"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"}
)
APPARMOR_ANNOTATION = "container.apparmor.security.beta.kubernetes.io/"
UNCONFINED = "Unconfined"

CHECK = CheckSpec(
    id="pod-confinement",
    severity=Severity.ERROR,
    summary="no SELinux type outside the container types (spc_t), no AppArmor Unconfined and "
    "no shareProcessNamespace: true",
    hint="remove seLinuxOptions.type, the Unconfined AppArmor profile (or annotation) and "
    "shareProcessNamespace; the runtime's default confinement is what Ray needs",
    profile=Profile.PLATFORM,
)


def _selinux(owner_label: str, ctx: Mapping[str, Any]) -> str | None:
    """The message when a securityContext sets an SELinux type outside the allowed ones."""
    se_type = mapping(ctx.get("seLinuxOptions")).get("type")
    if se_type is None or str(se_type) in SELINUX_TYPES:
        return None
    return (
        f'{owner_label} sets SELinux type "{se_type}"; expected none or one of '
        "container_t, container_init_t, container_kvm_t, container_engine_t"
    )


def _apparmor(owner_label: str, ctx: Mapping[str, Any]) -> str | None:
    """The message when a securityContext sets the AppArmor profile Unconfined."""
    if mapping(ctx.get("appArmorProfile")).get("type") != UNCONFINED:
        return None
    return (
        f"{owner_label} sets appArmorProfile.type Unconfined; expected RuntimeDefault or Localhost"
    )


def _pod_level(pod: PodView, label: str) -> Iterator[Issue]:
    sc = mapping(pod.spec.get("securityContext"))
    at: FieldPath = (*pod.spec_path, "securityContext")
    message = _selinux(f"the {label}", sc)
    if message is not None:
        yield Issue(pod.owner, (*at, "seLinuxOptions", "type"), message, variant="selinux")
    message = _apparmor(f"the {label}", sc)
    if message is not None:
        yield Issue(pod.owner, (*at, "appArmorProfile", "type"), message, variant="apparmor")
    if pod.spec.get("shareProcessNamespace") is True:
        yield Issue(
            pod.owner,
            (*pod.spec_path, "shareProcessNamespace"),
            f"the {label} sets shareProcessNamespace: true: each container sees the others' "
            "processes, environment and files",
            variant="share-process-namespace",
        )


def _annotations(pod: PodView, label: str) -> Iterator[Issue]:
    annotations = mapping(mapping(pod.template.get("metadata")).get("annotations"))
    for key, value in annotations.items():
        if str(key).startswith(APPARMOR_ANNOTATION) and str(value).lower() == "unconfined":
            name = str(key).removeprefix(APPARMOR_ANNOTATION)
            yield Issue(
                pod.owner,
                (*pod.path, "metadata", "annotations", str(key)),
                f'the {label} annotates container "{name}" AppArmor "unconfined"; expected '
                "runtime/default or localhost/<profile>",
                variant="apparmor",
            )


def run(ctx: CheckContext) -> Iterator[Issue]:
    """Pod-level and container-level SELinux and AppArmor, annotations, process namespace."""
    for pod in pod_templates(ctx.index):
        label = pod_label(pod)
        yield from _pod_level(pod, label)
        yield from _annotations(pod, label)
        for c in containers(pod):
            who = f"{c.label} of the {label}"
            message = _selinux(who, c.security_context)
            if message is not None:
                yield Issue(
                    pod.owner,
                    c.at(pod.owner, "securityContext", "seLinuxOptions", "type"),
                    message,
                    variant="selinux",
                )
            message = _apparmor(who, c.security_context)
            if message is not None:
                yield Issue(
                    pod.owner,
                    c.at(pod.owner, "securityContext", "appArmorProfile", "type"),
                    message,
                    variant="apparmor",
                )
