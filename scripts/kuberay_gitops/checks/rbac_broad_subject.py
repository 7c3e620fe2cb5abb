"""No RoleBinding or ClusterRoleBinding grants a role to everyone, every account or anonymous.

Risk: the subjects `system:authenticated` (every user and every ServiceAccount token of the
cluster, Ray pods running user code included), `system:unauthenticated` and
`system:anonymous` (anyone who reaches the API server), `system:serviceaccounts` (every
ServiceAccount of every namespace) and `system:serviceaccounts:<namespace>` (every
ServiceAccount of that namespace, so every pod there) turn one binding into a grant to
people and workloads nobody reviewed: `cluster-admin` bound to `system:authenticated` makes
every job submitted to Ray a cluster administrator. Any role counts, a ClusterRole bound by a
RoleBinding too, since the rules of a role outside the repository (cluster-admin, an
aggregated role) are unknown here. Bind a named ServiceAccount, user or team group instead.
PASS / FAIL examples: tests/unit/checks/test_rbac_broad_subject.py
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import MappingProxyType

from kuberay_gitops.checks._api import CheckContext, CheckSpec, Issue
from kuberay_gitops.checks._pod import items, mapping
from kuberay_gitops.findings import Profile, Severity

CHECK = CheckSpec(
    id="rbac-broad-subject",
    severity=Severity.ERROR,
    summary="no (Cluster)RoleBinding binds system:authenticated, system:unauthenticated, "
    "system:anonymous or system:serviceaccounts[:<namespace>]",
    hint="bind the role to the ServiceAccount, user or team group that needs it, never to a "
    "built-in group every account (or anyone) is in",
    profile=Profile.CORRECTNESS,
)

# Built-in subjects and who they are (Kubernetes authentication, "user-facing roles").
BROAD: Mapping[str, str] = MappingProxyType(
    {
        "system:authenticated": "every authenticated user and ServiceAccount",
        "system:unauthenticated": "every unauthenticated request",
        "system:anonymous": "anonymous requests",
        "system:serviceaccounts": "every ServiceAccount of every namespace",
    }
)
_SA_NAMESPACE_PREFIX = "system:serviceaccounts:"


def _who(name: str) -> str | None:
    """Who a broad subject name stands for, or None for a named subject."""
    if name in BROAD:
        return BROAD[name]
    if name.startswith(_SA_NAMESPACE_PREFIX) and name != _SA_NAMESPACE_PREFIX:
        return f'every ServiceAccount of namespace "{name.removeprefix(_SA_NAMESPACE_PREFIX)}"'
    return None


def run(ctx: CheckContext) -> Iterator[Issue]:
    """Every subject of every RoleBinding and ClusterRoleBinding."""
    for binding in ctx.index.of_kind("RoleBinding", "ClusterRoleBinding"):
        ref = mapping(binding.body.get("roleRef"))
        role = f'{ref.get("kind", "role")} "{ref.get("name", "")}"'
        scope = (
            "cluster-wide"
            if binding.ref.kind == "ClusterRoleBinding"
            else f'in namespace "{binding.ref.namespace or "default"}"'
        )
        for i, subject in enumerate(items(binding.body.get("subjects"))):
            name = mapping(subject).get("name")
            who = _who(name) if isinstance(name, str) else None
            if who is None:
                continue
            yield Issue(
                binding,
                ("subjects", i, "name"),
                f'{binding.ref.kind} grants {role} {scope} to "{name}": {who}',
            )
