"""No Ray pod and no KubeRay operator may reach the whole Internet or the cloud metadata address.

Why: the heads of RayJobs and RayServices run user code, and the operator holds rights over
every Ray pod; egress to `0.0.0.0/0` (or `::/0`) lets either exfiltrate anything anywhere, and
the metadata address (169.254.169.254, fd00:ec2::254) hands out the node's cloud credentials.
The API server needs only its endpoint addresses (`overlays/<env>/apiserver`).
The union of every `ipBlock` the pod's egress policies allow is judged, so a range split over
rules or policies (`0.0.0.0/1` + `128.0.0.0/1`) counts as the whole; half of IPv4 or all of
`2000::/3` counts as the Internet, and an `except` does not make `0.0.0.0/0` narrow. CIDRs are
read as the API server reads them (`00.0.0.0/0` is `0.0.0.0/0`). A rule without `to` allows
every destination. Reported at each rule that contributes (variant `[internet]`), or that
reaches a metadata address (`[metadata]`).
PASS / FAIL examples: tests/unit/checks/test_netpol_egress_broad.py
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any

from kuberay_gitops.checks._api import CheckContext, CheckSpec, Issue
from kuberay_gitops.checks._netpol import EGRESS, all_pods, pod_name, policies, restricting
from kuberay_gitops.findings import FieldPath, Profile, Severity
from kuberay_gitops.index import RAY_KINDS, operator_container
from kuberay_gitops.manifests import K8sObject

CHECK = CheckSpec(
    id="netpol-egress-broad",
    severity=Severity.ERROR,
    summary="no Ray or operator pod may egress to the whole Internet or the metadata address",
    hint="allow only the addresses the pod needs (for the API server: its endpoint addresses "
    "in overlays/<env>/apiserver)",
    profile=Profile.PLATFORM,
)
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
# Prefix lengths, per IP version, up to which a block is "large".
LARGE: Mapping[int, int] = MappingProxyType({4: 16, 6: 48})
# Cloud metadata and pod-identity endpoints (AWS IMDS and EKS Pod Identity, GCP, Azure).
METADATA = tuple(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "169.254.170.23", "fd00:ec2::254", "fd00:ec2::23")
)
# A pod that may reach this many addresses reaches the Internet, whatever else is carved out
# (half of IPv4; 2000::/3, all global IPv6 unicast).
BROAD: Mapping[int, int] = MappingProxyType({4: 2**31, 6: 2**125})


def _blocks(rule: Mapping[str, Any]) -> list[tuple[Network, list[Network]]] | None:
    """(cidr, excepts) of the rule's ipBlocks; None when the rule has no `to` (everything)."""
    peers = rule.get("to")
    if not peers:
        return None
    out = []
    for peer in peers if isinstance(peers, list) else []:
        block = peer.get("ipBlock") if isinstance(peer, Mapping) else None
        if not isinstance(block, Mapping):
            continue
        try:
            cidr = _network(block.get("cidr"))
            excepts = [_network(e) for e in block.get("except") or []]
        except ValueError:
            continue  # not a CIDR even to the API server: cluster-apply reports it
        out.append((cidr, excepts))
    return out


def _network(value: Any) -> Network:
    """A CIDR as the API server reads it (Go's sloppy parser allows `00.0.0.0/0`).

    ValueError unless it is `address/bits`: a bare address is no CIDR to the API server.
    Host bits are ignored (`10.0.0.7/8` is `10.0.0.0/8`).
    """
    addr, bits = str(value).strip().split("/")
    if "." in addr and ":" not in addr:
        addr = ".".join(str(int(o)) if o.isdigit() else o for o in addr.split("."))
    return ipaddress.ip_interface(f"{addr}/{bits}").network


def _whole(networks: list[Network]) -> bool:
    """The networks together reach the Internet: half of IPv4 or all global IPv6 or more."""
    v4 = [n for n in networks if isinstance(n, ipaddress.IPv4Network)]
    v6 = [n for n in networks if isinstance(n, ipaddress.IPv6Network)]
    total4 = sum(n.num_addresses for n in ipaddress.collapse_addresses(v4))
    total6 = sum(n.num_addresses for n in ipaddress.collapse_addresses(v6))
    return total4 >= BROAD[4] or total6 >= BROAD[6]


def _judged(owner: K8sObject) -> bool:
    return owner.ref.kind in RAY_KINDS or operator_container(owner) is not None


def run(ctx: CheckContext) -> Iterator[Issue]:
    """Each egress rule that makes a Ray or operator pod's allowed addresses too broad."""
    pols = policies(ctx.index)
    reported: set[tuple[str, FieldPath]] = set()  # rules reported as the whole Internet
    flagged: set[tuple[str, FieldPath]] = set()  # rules reported for a metadata address
    for pod in all_pods(ctx.index):
        if not _judged(pod.owner):
            continue
        contributing: list[tuple[K8sObject, FieldPath, Network | None]] = []
        metadata: list[tuple[K8sObject, FieldPath]] = []
        for pol in restricting(pols, pod.labels, pod.namespace, EGRESS):
            for i, rule in pol.rules(EGRESS):
                at: FieldPath = ("spec", "egress", i)
                blocks = _blocks(rule)
                if blocks is None:
                    contributing.append((pol.obj, at, None))
                    continue
                for cidr, excepts in blocks:
                    contributing.append((pol.obj, (*at, "to"), cidr))
                    if any(a in cidr and not any(a in e for e in excepts) for a in METADATA):
                        metadata.append((pol.obj, (*at, "to")))
        networks = [n for _, _, n in contributing if n is not None]
        anything = any(n is None for _, _, n in contributing)
        if anything or _whole(networks):
            # The rules that make it so: no `to`, or a large block (all of them if none is).
            large = [
                c for c in contributing if c[2] is None or c[2].prefixlen <= LARGE[c[2].version]
            ]
            for obj, at, n in large or contributing:
                key = (f"{obj.ref}", at)
                if key in reported:
                    continue
                reported.add(key)
                what = "every destination" if n is None else f"{n}"
                yield Issue(
                    obj,
                    at,
                    f"{pod_name(pod)} may reach {what}: with its other egress rules that is "
                    "the whole Internet",
                    variant="internet",
                )
        for obj, at in metadata:  # the whole Internet includes it: reported once, as that
            key = (f"{obj.ref}", at)
            if key not in reported and key not in flagged:
                flagged.add(key)
                yield Issue(
                    obj,
                    at,
                    f"{pod_name(pod)} may reach the cloud metadata address (node credentials)",
                    variant="metadata",
                )
