"""Every namespace with Ray pods has a default-deny NetworkPolicy for Ingress and for Egress.

Risk: NetworkPolicies only allow; a pod no policy selects in a direction is open in that
direction. The default-deny (empty podSelector, the direction in policyTypes, no rules for
it) is what closes every pod of the namespace that the narrower policies forget: a new
worker group, a RayJob submitter, a debugging pod, a Ray cluster deployed by another unit.
Deleting it, or making it Egress-only, leaves the Ray dashboard (the Jobs API runs any
command it is sent), client and GCS ports of those pods reachable from every pod of the
cluster, and lets them reach anything, without any other policy changing. Reported per
namespace and direction (variant `[ingress]` / `[egress]`): at the policy with an empty
podSelector when one exists but does not deny that direction, else at the namespace of the
first Ray object there.
Checks see one render target at a time. Option `exempt_targets` (globs, or `{target: …,
reason: …}` mappings) names the targets whose namespace gets its default-deny from another
unit of the same environment (none by default; this repository's config exempts the Ray
workloads in `apps/`, deployed into `kuberay`, whose default-deny ships with
`overlays/<env>/raycluster` and is judged there). A default-deny that an exempt target does
render must still cover both directions.
PASS / FAIL examples: tests/unit/checks/test_netpol_default_deny.py
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator, Mapping
from typing import Any

from kuberay_gitops.checks._api import CheckContext, CheckSpec, Issue
from kuberay_gitops.checks._netpol import EGRESS, INGRESS, Policy, policies
from kuberay_gitops.checks._pod import items, mapping
from kuberay_gitops.findings import FieldPath, Profile, Severity
from kuberay_gitops.index import PodView

CHECK = CheckSpec(
    id="netpol-default-deny",
    severity=Severity.ERROR,
    summary="every namespace with Ray pods has a default-deny NetworkPolicy for Ingress and Egress",
    hint="keep a NetworkPolicy with podSelector: {}, policyTypes [Ingress, Egress] and no "
    "rules in the namespace (base/networkpolicy/networkpolicy-ray-default-deny.yaml)",
    profile=Profile.PLATFORM,
    options={"exempt_targets": []},
)


def _exempt(options: Mapping[str, Any], target: str) -> bool:
    for entry in items(options.get("exempt_targets")):
        pattern = mapping(entry).get("target") if isinstance(entry, Mapping) else entry
        if isinstance(pattern, str) and fnmatch.fnmatchcase(target, pattern):
            return True
    return False


def _existing(body: Mapping[str, Any], path: FieldPath) -> FieldPath:
    """`path`, or its longest prefix present in `body`."""
    node: Any = body
    for i, part in enumerate(path):
        if not isinstance(node, Mapping) or part not in node:
            return path[:i]
        node = node[part]
    return path


def _of_namespace(pols: list[Policy], namespace: str) -> list[Policy]:
    """Policies of the namespace (`is_default_deny` also wants an empty podSelector)."""
    return [p for p in pols if p.namespace == namespace]


def _issue(namespace: str, direction: str, own: list[Policy], first: PodView) -> Issue:
    """Where a missing default-deny for `direction` is reported, and why."""
    word = direction.lower()
    other = EGRESS if direction == INGRESS else INGRESS
    for pol in (p for p in own if p.is_default_deny(other)):
        if direction not in pol.types:
            field = _existing(pol.obj.body, ("spec", "policyTypes"))
            why = f"its policyTypes leave out {direction}"
        else:
            field = _existing(pol.obj.body, ("spec", pol.rules_key(direction)))
            why = f"its {word} rules allow traffic"
        return Issue(
            pol.obj,
            field,
            f'namespace "{namespace}" holds Ray pods but has no default-deny for {word}: '
            f'the default-deny NetworkPolicy "{pol.name}" denies only {other.lower()} '
            f"({why})",
            variant=word,
        )
    return Issue(
        first.owner,
        _existing(first.owner.body, ("metadata", "namespace")),
        f'namespace "{namespace}" holds Ray pods ({first}) but no NetworkPolicy denies {word} '
        f"by default (podSelector: {{}}, {direction} in policyTypes, no {word} rules)",
        variant=word,
    )


def run(ctx: CheckContext) -> Iterator[Issue]:
    """Each namespace with Ray pods, each direction."""
    pols = policies(ctx.index)
    exempt = _exempt(ctx.options, ctx.index.target)
    first: dict[str, PodView] = {}
    for pod in ctx.index.ray_pods():
        first.setdefault(pod.namespace, pod)
    for namespace, pod in first.items():
        own = _of_namespace(pols, namespace)
        denied = [d for d in (INGRESS, EGRESS) if any(p.is_default_deny(d) for p in own)]
        if exempt and not denied:
            continue  # its default-deny ships with another unit
        for direction in (INGRESS, EGRESS):
            if direction not in denied:
                yield _issue(namespace, direction, own, pod)
