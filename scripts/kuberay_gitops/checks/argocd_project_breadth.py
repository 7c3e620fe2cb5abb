"""AppProjects stay narrow: named repositories, clusters, namespaces and kinds; no exec.

Risk: the AppProject is the fence around everything its Applications deploy, and a merge to
`main` is synced. One `*` in it lets a later change deploy what nobody reviewed:
`sourceRepos: ['*']` syncs any repository (manifests that never pass through this check);
a whitelist entry with `kind: '*'` admits every kind of its group (with `group: '*'`,
ClusterRoleBindings, webhooks and CRDs of any API); a destination with server, name or
namespace `*` reaches every cluster or namespace Argo CD manages, `kube-system` and `argocd`
included; `sourceNamespaces: ['*']` lets an Application created in any namespace use the
project; a project role policy on `exec` (or resource or action `*`) gives its group a shell in
every pod of the project's Applications: in a Ray head, the cluster's auth token. Each is its
own variant: `[source-repos]`, `[whitelist]`, `[destination]`, `[source-namespaces]`,
`[role-policy]`, reported at the entry.
PASS / FAIL examples: tests/unit/checks/test_argocd_project_breadth.py
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from kuberay_gitops.checks import _argocd
from kuberay_gitops.checks._api import CheckContext, CheckSpec, Issue
from kuberay_gitops.checks._pod import items, mapping
from kuberay_gitops.findings import Profile, Severity

CHECK = CheckSpec(
    id="argocd-project-breadth",
    severity=Severity.ERROR,
    summary='AppProjects list no "*" source repository, kind, cluster, namespace or source '
    "namespace, and project roles allow no exec or * action",
    hint="name the repositories, clusters, namespaces and kinds the project's Applications "
    "need; give project roles only the actions they need (get, sync)",
    profile=Profile.PLATFORM,
)

WHITELISTS = ("clusterResourceWhitelist", "namespaceResourceWhitelist")
_EVERYTHING = "*"


def _everything(value: Any) -> bool:
    """True for the pattern `*` (spaces aside); any other value, or none, is narrower."""
    return isinstance(value, str) and value.strip() == _EVERYTHING


def _policy_fields(line: str) -> list[str]:
    """`p, subject, resource, action, object, effect` → its comma-separated fields."""
    return [f.strip() for f in line.split(",")]


def _broad_policy(line: str) -> str | None:
    """What an allowing project role policy opens too widely, or None.

    Only a line of Argo CD's form (`validatePolicy`: six fields, the first `p`) is a policy;
    Argo CD refuses any other, so it grants nothing.
    """
    fields = _policy_fields(line)
    if len(fields) != 6 or fields[0] != "p":
        return None
    _, _, resource, action, _, effect = fields
    if effect != "allow":
        return None
    if resource == "exec":
        return f'allows "exec" ({action}): a shell in every pod of the project\'s Applications'
    if resource == _EVERYTHING:
        return 'allows every resource ("*")'
    if action == _EVERYTHING:
        return f'allows every action ("*") on {resource}'
    return None


def run(ctx: CheckContext) -> Iterator[Issue]:
    """sourceRepos, whitelists, destinations, sourceNamespaces and role policies."""
    for project in ctx.index.of_kind(_argocd.APP_PROJECT):
        spec = project.spec
        name = project.ref.name
        for i, repo in enumerate(items(spec.get("sourceRepos"))):
            if _everything(repo):
                yield Issue(
                    project,
                    ("spec", "sourceRepos", i),
                    f'AppProject "{name}" allows sources from any repository ("*")',
                    variant="source-repos",
                )
        for key in WHITELISTS:
            for i, entry in enumerate(items(spec.get(key))):
                e = mapping(entry)
                if not _everything(e.get("kind")):
                    continue
                group = str(e.get("group", ""))
                which = "of every API group" if group == _EVERYTHING else f'of group "{group}"'
                yield Issue(
                    project,
                    ("spec", key, i, "kind"),
                    f'{key} of AppProject "{name}" admits every kind {which} (kind "*")',
                    variant="whitelist",
                )
        for i, dest in enumerate(items(spec.get("destinations"))):
            d = mapping(dest)
            for field in ("server", "name", "namespace"):
                if _everything(d.get(field)):
                    what = "namespace" if field == "namespace" else "cluster"
                    yield Issue(
                        project,
                        ("spec", "destinations", i, field),
                        f'destination {i} of AppProject "{name}" allows every {what} ({field} "*")',
                        variant="destination",
                    )
        for i, ns in enumerate(items(spec.get("sourceNamespaces"))):
            if _everything(ns):
                yield Issue(
                    project,
                    ("spec", "sourceNamespaces", i),
                    f'AppProject "{name}" accepts Applications from every namespace '
                    '(sourceNamespaces "*")',
                    variant="source-namespaces",
                )
        for i, role in enumerate(items(spec.get("roles"))):
            r = mapping(role)
            for j, policy in enumerate(items(r.get("policies"))):
                broad = _broad_policy(str(policy))
                if broad is not None:
                    yield Issue(
                        project,
                        ("spec", "roles", i, "policies", j),
                        f'role "{r.get("name", i)}" of AppProject "{name}" {broad}',
                        variant="role-policy",
                    )
