"""No selector may match both the KubeRay operator's pods and Ray pods.

Why: KubeRay labels every Ray pod (and the head Service) `app.kubernetes.io/name: kuberay`,
the same label the upstream operator Deployment and Service carry, so a selector built from
that label alone routes operator traffic to Ray pods (or the reverse), opens NetworkPolicy
holes, or scrapes the wrong targets.
Each selector is tested against synthetic label sets, since the operator and the Ray
clusters usually live in different targets: the operator's pods/Service
(`app.kubernetes.io/name: kuberay`, `app.kubernetes.io/component: kuberay-operator`, plus
any operator pods or Services rendered in the target) and Ray head/worker pods or the
KubeRay head Service (KubeRay's labels, plus the Ray pods and generated Services of the
target). Checked: Service `.spec.selector`; NetworkPolicy `.spec.podSelector` and the
podSelectors of its `from`/`to` peers; ServiceMonitor (against Services) and PodMonitor
`.spec.selector`; Deployment, StatefulSet, DaemonSet, ReplicaSet and PodDisruptionBudget
`.spec.selector`. Empty selectors (all pods, by design) are not reported; namespaces are
ignored, since the operator may watch and share the Ray namespace.
PASS / FAIL examples: tests/unit/checks/test_selector_operator_and_ray.py
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import Any

from kuberay_gitops.checks._api import CheckContext, CheckSpec, Issue
from kuberay_gitops.checks._netpol import (
    OPERATOR_LABELS,
    RAY_POD_LABELS,
    selector_is_empty,
    services,
)
from kuberay_gitops.findings import FieldPath, Profile, Severity
from kuberay_gitops.index import label_selector_matches
from kuberay_gitops.manifests import K8sObject

CHECK = CheckSpec(
    id="selector-operator-and-ray",
    severity=Severity.ERROR,
    summary="no selector matches both KubeRay operator pods and Ray pods",
    hint="select the operator by app.kubernetes.io/component: kuberay-operator and Ray pods "
    "by ray.io/* labels (ray.io/is-ray-node, ray.io/node-type, ray.io/cluster), never by "
    "app.kubernetes.io/name: kuberay alone",
    profile=Profile.CORRECTNESS,
)

_WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "PodDisruptionBudget")
_RAY_PODS: tuple[Mapping[str, str], ...] = tuple(
    {
        **RAY_POD_LABELS,
        "ray.io/cluster": "raycluster",
        "ray.io/node-type": role,
        "ray.io/group": group,
        "ray.io/identifier": f"raycluster-{role}",
    }
    for role, group in (("head", "headgroup"), ("worker", "workergroup"))
)
_RAY_HEAD_SERVICE: Mapping[str, str] = MappingProxyType(
    {
        "ray.io/cluster": "raycluster",
        "ray.io/node-type": "head",
        "ray.io/identifier": "raycluster-head",
        "app.kubernetes.io/name": "kuberay",
        "app.kubernetes.io/created-by": "kuberay-operator",
    }
)


def _describe(sel: Mapping[str, Any]) -> str:
    parts = [f"{k}={v}" for k, v in sorted((sel.get("matchLabels") or {}).items())]
    for e in sel.get("matchExpressions") or []:
        if isinstance(e, Mapping):
            values = ",".join(str(v) for v in e.get("values") or [])
            parts.append(f"{e.get('key')} {e.get('operator')}" + (f" ({values})" if values else ""))
    return ", ".join(parts)


def _selectors(obj: K8sObject) -> Iterator[tuple[FieldPath, Mapping[str, Any], str]]:
    """(field, LabelSelector, what it selects: pods or services) of one object."""
    kind, spec = obj.ref.kind, obj.spec
    if kind == "Service":
        sel = spec.get("selector")
        if isinstance(sel, Mapping):
            yield ("spec", "selector"), {"matchLabels": sel}, "pods"
    elif kind == "NetworkPolicy":
        sel = spec.get("podSelector")
        if isinstance(sel, Mapping):
            yield ("spec", "podSelector"), sel, "pods"
        for key, peer_key in (("ingress", "from"), ("egress", "to")):
            rules = spec.get(key)
            for i, rule in enumerate(rules if isinstance(rules, list) else []):
                peers = rule.get(peer_key) if isinstance(rule, Mapping) else None
                for j, peer in enumerate(peers if isinstance(peers, list) else []):
                    psel = peer.get("podSelector") if isinstance(peer, Mapping) else None
                    if isinstance(psel, Mapping):
                        yield ("spec", key, i, peer_key, j, "podSelector"), psel, "pods"
    elif kind in ("ServiceMonitor", "PodMonitor") or kind in _WORKLOADS:
        sel = spec.get("selector")
        if isinstance(sel, Mapping):
            yield ("spec", "selector"), sel, "services" if kind == "ServiceMonitor" else "pods"


def _matches_any(sel: Mapping[str, Any], sets: Sequence[Mapping[str, str]]) -> bool:
    return any(label_selector_matches(sel, labels) for labels in sets)


def run(ctx: CheckContext) -> Iterator[Issue]:
    """Each non-empty selector matches operator label sets or Ray label sets, not both."""
    pods = ctx.index.pods
    operator_pods = [OPERATOR_LABELS] + [
        p.labels
        for p in pods
        if p.ray_role is None
        and p.labels.get("app.kubernetes.io/component")
        == OPERATOR_LABELS["app.kubernetes.io/component"]
    ]
    ray_pods = [*_RAY_PODS, *(p.labels for p in pods if p.ray_role is not None)]
    svcs = services(ctx.index)
    operator_svcs = [OPERATOR_LABELS] + [
        s.labels
        for s in svcs
        if not s.synthetic
        and s.labels.get("app.kubernetes.io/component")
        == OPERATOR_LABELS["app.kubernetes.io/component"]
    ]
    ray_svcs = [_RAY_HEAD_SERVICE, *(s.labels for s in svcs if s.synthetic)]
    for obj in ctx.index.of_kind(
        "Service", "NetworkPolicy", "ServiceMonitor", "PodMonitor", *_WORKLOADS
    ):
        for field, sel, what in _selectors(obj):
            if selector_is_empty(sel):
                continue
            ops, rays = (
                (operator_svcs, ray_svcs) if what == "services" else (operator_pods, ray_pods)
            )
            if _matches_any(sel, ops) and _matches_any(sel, rays):
                noun = "Service" if what == "services" else "pods"
                yield Issue(
                    obj,
                    field,
                    f"selector {_describe(sel)} matches both the KubeRay operator's {noun} and "
                    f"Ray {'head Services' if what == 'services' else 'pods'} (KubeRay labels "
                    "Ray pods and head Services app.kubernetes.io/name=kuberay too)",
                )
