"""Pods that do not call the Kubernetes API do not mount a service-account token.

Risk: every mounted token is a credential an attacker gets with code execution in the pod
(ShadowRay gives that to anyone who reaches the Ray Jobs API), and with it whatever the
service account may do. A pod is fine when its template sets
`automountServiceAccountToken: false`, or leaves it unset and its ServiceAccount (rendered in
the same target) sets it to false. Exempt: owners listed in option `allow` (`Kind/name` or
`Kind/namespace/name`, globs allowed; default the KubeRay operator), and Ray heads whose
cluster needs the API: in-tree autoscaling on (the autoscaler sidecar scales through it) or
Kubernetes token auth (`authOptions.enableK8sTokenAuth`).
PASS / FAIL examples: tests/unit/checks/test_pod_service_account_token.py
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator

from kuberay_gitops.checks._api import CheckContext, CheckSpec, Issue
from kuberay_gitops.checks._pod import cluster_of, field_at, items, pod_label, pod_templates
from kuberay_gitops.findings import Profile, Severity
from kuberay_gitops.index import PodView

CHECK = CheckSpec(
    id="pod-service-account-token",
    severity=Severity.WARNING,
    summary="automountServiceAccountToken: false on pods that do not use the Kubernetes API",
    hint="set automountServiceAccountToken: false on the pod template (or its ServiceAccount); "
    'if the pod needs the API, add "Kind/name" of its owner to the option allow',
    profile=Profile.PLATFORM,
    options={"allow": ["Deployment/kuberay-operator"]},
)


def _allowed(pod: PodView, patterns: list[str]) -> bool:
    ref = pod.owner.ref
    names = {f"{ref.kind}/{ref.name}", f"{ref.kind}/{pod.namespace}/{ref.name}"}
    return any(fnmatch.fnmatchcase(n, str(p)) for n in names for p in patterns)


def _needs_api(pod: PodView) -> bool:
    cluster = cluster_of(pod)
    return (
        pod.ray_role == "head"
        and cluster is not None
        and (cluster.autoscaling or cluster.k8s_token_auth)
    )


def run(ctx: CheckContext) -> Iterator[Issue]:
    """Pod-level setting first, then the ServiceAccount's."""
    allow = [str(p) for p in items(ctx.options.get("allow"))]
    for pod in pod_templates(ctx.index):
        if _needs_api(pod) or _allowed(pod, allow):
            continue
        value = pod.spec.get("automountServiceAccountToken")
        if value is False:
            continue
        sa_name = str(pod.spec.get("serviceAccountName") or "default")
        field = (*pod.spec_path, "automountServiceAccountToken")
        if value is True:
            yield Issue(
                pod.owner,
                field,
                f"the {pod_label(pod)} sets automountServiceAccountToken: true",
            )
            continue
        sa = ctx.index.get("ServiceAccount", sa_name, pod.namespace)
        if sa is None and pod.namespace == "default":
            sa = ctx.index.get("ServiceAccount", sa_name)
        if sa is not None and sa.body.get("automountServiceAccountToken") is False:
            continue
        where = (
            "and its ServiceAccount does not either"
            if sa is not None
            else "and its ServiceAccount is not rendered here"
        )
        yield Issue(
            pod.owner,
            field_at(pod.owner.body, field),
            f'the {pod_label(pod)} mounts the token of ServiceAccount "{sa_name}": '
            f"automountServiceAccountToken is not false {where}",
        )
