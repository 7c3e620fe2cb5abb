"""No NetworkPolicy opens Ray's dashboard, client, GCS or Serve ports to any source.

Risk: ShadowRay (CVE-2023-48022): the dashboard's Jobs API executes what it is sent, and
NetworkPolicies are additive, so one rule that allows every source to a Ray port undoes
every narrower policy on that pod. An ingress rule of a policy that selects a Ray pod
(policyTypes includes Ingress, or is unset) is a finding when it allows any source: no
`from` (or an empty list), or an `ipBlock` whose CIDR has prefix length 0 (`0.0.0.0/0`,
`::/0`, even with `except`), or a `namespaceSelector: {}` (every namespace: with no
`podSelector` every pod of the cluster, with one any pod anyone creates anywhere with those
labels; variant `[all-namespaces]`), and its `ports` cover one of the pod's Ray ports (no `ports`,
no `port`, a number or range, or a port name). Ray ports: heads' GCS, client, dashboard and
Serve ports and workers' Serve port, from named container ports, rayStartParams and KubeRay's
defaults. Token auth does not exempt: the network boundary stays in depth.
PASS / FAIL examples: tests/unit/checks/test_exposure_netpol_ingress.py
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from kuberay_gitops.checks._api import CheckContext, CheckSpec, Issue, as_int
from kuberay_gitops.checks._netpol import INGRESS, any_address, policy_types, selector_is_empty
from kuberay_gitops.checks._pod import (
    RayPort,
    cluster_of,
    container_ports,
    items,
    mapping,
    pod_label,
    pod_templates,
    ray_ports,
)
from kuberay_gitops.findings import FieldPath, Profile, Severity
from kuberay_gitops.index import PodView, label_selector_matches

CHECK = CheckSpec(
    id="exposure-netpol-ingress",
    severity=Severity.ERROR,
    summary="no NetworkPolicy allows ingress from any source to Ray dashboard/client/GCS/Serve "
    "ports",
    hint="give the rule a from: with the namespaceSelector/podSelector of the clients that "
    "need Ray; never an empty from or an ipBlock of 0.0.0.0/0",
    profile=Profile.PLATFORM,
)


def _covered(pod: PodView, rule: Mapping[str, Any]) -> list[RayPort]:
    """The Ray ports of `pod` that a rule's `ports` allow."""
    ports = ray_ports(pod)
    entries = items(rule.get("ports"))
    hits: list[RayPort] = [] if entries else list(ports)
    for e in entries:
        entry = mapping(e)
        if str(entry.get("protocol") or "TCP") != "TCP":
            continue
        port = entry.get("port")
        number = as_int(port)
        if port is None:
            hits.extend(ports)
        elif number is not None:
            hi = as_int(entry.get("endPort")) or number
            hits.extend(p for p in ports if number <= p.number <= hi)
        else:
            numbers = {
                as_int(cp.get("containerPort"))
                for _, cp in container_ports(pod)
                if cp.get("name") == port
            }
            hits.extend(p for p in ports if p.number in numbers)
    return sorted(set(hits), key=lambda p: (p.number, p.role))


def _sources(rule: Mapping[str, Any], i: int) -> Iterator[tuple[FieldPath, str, str | None]]:
    """(field, description, variant) for each part of the rule that admits any source."""
    peers = items(rule.get("from"))
    if not peers:
        field: FieldPath = (
            ("spec", "ingress", i, "from") if "from" in rule else ("spec", "ingress", i)
        )
        yield field, "any source (no from)", None
        return
    for j, p in enumerate(peers):
        peer = mapping(p)
        cidr = mapping(peer.get("ipBlock")).get("cidr")
        if cidr is not None and any_address(cidr):
            yield ("spec", "ingress", i, "from", j, "ipBlock", "cidr"), f"ipBlock {cidr}", None
        if "namespaceSelector" in peer and selector_is_empty(peer.get("namespaceSelector")):
            who = (
                "every pod of every namespace"
                if selector_is_empty(peer.get("podSelector"))
                else "pods with those labels in every namespace"
            )
            yield (
                ("spec", "ingress", i, "from", j, "namespaceSelector"),
                f"{who} (namespaceSelector: {{}})",
                "all-namespaces",
            )


def _pod_name(pod: PodView) -> str:
    cluster = cluster_of(pod)
    where = cluster.label if cluster else str(pod.owner.ref)
    return f"{where} {pod_label(pod)}"


def run(ctx: CheckContext) -> Iterator[Issue]:
    """Every ingress rule of every policy that selects a Ray pod."""
    ray_pods = [p for p in pod_templates(ctx.index) if p.ray_role is not None]
    for policy in ctx.index.of_kind("NetworkPolicy"):
        spec = policy.spec
        if INGRESS not in policy_types(spec):
            continue
        ns = policy.ref.namespace or "default"
        selector = mapping(spec.get("podSelector"))
        selected = [
            p for p in ray_pods if p.namespace == ns and label_selector_matches(selector, p.labels)
        ]
        if not selected:
            continue
        for i, r in enumerate(items(spec.get("ingress"))):
            rule = mapping(r)
            for field, source, variant in _sources(rule, i):
                for pod in selected:
                    hits = _covered(pod, rule)
                    if hits:
                        yield Issue(
                            policy,
                            field,
                            f"ingress rule {i} allows {source} to the "
                            f"{', '.join(str(h) for h in hits)} of {_pod_name(pod)}",
                            variant=variant,
                        )
