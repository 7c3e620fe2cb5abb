"""ClusterRoles and ClusterRoleBindings exist only where the option `allowed` lists them.

Risk: cluster-scoped RBAC reaches every namespace, present and future; a namespaced Role
and RoleBinding suffice for Ray workloads. The KubeRay operator needs its ClusterRole and
binding to watch Ray resources everywhere, so `allowed` defaults to `kuberay-operator`.
Entries are names (globs allowed) or `{name: …, reason: …}` mappings so the config records
why; setting the option replaces the default, so keep `kuberay-operator` in the list.
PASS / FAIL examples: tests/unit/checks/test_rbac_cluster_scoped.py
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator

from kuberay_gitops.checks._api import CheckContext, CheckSpec, Issue
from kuberay_gitops.checks._pod import items, mapping
from kuberay_gitops.findings import Profile, Severity

CHECK = CheckSpec(
    id="rbac-cluster-scoped",
    severity=Severity.ERROR,
    summary="ClusterRole/ClusterRoleBinding only when listed in the option allowed",
    hint="use a namespaced Role and RoleBinding, or add the name to checks."
    "rbac-cluster-scoped.options.allowed with a reason",
    profile=Profile.PLATFORM,
    options={"allowed": ["kuberay-operator"]},
)


def _names(allowed: object) -> list[str]:
    out = []
    for entry in items(allowed):
        name = mapping(entry).get("name") if isinstance(entry, dict) else entry
        if isinstance(name, str) and name:
            out.append(name)
    return out


def run(ctx: CheckContext) -> Iterator[Issue]:
    """Every ClusterRole and ClusterRoleBinding against the allowed names."""
    allowed = _names(ctx.options.get("allowed"))
    for obj in ctx.index.of_kind("ClusterRole", "ClusterRoleBinding"):
        if any(fnmatch.fnmatchcase(obj.ref.name, p) for p in allowed):
            continue
        yield Issue(
            obj,
            ("metadata", "name"),
            f'{obj.ref.kind} "{obj.ref.name}" is cluster-scoped and not in the allowed list',
        )
