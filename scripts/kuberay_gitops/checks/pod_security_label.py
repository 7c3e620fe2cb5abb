"""Every Namespace enforces a Pod Security Standard at or above the option `minimum`.

Risk: the `pod-security.kubernetes.io/enforce` label is what makes the API server refuse
privileged, host-namespace, hostPath and root pods in the namespace: lowered to
`privileged` (or removed: Kubernetes then enforces nothing unless the cluster's own default
says otherwise), the namespace admits them all, and every securityContext this repository
sets becomes a convention that one pull request can undo, including in pods KubeRay
creates. Levels rank privileged < baseline < restricted; option `minimum` (default
`baseline`) is the lowest accepted. An unknown value is a finding too.
PASS / FAIL examples: tests/unit/checks/test_pod_security_label.py
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import MappingProxyType

from kuberay_gitops.checks._api import CheckContext, CheckSpec, Issue
from kuberay_gitops.checks._pod import mapping
from kuberay_gitops.findings import Profile, Severity

ENFORCE = "pod-security.kubernetes.io/enforce"
LEVELS: Mapping[str, int] = MappingProxyType({"privileged": 0, "baseline": 1, "restricted": 2})
DEFAULT_MINIMUM = "baseline"

CHECK = CheckSpec(
    id="pod-security-label",
    severity=Severity.ERROR,
    summary="Namespaces carry pod-security.kubernetes.io/enforce at or above the option "
    "minimum (default baseline)",
    hint=f"label the Namespace {ENFORCE}: restricted (every pod template here meets it)",
    profile=Profile.PLATFORM,
    options={"minimum": DEFAULT_MINIMUM},
)


def run(ctx: CheckContext) -> Iterator[Issue]:
    """The enforce label of every rendered Namespace."""
    minimum = str(ctx.options.get("minimum") or DEFAULT_MINIMUM)
    if minimum not in LEVELS:
        raise ValueError(f'option minimum must be one of {", ".join(LEVELS)}, got "{minimum}"')
    floor = LEVELS[minimum]
    for ns in ctx.index.of_kind("Namespace"):
        labels = ns.labels
        if ENFORCE not in labels:
            has_labels = "labels" in mapping(ns.body.get("metadata"))
            yield Issue(
                ns,
                ("metadata", "labels") if has_labels else ("metadata",),
                f'Namespace "{ns.ref.name}" has no {ENFORCE} label: it admits privileged pods; '
                f"expected {minimum} or stricter",
            )
            continue
        level = str(labels[ENFORCE])
        if LEVELS.get(level, -1) < floor:
            what = "an unknown level" if level not in LEVELS else "below the minimum"
            yield Issue(
                ns,
                ("metadata", "labels", ENFORCE),
                f'Namespace "{ns.ref.name}" enforces Pod Security "{level}" ({what}); '
                f"expected {minimum} or stricter",
            )
