"""Roles and ClusterRoles grant no escalation path: impersonation, role edits, Secrets, exec.

Risk: each of these lets whoever holds the role become someone more powerful, whatever the
rest of its rules say: `impersonate` acts as any user, group or ServiceAccount; `escalate`
and `bind` write or bind roles with rights the holder lacks; reading Secrets (get, list,
watch) hands out every token and password of the namespace, Ray auth tokens included;
`pods/exec` and `pods/attach` run commands in any pod (a Ray head holds its cluster's token);
`nodes/proxy` reaches the kubelet API, which runs commands in every pod of the node;
creating `serviceaccounts/token` mints a token for any ServiceAccount. A Ray pod's token,
or a compromised operator's, must not carry any of them. Each grant is its own variant
(`rbac-sensitive-grant[secrets-read]`, `[pods-exec]`, `[pods-attach]`, `[nodes-proxy]`,
`[serviceaccount-token]`, `[impersonate]`, `[escalate]`, `[bind]`), reported at the verb or
resource that grants it. Wildcards are rbac-wildcard's.
Option `allowed`: reviewed exceptions, each `{role: "ClusterRole/name" or
"Role/namespace/name" (globs allowed), grants: [variant, ...], reason: ...}`. The default
allows the KubeRay operator's ClusterRole to read Secrets (it creates and reads each Ray
cluster's auth token Secret, `authOptions`) and nothing else; setting the option replaces
the default.
PASS / FAIL examples: tests/unit/checks/test_rbac_sensitive_grant.py
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from kuberay_gitops.checks._api import CheckContext, CheckSpec, Issue
from kuberay_gitops.checks._pod import items, mapping
from kuberay_gitops.findings import Profile, Severity
from kuberay_gitops.manifests import K8sObject

CHECK = CheckSpec(
    id="rbac-sensitive-grant",
    severity=Severity.ERROR,
    summary="Roles/ClusterRoles grant no impersonate, escalate, bind, Secret reads, pods/exec, "
    "pods/attach, nodes/proxy or serviceaccounts/token create",
    hint="remove the verb or resource; if a component really needs it, give it its own narrow "
    "role and add a reviewed entry to checks.rbac-sensitive-grant.options.allowed",
    profile=Profile.PLATFORM,
    options={
        "allowed": [
            {
                "role": "ClusterRole/kuberay-operator",
                "grants": ["secrets-read"],
                "reason": "KubeRay creates and reads each Ray cluster's auth token Secret",
            }
        ]
    },
)


@dataclass(frozen=True, slots=True)
class Grant:
    """One escalation path: a verb on anything, or a core resource with some (or any) verb."""

    variant: str
    what: str
    verb: str | None = None  # the grant is this verb, on any resource
    resource: str | None = None  # the grant is this core ("") resource ...
    verbs: frozenset[str] = frozenset()  # ... with one of these verbs (empty: any verb)


GRANTS: tuple[Grant, ...] = (
    Grant("impersonate", "acts as any user, group or ServiceAccount", verb="impersonate"),
    Grant("escalate", "writes roles with rights it does not hold", verb="escalate"),
    Grant("bind", "binds roles with rights it does not hold", verb="bind"),
    Grant(
        "secrets-read",
        "reads every Secret (tokens, passwords) in its scope",
        resource="secrets",
        verbs=frozenset({"get", "list", "watch"}),
    ),
    Grant("pods-exec", "runs commands in any pod in its scope", resource="pods/exec"),
    Grant("pods-attach", "attaches to any running container in its scope", resource="pods/attach"),
    Grant("nodes-proxy", "reaches the kubelet API of every node", resource="nodes/proxy"),
    Grant(
        "serviceaccount-token",
        "mints tokens for any ServiceAccount in its scope",
        resource="serviceaccounts/token",
        verbs=frozenset({"create"}),
    ),
)


def _allowed(options: Mapping[str, Any], obj: K8sObject) -> set[str]:
    """The grant variants the `allowed` option excepts for this role."""
    out: set[str] = set()
    for entry in items(options.get("allowed")):
        e = mapping(entry)
        pattern = e.get("role")
        if isinstance(pattern, str) and fnmatch.fnmatchcase(str(obj.ref), pattern):
            out.update(str(g) for g in items(e.get("grants")))
    return out


def _hits(rule: Mapping[str, Any]) -> Iterator[tuple[Grant, str, int]]:
    """(grant, rule key, index) for each escalation path one rule opens."""
    verbs = [str(v) for v in items(rule.get("verbs"))]
    resources = [str(r) for r in items(rule.get("resources"))]
    core = "" in [str(g) for g in items(rule.get("apiGroups"))]
    for grant in GRANTS:
        if grant.verb is not None:
            if grant.verb in verbs:
                yield grant, "verbs", verbs.index(grant.verb)
        elif core and grant.resource in resources and (not grant.verbs or grant.verbs & set(verbs)):
            yield grant, "resources", resources.index(grant.resource)


def run(ctx: CheckContext) -> Iterator[Issue]:
    """Every rule of every Role and ClusterRole (aggregated ClusterRoles have no own rules)."""
    for obj in ctx.index.of_kind("Role", "ClusterRole"):
        allowed = _allowed(ctx.options, obj)
        for i, rule in enumerate(items(obj.body.get("rules"))):
            for grant, key, j in _hits(mapping(rule)):
                if grant.variant in allowed:
                    continue
                granted = grant.verb or grant.resource
                verbs = sorted(grant.verbs & {str(v) for v in items(mapping(rule).get("verbs"))})
                how = f" ({', '.join(verbs)})" if verbs else ""
                yield Issue(
                    obj,
                    ("rules", i, key, j),
                    f'rule {i} grants "{granted}"{how}: whoever holds {obj.ref.kind} '
                    f'"{obj.ref.name}" {grant.what}',
                    variant=grant.variant,
                )
