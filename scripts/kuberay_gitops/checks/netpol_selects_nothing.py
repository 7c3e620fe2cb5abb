"""A NetworkPolicy with a non-empty podSelector must select at least one pod of its target.

Why: a selector that matches nothing (a typo, a label the pods do not carry) leaves the
pods it was meant for unprotected or cut off, and nothing in the cluster reports it.
An empty podSelector (`{}`) selects every pod of the namespace, including pods rendered by
other targets, and is never reported. A non-empty selector is reported when it matches no
pod of its namespace in this target (variant `[no-pods]` when the namespace has no pods in
this target at all: the policy is likely in the wrong unit). Pods that another target
renders into the namespace can be declared with the option `external_pods` (a list of
label maps); RayJob submitter pod templates in the target count as pods, and so do pod
templates inside custom resources the tool does not model (a SandboxTemplate's
`podTemplate`: its controller creates those pods).
PASS / FAIL examples: tests/unit/checks/test_netpol_selects_nothing.py
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from kuberay_gitops.checks._api import CheckContext, CheckSpec, Issue
from kuberay_gitops.checks._netpol import all_pods, pod_name, policies, selector_is_empty
from kuberay_gitops.findings import Profile, Severity
from kuberay_gitops.index import label_selector_matches

CHECK = CheckSpec(
    id="netpol-selects-nothing",
    severity=Severity.ERROR,
    summary="a NetworkPolicy's non-empty podSelector selects at least one pod of the target",
    hint="fix the podSelector labels to match the pod template labels (KubeRay adds "
    "ray.io/node-type, ray.io/group, ray.io/cluster), or move the policy to the unit that "
    "renders its pods",
    profile=Profile.CORRECTNESS,
    options={"external_pods": []},
)


def run(ctx: CheckContext) -> Iterator[Issue]:
    """Each non-empty podSelector matches a pod in the policy's namespace."""
    external: list[Mapping[str, Any]] = [
        e for e in ctx.options.get("external_pods") or [] if isinstance(e, Mapping)
    ]
    pods = all_pods(ctx.index)
    for pol in policies(ctx.index):
        if selector_is_empty(pol.obj.spec.get("podSelector")):
            continue
        in_ns = [p for p in pods if p.namespace == pol.namespace]
        if any(label_selector_matches(pol.pod_selector, p.labels) for p in in_ns):
            continue
        if any(
            label_selector_matches(pol.pod_selector, {str(k): str(v) for k, v in e.items()})
            for e in external
        ):
            continue
        if any(
            ns == pol.namespace and label_selector_matches(pol.pod_selector, labels)
            for ns, labels in ctx.index.foreign_pod_labels()
        ):
            continue
        if not in_ns:
            yield Issue(
                pol.obj,
                ("spec", "podSelector"),
                f'podSelector selects nothing: namespace "{pol.namespace}" has no pods in '
                "this target",
                variant="no-pods",
            )
            continue
        known = sorted({pod_name(p) for p in in_ns})
        yield Issue(
            pol.obj,
            ("spec", "podSelector"),
            f"podSelector matches none of the {len(in_ns)} pod template(s) of namespace "
            f'"{pol.namespace}": {", ".join(known)}',
        )
