"""Every port Ray uses between head and workers is allowed by the NetworkPolicies, both ways.

Why: Ray nodes dial each other on the GCS, raylet, object manager, agent, metrics and
worker-process ports; a port missing from a NetworkPolicy makes tasks hang or objects fail
to transfer long after the pods start, with no error from Kubernetes.
For each Ray cluster and each worker group, worker → head and head → worker are checked
on every port the destination listens on: its rayStartParams `port` (GCS),
`dashboard-port`, `ray-client-server-port` (head only), `node-manager-port`,
`object-manager-port`, `runtime-env-agent-port`, `dashboard-agent-grpc-port`,
`dashboard-agent-listen-port`, `metrics-export-port` and `min-worker-port..max-worker-port`
(or `worker-port-list`), with KubeRay/Ray defaults when unset (6379, 8265, 10001, 52365,
8080, 10002-19999; a port Ray picks at random needs a rule allowing all ports). A port is
allowed when the union of the egress rules of the source pod's policies admits it (only if
some policy restricts its egress) AND the union of the ingress rules of the destination
pod's policies does (only if its ingress is restricted). The first missing port (or the
missing part of a range) is reported once per direction per head/worker pair, at the
`ports` of the rule that admits the peer, or at the Ray group when no rule admits it.
Port matching is in checks/_netpol.py (named ports, `endPort`, rules without ports).
PASS / FAIL examples: tests/unit/checks/test_netpol_ray_ports.py
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from kuberay_gitops.checks._api import CheckContext, CheckSpec, Issue
from kuberay_gitops.checks._netpol import (
    EGRESS,
    INGRESS,
    Endpoint,
    Policy,
    allowed_intervals,
    container_ports,
    fmt_interval,
    pod_endpoint,
    policies,
    ray_ports,
    restricting,
    rule_matches_peer,
    uncovered,
)
from kuberay_gitops.findings import FieldPath, Profile, Severity
from kuberay_gitops.index import PodView
from kuberay_gitops.manifests import K8sObject

CHECK = CheckSpec(
    id="netpol-ray-ports",
    severity=Severity.ERROR,
    summary="NetworkPolicies allow every Ray port between head and workers, both ways",
    hint="add the port (or range, with endPort) to the ingress rule of the destination's "
    "policy and the egress rule of the source's policy (docs/ports.md lists them)",
    profile=Profile.CORRECTNESS,
)


def _role(pod: PodView) -> str:
    return "head" if pod.ray_role == "head" else f'worker group "{pod.group}"'


def _locate(
    pols: Sequence[Policy], direction: str, remote: Endpoint, pod: PodView
) -> tuple[K8sObject, FieldPath]:
    """Where a gap is reported: the `ports` of the first rule admitting `remote`, else the group.

    A rule admitting `remote` there has ports: one without would have allowed every port.
    """
    for pol in pols:
        for i, rule in pol.rules(direction):
            if rule_matches_peer(rule, direction, pol.namespace, remote):
                return pol.obj, ("spec", pol.rules_key(direction), i, "ports")
    return pod.owner, pod.group_path or pod.path


def _pair(ctx: CheckContext, pols: Sequence[Policy], src: PodView, dst: PodView) -> Iterator[Issue]:
    eg_pols = restricting(pols, src.labels, src.namespace, EGRESS)
    in_pols = restricting(pols, dst.labels, dst.namespace, INGRESS)
    if not eg_pols and not in_pols:
        return
    src_ep, dst_ep = pod_endpoint(ctx.index, src), pod_endpoint(ctx.index, dst)
    dest_ports = container_ports(dst)
    ingress = allowed_intervals(in_pols, INGRESS, src_ep, dest_ports) if in_pols else None
    egress = allowed_intervals(eg_pols, EGRESS, dst_ep, dest_ports) if eg_pols else None
    for need in ray_ports(dst):
        gap = uncovered(need.interval, ingress) if ingress is not None else None
        side, side_pols, remote, at = INGRESS, in_pols, src_ep, dst
        if gap is None:
            gap = uncovered(need.interval, egress) if egress is not None else None
            side, side_pols, remote, at = EGRESS, eg_pols, dst_ep, src
        if gap is None:
            continue
        obj, field = _locate(side_pols, side, remote, at)
        ref = dst.owner.ref
        part = "" if gap == need.interval or need.random else f" ({fmt_interval(gap)} blocked)"
        names = ", ".join(f'"{p.name}"' for p in side_pols)
        whose = "destination" if side == INGRESS else "source"
        hint = (
            f"set {need.key} in rayStartParams of the {_role(dst)} and allow that port: "
            "a random port can only be allowed by a rule without ports"
            if need.random
            else None  # the spec's hint
        )
        yield Issue(
            obj,
            field,
            f"{ref.kind} {ref.namespace or 'default'}/{ref.name}: {_role(src)} → {_role(dst)}: "
            f"{need.describe()}{part} is not allowed by the {side.lower()} rules of the "
            f"{whose}'s NetworkPolicies ({names})",
            hint=hint,
        )
        return


def run(ctx: CheckContext) -> Iterator[Issue]:
    """Head ↔ worker Ray ports are open in both directions for every worker group."""
    pols = policies(ctx.index)
    clusters: dict[int, list[PodView]] = {}
    for pod in ctx.index.ray_pods():
        clusters.setdefault(id(pod.owner), []).append(pod)
    for pods in clusters.values():
        head = next((p for p in pods if p.ray_role == "head"), None)
        if head is None:
            continue
        for worker in (p for p in pods if p.ray_role == "worker"):
            yield from _pair(ctx, pols, worker, head)
            yield from _pair(ctx, pols, head, worker)
