"""A fault-tolerant Ray head may reach its GCS Redis through the egress NetworkPolicies.

Why: with `gcsFaultToleranceOptions.redisAddress` the head's GCS stores its state in that
Redis and cannot start without it; when a NetworkPolicy restricts the head's egress and no
rule allows the Redis host's namespace (or address) on the Redis port, GCS never comes up
and the cluster is down, while every policy still looks reasonable on its own.
The address is `host:port` (a `redis://`/`rediss://` scheme is accepted): a Service name
`name.namespace.svc[.cluster.local]` or `name.namespace` is judged by its namespace (the
Redis pods are outside the repository, so a rule's podSelector is given the benefit of the
doubt, while a Service name is reached by no ipBlock but an any-address one), a bare `name`
is the cluster's own namespace, an IP address is judged by ipBlocks (their `except`
included); another DNS name (`redis.example.com`) resolves outside the cluster and is not
judged.
Every Ray kind that carries a cluster spec is covered (RayCluster, RayJob, RayService,
RayCronJob). Like the other netpol checks, each render target (an Argo CD unit, which syncs
and rolls back on its own) must allow what its own pods need. Reported at `redisAddress`.
PASS / FAIL examples: tests/unit/checks/test_netpol_gcs_redis_egress.py
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Mapping
from typing import Any

from kuberay_gitops.checks._api import CheckContext, CheckSpec, Issue, as_int
from kuberay_gitops.checks._netpol import (
    EGRESS,
    Policy,
    fmt_interval,
    policies,
    restricting,
    rule_intervals,
)
from kuberay_gitops.checks._pod import RayClusterRef, cluster_of, items, mapping, ray_clusters
from kuberay_gitops.findings import Profile, Severity
from kuberay_gitops.index import ObjectIndex, PodView, label_selector_matches

CHECK = CheckSpec(
    id="netpol-gcs-redis-egress",
    severity=Severity.ERROR,
    summary="a fault-tolerant Ray head's egress policies allow its GCS Redis",
    hint="add an egress rule for the head to the Redis namespace (namespaceSelector "
    "kubernetes.io/metadata.name: <ns>) or address (ipBlock) on the Redis port",
    profile=Profile.CORRECTNESS,
)


def _target(address: str, own_ns: str) -> tuple[str | None, str | None, int | None]:
    """(namespace, ip, port) of a Redis address; None where it cannot be told."""
    rest = address.split("://", 1)[-1].rpartition("@")[2].partition("/")[0]
    host, _, port = rest.rpartition(":")
    if not host:
        host, port = rest, "6379"
    bare = host.strip("[]")  # [fd00::5]:6379
    try:
        ipaddress.ip_address(bare)
        return None, bare, as_int(port)
    except ValueError:
        pass
    parts = host.split(".")
    if len(parts) == 1:
        return own_ns, None, as_int(port)
    if len(parts) == 2 or parts[2] == "svc":  # name.ns, name.ns.svc[.<cluster domain>]
        return parts[1], None, as_int(port)
    return None, None, None  # a DNS name outside the cluster: not judged here


def _peer_reaches(
    peer: Mapping[str, Any], policy: Policy, ns: str | None, ip: str | None, index: ObjectIndex
) -> bool:
    block = peer.get("ipBlock")
    if isinstance(block, Mapping):
        try:  # networks of the CIDRs, host bits ignored (ip_network(strict=False))
            net = ipaddress.ip_interface(str(block.get("cidr"))).network
            excepts = [ipaddress.ip_interface(str(e)).network for e in items(block.get("except"))]
        except ValueError:
            return False
        if ip is None:  # a Service: its pod IPs are unknown, only an any-address block counts
            return net.prefixlen == 0
        address = ipaddress.ip_address(ip)
        return address in net and not any(address in e for e in excepts)
    if ns is None:
        return False
    ns_sel = peer.get("namespaceSelector")
    if ns_sel is None:
        return "podSelector" in peer and policy.namespace == ns
    return isinstance(ns_sel, Mapping) and label_selector_matches(
        ns_sel, index.namespace_labels(ns)
    )


def _allowed(
    pols: list[Policy], ns: str | None, ip: str | None, port: int, index: ObjectIndex
) -> bool:
    for pol in pols:
        for _, rule in pol.rules(EGRESS):
            peers = rule.get("to")
            if peers and not any(
                isinstance(p, Mapping) and _peer_reaches(p, pol, ns, ip, index)
                for p in (peers if isinstance(peers, list) else [])
            ):
                continue
            if any(lo <= port <= hi for lo, hi in rule_intervals(rule, ())):
                return True
    return False


def _same(a: RayClusterRef, b: RayClusterRef) -> bool:
    return a.owner is b.owner and a.path == b.path


def _head(index: ObjectIndex, cluster: RayClusterRef) -> PodView | None:
    """The head pod of `cluster` (a cluster spec has one headGroupSpec: one head pod)."""
    for pod in index.ray_pods():
        ref = cluster_of(pod)
        if pod.ray_role == "head" and ref is not None and _same(ref, cluster):
            return pod
    return None


def run(ctx: CheckContext) -> Iterator[Issue]:
    """Each fault-tolerant cluster's head pod against the policies restricting its egress."""
    pols = policies(ctx.index)
    for cluster in ray_clusters(ctx.index):
        address = mapping(cluster.spec.get("gcsFaultToleranceOptions")).get("redisAddress")
        if not isinstance(address, str) or not address.strip():
            continue
        own_ns = cluster.owner.ref.namespace or "default"
        ns, ip, port = _target(address.strip(), own_ns)
        if port is None or (ns is None and ip is None):
            continue  # an unreadable port, or a name outside the cluster: not judged here
        field = (*cluster.path, "gcsFaultToleranceOptions", "redisAddress")
        head = _head(ctx.index, cluster)
        if head is None:
            continue
        restrict = restricting(pols, head.labels, head.namespace, EGRESS)
        if not restrict or _allowed(restrict, ns, ip, port, ctx.index):
            continue
        names = ", ".join(sorted(p.name for p in restrict))
        where = f"namespace {ns}" if ns else f"address {ip}"
        yield Issue(
            cluster.owner,
            field,
            f"the head of {cluster.label} cannot reach its GCS Redis {address}: no egress "
            f"rule of {names} allows TCP {fmt_interval((port, port))} to {where}",
        )
