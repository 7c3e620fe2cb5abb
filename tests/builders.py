"""Builders of small Kubernetes objects for in-memory tests (no kustomize, no files).

Each returns a plain manifest dict; `index(*bodies)` makes the ObjectIndex a check or the
posture diff reads, and `issues(check_id, *bodies)` runs one check on it: the fast path
for the many cases of a check, while a few end-to-end tests per check family prove the
file and line. Keyword overrides replace whole fields, so a test states only what its
behaviour depends on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from kuberay_gitops import checks as registry
from kuberay_gitops.checks._api import CheckContext, RepoFacts
from kuberay_gitops.findings import format_field
from kuberay_gitops.index import ObjectIndex
from kuberay_gitops.manifests import objects_from_docs

Body = dict[str, Any]


def index(*bodies: Mapping[str, Any], target: str = "t") -> ObjectIndex:
    """An index of the given objects, as if one target had rendered them."""
    return ObjectIndex(objects_from_docs([dict(b) for b in bodies], target), target)


def namespace(name: str, labels: Mapping[str, str] | None = None) -> Body:
    """A Namespace with labels."""
    meta: Body = {"name": name}
    if labels:
        meta["labels"] = dict(labels)
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": meta}


def container(name: str = "app", ports: Sequence[int | tuple[int, str]] = (), **extra: Any) -> Body:
    """A container; `ports` as numbers or (number, name)."""
    out: Body = {"name": name, "image": "registry.example/app:1.0.0"}
    if ports:
        out["ports"] = [
            {"containerPort": p} if isinstance(p, int) else {"containerPort": p[0], "name": p[1]}
            for p in ports
        ]
    out.update(extra)
    return out


def deployment(
    name: str,
    namespace: str = "apps",
    labels: Mapping[str, str] | None = None,
    containers: Sequence[Body] | None = None,
    **pod_spec: Any,
) -> Body:
    """A Deployment whose pods carry `labels` (default `app: <name>`)."""
    pod_labels = dict(labels or {"app": name})
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "selector": {"matchLabels": pod_labels},
            "template": {
                "metadata": {"labels": pod_labels},
                "spec": {"containers": list(containers or [container()]), **pod_spec},
            },
        },
    }


def netpol(
    name: str,
    namespace: str = "apps",
    selector: Mapping[str, Any] | None = None,
    types: Sequence[str] = ("Ingress", "Egress"),
    ingress: Sequence[Mapping[str, Any]] = (),
    egress: Sequence[Mapping[str, Any]] = (),
) -> Body:
    """A NetworkPolicy (`selector` None: every pod of the namespace)."""
    spec: Body = {"podSelector": dict(selector or {}), "policyTypes": list(types)}
    if ingress:
        spec["ingress"] = [dict(r) for r in ingress]
    if egress:
        spec["egress"] = [dict(r) for r in egress]
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
    }


def role(name: str, rules: Sequence[Mapping[str, Any]], namespace: str | None = "apps") -> Body:
    """A Role (with a namespace) or a ClusterRole (namespace None)."""
    meta: Body = {"name": name}
    if namespace is not None:
        meta["namespace"] = namespace
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role" if namespace is not None else "ClusterRole",
        "metadata": meta,
        "rules": [dict(r) for r in rules],
    }


def binding(
    name: str,
    role_kind: str,
    role_name: str,
    subjects: Sequence[Mapping[str, Any]],
    namespace: str | None = "apps",
) -> Body:
    """A RoleBinding (with a namespace) or a ClusterRoleBinding (namespace None)."""
    meta: Body = {"name": name}
    if namespace is not None:
        meta["namespace"] = namespace
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding" if namespace is not None else "ClusterRoleBinding",
        "metadata": meta,
        "roleRef": {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": role_kind,
            "name": role_name,
        },
        "subjects": [dict(s) for s in subjects],
    }


def service_account(name: str, namespace: str = "apps") -> Body:
    """A subject entry for a ServiceAccount."""
    return {"kind": "ServiceAccount", "name": name, "namespace": namespace}


def raycluster(name: str = "rc", namespace: str = "apps", **spec: Any) -> Body:
    """A RayCluster with one head and one worker group; `spec` keys override."""
    ray = container("ray-head", image="rayproject/ray:2.55.1")
    worker = container("ray-worker", image="rayproject/ray:2.55.1")
    body: Body = {
        "apiVersion": "ray.io/v1",
        "kind": "RayCluster",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "headGroupSpec": {
                "rayStartParams": {},
                "template": {"spec": {"containers": [ray]}},
            },
            "workerGroupSpecs": [
                {
                    "groupName": "workers",
                    "replicas": 1,
                    "minReplicas": 1,
                    "maxReplicas": 2,
                    "rayStartParams": {},
                    "template": {"spec": {"containers": [worker]}},
                }
            ],
        },
    }
    body["spec"].update(spec)
    return body


def app_project(name: str = "platform", namespace: str = "argocd", **spec: Any) -> Body:
    """An Argo CD AppProject; `spec` keys as given."""
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AppProject",
        "metadata": {"name": name, "namespace": namespace},
        "spec": dict(spec),
    }


def issues(
    check_id: str,
    *bodies: Mapping[str, Any],
    options: Mapping[str, Any] | None = None,
) -> list[tuple[str, str, str, str]]:
    """One check over an in-memory index (no kustomize, no locator): the fast path.

    (qualified id, `Kind/name`, field as the report prints it, message) per issue, with
    the check's declared options updated by `options`. Whether a finding lands on the
    right file and line is the end-to-end tests' business (`run_check`).
    """
    module = registry.REGISTRY[check_id]
    merged = {**registry.spec(module).options, **(options or {})}
    ctx = CheckContext(index(*bodies), merged, RepoFacts())
    return [
        (
            f"{check_id}[{i.variant}]" if i.variant else check_id,
            f"{i.obj.ref.kind}/{i.obj.ref.name}",
            format_field(i.field),
            i.message,
        )
        for i in registry.function(module)(ctx)
    ]
