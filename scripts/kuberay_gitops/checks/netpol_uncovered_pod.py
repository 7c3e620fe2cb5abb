"""Under a default-deny NetworkPolicy every Ray pod needs a policy that lets traffic through.

Why: a namespace-wide default-deny (empty podSelector, the direction in policyTypes, no
rules) cuts off every pod that no other policy allows, so a Ray group whose labels no
allow-policy matches hangs at start-up (workers never reach the GCS) without any error.
For each Ray group in a namespace with a default-deny for Ingress (Egress), at least one
other policy with Ingress (Egress) rules must select it. Egress rules that only open port
53 (DNS) do not count: they leave the pod cut off from everything else. Reported on the
Ray group, variant `[ingress]` / `[egress]`.
PASS / FAIL examples: tests/unit/checks/test_netpol_uncovered_pod.py
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from kuberay_gitops.checks._api import CheckContext, CheckSpec, Issue, as_int
from kuberay_gitops.checks._netpol import EGRESS, INGRESS, Policy, pod_name, policies
from kuberay_gitops.findings import Profile, Severity

CHECK = CheckSpec(
    id="netpol-uncovered-pod",
    severity=Severity.ERROR,
    summary="under a default-deny NetworkPolicy every Ray pod is selected by an allow-policy",
    hint="add a NetworkPolicy whose podSelector matches this Ray group (e.g. "
    'ray.io/is-ray-node: "yes") and allows the traffic it needs',
    profile=Profile.CORRECTNESS,
)

_DNS_NAMES = frozenset({"dns", "dns-tcp"})


def _dns_only(rule: Mapping[str, Any]) -> bool:
    ports = rule.get("ports")
    if not isinstance(ports, list) or not ports:
        return False
    for entry in ports:
        if not isinstance(entry, Mapping):
            return False
        port = entry.get("port")
        if not (as_int(port) == 53 or str(port) in _DNS_NAMES) or entry.get("endPort"):
            return False
    return True


def _allows(pol: Policy, direction: str) -> bool:
    if direction not in pol.types:
        return False
    rules = [r for _, r in pol.rules(direction)]
    if direction == EGRESS:
        rules = [r for r in rules if not _dns_only(r)]
    return bool(rules)


def run(ctx: CheckContext) -> Iterator[Issue]:
    """Ray pods under a default-deny are selected by some allow-policy per direction."""
    pols = policies(ctx.index)
    for direction in (INGRESS, EGRESS):
        deny = {p.namespace: p for p in reversed(pols) if p.is_default_deny(direction)}
        for pod in ctx.index.ray_pods():
            dd = deny.get(pod.namespace)
            if dd is None:
                continue
            if any(_allows(p, direction) and p.selects(pod.labels, pod.namespace) for p in pols):
                continue
            word = direction.lower()
            yield Issue(
                pod.owner,
                pod.group_path or pod.path,
                f"{pod_name(pod)}: {word} is denied by default-deny NetworkPolicy "
                f'"{dd.name}" and no other NetworkPolicy selecting it allows {word}',
                variant=word,
            )
