"""A KubeRay operator watching given namespaces has no cluster-wide Secrets, Pods, Services.

Why: with `--watch-namespace` the KubeRay operator reconciles Ray objects in those namespaces
only (its cache is namespaced, `ray-operator/main.go` v1.7.0), yet the upstream manifests bind
its ClusterRole cluster-wide: whoever takes over the operator's ServiceAccount token reads every
Secret of the cluster and creates Pods anywhere. Bind the ClusterRole with a RoleBinding in
each watched namespace instead (`components/namespaced-operator`), as the upstream Helm
chart's single-namespace install does; the control-plane twin runs the real operator with
exactly the rights the repository gives it, so a grant missing there is a `cluster-operator`
finding. An operator without `--watch-namespace` watches every namespace and is not judged.
PASS / FAIL examples: tests/unit/checks/test_rbac_operator_scope.py
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from kuberay_gitops.checks._api import CheckContext, CheckSpec, Issue
from kuberay_gitops.findings import Profile, Severity
from kuberay_gitops.index import get_path, operator_container

CHECK = CheckSpec(
    id="rbac-operator-scope",
    severity=Severity.ERROR,
    summary="a KubeRay operator watching given namespaces has no cluster-wide grant on "
    "secrets, pods or services",
    hint="delete the ClusterRoleBinding and bind the ClusterRole with a RoleBinding in each "
    "watched namespace (components/namespaced-operator)",
    profile=Profile.PLATFORM,
)
SENSITIVE = frozenset({"secrets", "pods", "services", "*"})
WATCH_NAMESPACE = "--watch-namespace="


def _watches_some(container: Mapping[str, Any]) -> bool:
    """`--watch-namespace=<names>` with a name (empty: every namespace, as unset)."""
    for arg in container.get("args") or []:
        text = str(arg)
        if text.startswith(WATCH_NAMESPACE) and text[len(WATCH_NAMESPACE) :].strip():
            return True
    return False


def _sensitive(rules: Any) -> list[str]:
    """The sensitive core resources a ClusterRole's rules grant."""
    out: set[str] = set()
    for rule in rules if isinstance(rules, list) else []:
        if not isinstance(rule, Mapping):
            continue
        groups = {str(g) for g in rule.get("apiGroups") or []}
        if groups & {"", "*"}:
            out |= {str(r) for r in rule.get("resources") or []} & SENSITIVE
    return sorted(out)


def _covers(subject: Mapping[str, Any], accounts: set[tuple[str, str]]) -> bool:
    """The subject is one of the accounts, or a group every one of them is in."""
    kind, name = subject.get("kind"), str(subject.get("name", ""))
    if kind == "ServiceAccount":
        return (name, str(subject.get("namespace") or "")) in accounts
    if kind == "Group":
        return name in ("system:serviceaccounts", "system:authenticated") or any(
            name == f"system:serviceaccounts:{ns}" for _, ns in accounts
        )
    return False


def run(ctx: CheckContext) -> Iterator[Issue]:
    """Each ClusterRoleBinding of a namespace-watching operator's ServiceAccount."""
    accounts: set[tuple[str, str]] = set()
    for dep in ctx.index.of_kind("Deployment"):
        found = operator_container(dep)
        if found is None or not _watches_some(found[1]):
            continue
        sa = get_path(dep.body, ("spec", "template", "spec", "serviceAccountName"))
        accounts.add((str(sa or "default"), dep.ref.namespace or "default"))
    if not accounts:
        return
    for binding in ctx.index.of_kind("ClusterRoleBinding"):
        ref = binding.body.get("roleRef") or {}
        role = ctx.index.get("ClusterRole", str(ref.get("name", "")))
        if role is None or role.body.get("aggregationRule"):
            # Rules not in the repository (cluster-admin, an aggregated role): anything.
            granted = [f"whatever ClusterRole {ref.get('name')} grants"]
        else:
            granted = _sensitive(role.body.get("rules"))
        if not granted:
            continue
        for i, subject in enumerate(binding.body.get("subjects") or []):
            if _covers(subject, accounts):
                yield Issue(
                    binding,
                    ("subjects", i),
                    "the KubeRay operator watches given namespaces but this binding grants its "
                    f"account ClusterRole {ref.get('name')} cluster-wide: "
                    f"{', '.join(granted)} in every namespace",
                )
