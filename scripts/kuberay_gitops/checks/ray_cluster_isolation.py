"""Ray clusters sharing a namespace are isolated from each other: network and token.

Why: user code runs in every Ray cluster (a RayJob's driver and tasks, a RayService's
replicas). If a NetworkPolicy lets any Ray pod reach any other, and every cluster accepts
the same token, that code can submit jobs to, or read objects from, another cluster: the
shared RayCluster included. Two rules:
`[netpol]` a NetworkPolicy that admits Ray pods (or RayJob submitters) as peers of Ray pods
in the same namespace must pin one Ray cluster on both sides: its podSelector and each such
peer's podSelector set the same value of an identity label (option `identity_labels`,
default `ray.io/cluster`, which KubeRay sets on every pod and lets no template override, and
`app.kubernetes.io/instance`, for RayJob and RayService clusters whose generated names
cannot be written in Git). Peers are recognised by matching the target's Ray pods and
submitters with the identity labels ignored.
`[token]` each Ray cluster has its own token: `authOptions.secretName` unset (KubeRay
creates one Secret per RayCluster, named after it) or named after its owner object and used
by no other cluster of the target; a RayJob submitter takes its token from KubeRay, never
from a Secret of its own choosing (KubeRay does not overwrite a RAY_AUTH_TOKEN already set).
PASS / FAIL examples: tests/unit/checks/test_ray_cluster_isolation.py
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from kuberay_gitops.checks import _netpol
from kuberay_gitops.checks._api import CheckContext, CheckSpec, Issue
from kuberay_gitops.checks._pod import RayClusterRef, ray_clusters
from kuberay_gitops.findings import FieldPath, Profile, Severity
from kuberay_gitops.index import ObjectIndex, PodView

CHECK = CheckSpec(
    id="ray-cluster-isolation",
    severity=Severity.ERROR,
    summary="policies between Ray pods are scoped to one Ray cluster, and every Ray cluster "
    "has its own auth token",
    hint="pin the cluster (ray.io/cluster, or app.kubernetes.io/instance for RayJob/RayService "
    "clusters) in the podSelector and in every Ray peer; leave authOptions.secretName unset so "
    "KubeRay creates a token per cluster",
    profile=Profile.PLATFORM,
    options={"identity_labels": ["ray.io/cluster", "app.kubernetes.io/instance"]},
)


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def run(ctx: CheckContext) -> Iterator[Issue]:
    """Every NetworkPolicy of the target and every Ray cluster spec."""
    keys = [str(k) for k in ctx.options["identity_labels"]]
    ray_ish = [
        p
        for p in _netpol.all_pods(ctx.index)
        if p.ray_role is not None or p.path[-1:] == ("submitterPodTemplate",)
    ]
    for pol in _netpol.policies(ctx.index):
        yield from _policy(ctx.index, pol, ray_ish, keys)
    yield from _tokens(ctx.index)


# ----------------------------------------------------------------------------- netpol


def _pins(selector: Mapping[str, Any], keys: Sequence[str]) -> dict[str, str]:
    """Identity labels a selector fixes to one value (matchLabels or In with one value)."""
    out = {str(k): str(v) for k, v in _mapping(selector.get("matchLabels")).items() if k in keys}
    exprs = selector.get("matchExpressions")
    for e in exprs if isinstance(exprs, list) else []:
        values = _mapping(e).get("values")
        if (
            _mapping(e).get("key") in keys
            and _mapping(e).get("operator") == "In"
            and isinstance(values, list)
            and len(values) == 1
        ):
            out[str(e["key"])] = str(values[0])
    return out


def _matches_ignoring(
    selector: Mapping[str, Any], labels: Mapping[str, str], keys: Sequence[str]
) -> bool:
    """LabelSelector semantics with the identity labels' conditions left out."""
    for k, v in _mapping(selector.get("matchLabels")).items():
        if k not in keys and labels.get(str(k)) != str(v):
            return False
    exprs = selector.get("matchExpressions")
    for raw in exprs if isinstance(exprs, list) else []:
        e = _mapping(raw)
        key = str(e.get("key"))
        if key in keys:
            continue
        values = {str(v) for v in e.get("values") or []}
        op, has = e.get("operator"), key in labels
        if (
            (op == "In" and not (has and labels[key] in values))
            or (op == "NotIn" and has and labels[key] in values)
            or (op == "Exists" and not has)
            or (op == "DoesNotExist" and has)
        ):
            return False
    return True


