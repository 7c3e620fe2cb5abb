"""Applications name a defined AppProject, not `default`, that allows their destination and source.

Risk: `project: default` (or none) lets an Application deploy any repository to any
cluster and namespace with any kind; a project name with no AppProject, a destination or a
source repository the project does not allow, all leave the Application unable to sync
("application destination ... is not permitted in project"), found only after merging.
AppProjects are looked up among the objects of the same render target (the bootstrap
project is applied by hand and is not seen). Matching follows Argo CD v3.5
(`isDestinationMatched`, `IsSourcePermitted`): glob patterns, `!` deny patterns, a
destination matched by name or server plus namespace, repository URLs normalised. A
destination given only by cluster name cannot be resolved to a server offline: a project
entry that lists only a server neither allows nor refuses it here.
PASS / FAIL examples: tests/unit/checks/test_argocd_project.py
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from kuberay_gitops.checks import _argocd
from kuberay_gitops.checks._api import CheckContext, CheckSpec, Issue
from kuberay_gitops.findings import Profile, Severity
from kuberay_gitops.manifests import K8sObject

CHECK = CheckSpec(
    id="argocd-project",
    severity=Severity.ERROR,
    summary="Applications use a defined AppProject (not default) that allows their "
    "destination and source",
    hint="set spec.project to an AppProject of argocd/projects/ and make its destinations "
    "and sourceRepos cover the Application",
    profile=Profile.PLATFORM,
)


def _s(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _destination_allowed(project: Mapping[str, Any], dst: Mapping[str, Any]) -> bool | None:
    """Argo CD's isDestinationMatched; None when it depends on an unresolvable cluster name."""
    name, server, ns = _s(dst.get("name")), _s(dst.get("server")), _s(dst.get("namespace"))
    if name == _argocd.IN_CLUSTER_NAME and not server:
        server = _argocd.IN_CLUSTER_SERVER
    elif server.rstrip("/") == _argocd.IN_CLUSTER_SERVER and not name:
        name = _argocd.IN_CLUSTER_NAME
    any_match, no_deny, undecided = False, True, False
    items = project.get("destinations")
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, Mapping):
            continue
        i_name, i_server, i_ns = (
            _s(item.get("name")),
            _s(item.get("server")),
            _s(item.get("namespace")),
        )
        name_ok = bool(name) and _argocd.glob_match(i_name, name)
        server_ok = bool(server) and _argocd.glob_match(i_server, server)
        ns_ok = _argocd.glob_match(i_ns, ns)
        if (server_ok or name_ok) and ns_ok:
            any_match = True
        elif (
            (not name_ok and i_name.startswith("!"))
            or (not server_ok and i_server.startswith("!"))
            or (not ns_ok and i_ns.startswith("!"))
        ):
            no_deny = False
        elif not server and i_server and not i_name and ns_ok:
            undecided = True  # the name's server is unknown offline
    if any_match and no_deny:
        return True
    return None if undecided and no_deny else False


def _cluster_listed(project: Mapping[str, Any], dst: Mapping[str, Any]) -> bool:
    """True when some destination entry names the cluster (so the namespace is refused)."""
    items = project.get("destinations")
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, Mapping):
            continue
        for key in ("name", "server"):
            pattern, value = _s(item.get(key)), _s(dst.get(key))
            if (
                pattern
                and value
                and not pattern.startswith("!")
                and _argocd.glob_match(pattern, value)
            ):
                return True
    return False


def _source_allowed(project: Mapping[str, Any], url: str) -> bool:
    """Argo CD's IsSourcePermitted."""
    want = _argocd.normalize_repo_url(url)
    any_match = False
    repos = project.get("sourceRepos")
    for pattern in repos if isinstance(repos, list) else []:
        p = _s(pattern)
        deny = p.startswith("!")
        norm = ("!" if deny else "") + _argocd.normalize_repo_url(p.removeprefix("!"))
        matched = _argocd.glob_match(norm, want, separators="/")
        if matched:
            any_match = True
        elif deny:
            return False
    return any_match


def _describe_destinations(project: Mapping[str, Any]) -> str:
    items = project.get("destinations")
    out = []
    for item in items if isinstance(items, list) else []:
        if isinstance(item, Mapping):
            where = _s(item.get("name")) or _s(item.get("server")) or "?"
            out.append(f"{where}/{_s(item.get('namespace')) or '?'}")
    return ", ".join(out) or "none"


def run(ctx: CheckContext) -> Iterator[Issue]:
    """Project existence, `default`, destination and sources of every Application."""
    projects: dict[str, K8sObject] = {p.ref.name: p for p in ctx.index.of_kind(_argocd.APP_PROJECT)}
    for app in _argocd.applications(ctx.index, ctx.repo):
        name = _s(app.spec.get("project")) or "default"
        field = app.field("spec", "project")
        if name == "default":
            yield Issue(
                app.owner,
                field,
                f'{app} uses the "default" project, which allows every repository, '
                "cluster, namespace and kind",
                variant="default",
            )
            continue
        proj_obj = projects.get(name)
        if proj_obj is None:
            known = ", ".join(sorted(projects)) or "none in this target"
            yield Issue(
                app.owner,
                field,
                f'{app} names project "{name}", which is not defined (known: {known})',
                variant="missing",
            )
            continue
        project = proj_obj.spec
        dst = app.destination
        if _destination_allowed(project, dst) is False:
            key = "name" if _s(dst.get("name")) else "server"
            cluster = _s(dst.get(key))
            culprit = "namespace" if _cluster_listed(project, dst) else key
            yield Issue(
                app.owner,
                app.field("spec", "destination", culprit),
                f'destination cluster "{cluster}" namespace "{_s(dst.get("namespace"))}" of '
                f'{app} is not allowed by AppProject "{name}" (allowed: '
                f"{_describe_destinations(project)})",
                variant="destination",
            )
        for src in app.sources:
            url = src.get("repoURL") or ""
            if not _source_allowed(project, url):
                yield Issue(
                    app.owner,
                    app.field(*src.path, "repoURL"),
                    f'source repoURL "{url}" of {app} is not in the sourceRepos of '
                    f'AppProject "{name}"',
                    variant="source",
                )
