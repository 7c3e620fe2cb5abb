"""A Service with a selector must select at least one pod of its target.

Why: a Service whose selector matches no pod has no endpoints: clients get connection
refused or time out, and ServiceMonitors scrape nothing, while every object looks valid.
Ray pods are part of the index with the labels KubeRay adds (ray.io/cluster,
ray.io/node-type, ray.io/group, ray.io/is-ray-node, app.kubernetes.io/name: kuberay,
app.kubernetes.io/created-by: kuberay-operator), so Services selecting KubeRay-generated
pods are matched as the cluster will match them. Services without a selector (manual
Endpoints / EndpointSlices) and ExternalName Services are skipped.
PASS / FAIL examples: tests/unit/checks/test_selector_service_no_pods.py
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from kuberay_gitops.checks._api import CheckContext, CheckSpec, Issue
from kuberay_gitops.checks._netpol import all_pods, pod_name
from kuberay_gitops.findings import Profile, Severity
from kuberay_gitops.index import map_selector_matches

CHECK = CheckSpec(
    id="selector-service-no-pods",
    severity=Severity.ERROR,
    summary="a Service's selector matches at least one pod of the target",
    hint="make .spec.selector a subset of the pod template labels (for Ray pods, the labels "
    "KubeRay adds such as ray.io/cluster and ray.io/node-type)",
    profile=Profile.CORRECTNESS,
)


def run(ctx: CheckContext) -> Iterator[Issue]:
    """Each Service with a selector has at least one matching pod in its namespace."""
    pods = all_pods(ctx.index)
    for svc in ctx.index.of_kind("Service"):
        sel = svc.spec.get("selector")
        if not isinstance(sel, Mapping) or not sel or svc.spec.get("type") == "ExternalName":
            continue
        ns = svc.ref.namespace or "default"
        in_ns_pods = [p for p in pods if p.namespace == ns]
        if any(map_selector_matches(sel, p.labels) for p in in_ns_pods):
            continue
        in_ns = sorted({pod_name(p) for p in in_ns_pods})
        wanted = ", ".join(f"{k}={v}" for k, v in sorted(sel.items()))
        known = f"pods of the namespace: {', '.join(in_ns)}" if in_ns else "no pods in it"
        yield Issue(
            svc,
            ("spec", "selector"),
            f'selector {wanted} matches no pod of namespace "{ns}" in this target ({known})',
        )
