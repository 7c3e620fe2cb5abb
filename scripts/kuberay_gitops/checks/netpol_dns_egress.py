"""Every pod whose egress is restricted can reach kube-dns on UDP 53 and TCP 53.

Why: without DNS a Ray pod cannot resolve the head Service, Redis or any other name, and
fails with resolver timeouts that look like network flakiness; TCP 53 is needed for large
answers (truncation), so UDP alone is not enough.
A pod counts as restricted when some NetworkPolicy with policyType Egress selects it. Its
egress rules must then allow both protocols on port 53 towards kube-dns: a peer whose
namespaceSelector matches the `dns_namespace_labels` (default
`kubernetes.io/metadata.name: kube-system`) with no podSelector or one matching the
`dns_pod_labels` (default `k8s-app: kube-dns`), an any-address ipBlock, an ipBlock listed in
`dns_cidrs` (e.g. node-local DNS), or a rule without `to`. Named ports resolve against the
kube-dns ports `dns` (UDP 53) and `dns-tcp` (TCP 53). Reported at the rule's `ports` when it
reaches kube-dns on one protocol only (variant `[protocol]`), at the rule's `to` when it
opens port 53 towards something else (variant `[peer]`), otherwise at the pod template
(variant `[missing]`).
PASS / FAIL examples: tests/unit/checks/test_netpol_dns_egress.py
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from kuberay_gitops.checks._api import CheckContext, CheckSpec, Issue
from kuberay_gitops.checks._netpol import (
    EGRESS,
    ContainerPort,
    Endpoint,
    Policy,
    all_pods,
    pod_name,
    policies,
    restricting,
    rule_intervals,
    rule_matches_peer,
)
from kuberay_gitops.findings import FieldPath, Profile, Severity
from kuberay_gitops.manifests import K8sObject

CHECK = CheckSpec(
    id="netpol-dns-egress",
    severity=Severity.ERROR,
    summary="pods with restricted egress may reach kube-dns on UDP 53 and TCP 53",
    hint="add an egress rule to namespaceSelector kubernetes.io/metadata.name: kube-system + "
    "podSelector k8s-app: kube-dns with ports UDP 53 and TCP 53",
    profile=Profile.CORRECTNESS,
    options={
        "dns_namespace_labels": {"kubernetes.io/metadata.name": "kube-system"},
        "dns_pod_labels": {"k8s-app": "kube-dns"},
        "dns_cidrs": [],
    },
)

_PROTOCOLS = ("UDP", "TCP")
_KUBE_DNS_PORTS = (ContainerPort(53, "UDP", "dns"), ContainerPort(53, "TCP", "dns-tcp"))


def _covers_53(intervals: Sequence[tuple[int, int]]) -> bool:
    return any(lo <= 53 <= hi for lo, hi in intervals)


def _cidr_listed(rule: Mapping[str, Any], cidrs: Sequence[str]) -> bool:
    wanted = set()
    for c in cidrs:
        try:
            wanted.add(ipaddress.ip_network(str(c), strict=False))
        except ValueError:
            continue
    for peer in rule.get("to") or []:
        block = peer.get("ipBlock") if isinstance(peer, Mapping) else None
        if isinstance(block, Mapping):
            try:
                if ipaddress.ip_network(str(block.get("cidr")), strict=False) in wanted:
                    return True
            except ValueError:
                continue
    return False


def run(ctx: CheckContext) -> Iterator[Issue]:
    """Each egress-restricted pod has UDP and TCP 53 to kube-dns."""
    ns_labels = {str(k): str(v) for k, v in dict(ctx.options["dns_namespace_labels"]).items()}
    dns = Endpoint(
        ns_labels.get("kubernetes.io/metadata.name", "kube-system"),
        {str(k): str(v) for k, v in dict(ctx.options["dns_pod_labels"]).items()},
        ns_labels,
        _KUBE_DNS_PORTS,
    )
    cidrs = [str(c) for c in ctx.options["dns_cidrs"]]
    pols = policies(ctx.index)
    seen: set[tuple[int, FieldPath]] = set()
    for pod in all_pods(ctx.index):
        restrict = restricting(pols, pod.labels, pod.namespace, EGRESS)
        if not restrict:
            continue
        to_dns: list[tuple[Policy, int, set[str]]] = []
        elsewhere: list[tuple[Policy, int]] = []
        for pol in restrict:
            for i, rule in pol.rules(EGRESS):
                protos = {
                    proto
                    for proto in _PROTOCOLS
                    if _covers_53(rule_intervals(rule, _KUBE_DNS_PORTS, proto))
                }
                if not protos:
                    continue
                if rule_matches_peer(rule, EGRESS, pol.namespace, dns) or _cidr_listed(rule, cidrs):
                    to_dns.append((pol, i, protos))
                else:
                    elsewhere.append((pol, i))
        allowed = set().union(*(p for _, _, p in to_dns))
        missing = [p for p in _PROTOCOLS if p not in allowed]
        if not missing:
            continue
        what = " and ".join(f"{p} 53" for p in missing)
        obj: K8sObject
        field: FieldPath
        if to_dns:
            pol, i, _ = to_dns[0]
            obj, field, variant = pol.obj, ("spec", "egress", i, "ports"), "protocol"
            msg = f"egress to kube-dns allows {', '.join(sorted(allowed))} 53 but not {what}"
        elif elsewhere:
            pol, i = elsewhere[0]
            obj, field, variant = pol.obj, ("spec", "egress", i, "to"), "peer"
            msg = (
                f"egress rule opens port 53 but its `to` does not reach kube-dns "
                f"({', '.join(f'{k}={v}' for k, v in sorted(dns.labels.items()))} in namespace "
                f'"{dns.namespace}")'
            )
        else:
            obj, field, variant = pod.owner, pod.path, "missing"
            names = ", ".join(f'"{p.name}"' for p in restrict)
            msg = f"egress is restricted by NetworkPolicy {names} but no rule allows {what}"
        if (id(obj), field) in seen:
            continue
        seen.add((id(obj), field))
        yield Issue(obj, field, f"{pod_name(pod)}: {msg}", variant=variant)