def _policy(
    index: ObjectIndex, pol: _netpol.Policy, ray_ish: Sequence[PodView], keys: Sequence[str]
) -> Iterator[Issue]:
    local = [p for p in ray_ish if p.namespace == pol.namespace]
    if not any(_matches_ignoring(pol.pod_selector, p.labels, keys) for p in local):
        return
    pinned = _pins(pol.pod_selector, keys)
    ns_labels = index.namespace_labels(pol.namespace)
    for key, peer_key in (("ingress", "from"), ("egress", "to")):
        rules = pol.obj.spec.get(key)
        for i, rule in enumerate(rules if isinstance(rules, list) else []):
            peers = _mapping(rule).get(peer_key)
            for j, raw in enumerate(peers if isinstance(peers, list) else []):
                peer = _mapping(raw)
                if "ipBlock" in peer:
                    continue
                ns_sel = peer.get("namespaceSelector")
                if ns_sel is not None and not _matches_ignoring(_mapping(ns_sel), ns_labels, ()):
                    continue
                pod_sel = _mapping(peer.get("podSelector"))
                if "podSelector" in peer and not any(
                    _matches_ignoring(pod_sel, p.labels, keys) for p in local
                ):
                    continue
                theirs = _pins(pod_sel, keys)
                if any(pinned.get(k) == v for k, v in theirs.items()):
                    continue
                path: FieldPath = ("spec", key, i, peer_key, j)
                if "podSelector" in peer:
                    path = (*path, "podSelector")
                yield Issue(
                    pol.obj,
                    path,
                    f"NetworkPolicy {pol.name} lets Ray pods of other clusters through "
                    f"({key} peer {j} of rule {i} pins no cluster the podSelector pins: "
                    f"podSelector {_fmt(pinned)}, peer {_fmt(theirs)})",
                    variant="netpol",
                )


def _fmt(pins: Mapping[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(pins.items())) or "no identity label"


# ----------------------------------------------------------------------------- tokens


def _secret_name(cluster: RayClusterRef) -> str | None:
    value = _mapping(cluster.spec.get("authOptions")).get("secretName")
    return str(value) if value else None


def _tokens(index: ObjectIndex) -> Iterator[Issue]:
    clusters = [c for c in ray_clusters(index) if c.token_auth and not c.k8s_token_auth]
    users: dict[tuple[str, str], list[RayClusterRef]] = {}
    for c in clusters:
        name = _secret_name(c)
        if name:
            users.setdefault((c.owner.ref.namespace or "default", name), []).append(c)
    for c in clusters:
        name = _secret_name(c)
        if name is None:
            continue
        ns = c.owner.ref.namespace or "default"
        shared = len(users[(ns, name)]) > 1
        if shared or not name.startswith(c.owner.ref.name):
            why = (
                "shared with another Ray cluster of this target"
                if shared
                else f"not named after {c.owner.ref.name}, so other clusters can use it too"
            )
            yield Issue(
                c.owner,
                (*c.path, "authOptions", "secretName"),
                f"{c.label}: auth token Secret {name} is {why}; a token that opens one Ray "
                "cluster must open no other",
                variant="token",
            )
    for job in index.of_kind("RayJob"):
        yield from _submitter_token(job)


def _submitter_token(job: Any) -> Iterator[Issue]:
    spec = _mapping(job.spec.get("submitterPodTemplate")).get("spec")
    containers = _mapping(spec).get("containers")
    for i, c in enumerate(containers if isinstance(containers, list) else []):
        env = _mapping(c).get("env")
        for k, var in enumerate(env if isinstance(env, list) else []):
            ref = _mapping(_mapping(_mapping(var).get("valueFrom")).get("secretKeyRef"))
            if _mapping(var).get("name") != "RAY_AUTH_TOKEN" or not ref:
                continue
            cluster_secret = _mapping(
                _mapping(job.spec.get("rayClusterSpec")).get("authOptions")
            ).get("secretName")
            if ref.get("name") == cluster_secret:
                continue
            yield Issue(
                job,
                ("spec", "submitterPodTemplate", "spec", "containers", i, "env", k),
                f"RayJob {job.ref.name}: the submitter reads RAY_AUTH_TOKEN from Secret "
                f"{ref.get('name')}, not from its own cluster's token (KubeRay injects that one "
                "only when the variable is not set)",
                variant="token",
            )
