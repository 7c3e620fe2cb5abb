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
from dataclasses import dataclass
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


def _destinations(project: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The project's destination entries that are mappings."""
    items = project.get("destinations")
    return [i for i in items if isinstance(i, Mapping)] if isinstance(items, list) else []


def _cluster(dst: Mapping[str, Any]) -> tuple[str, str]:
    """(name, server) of the destination cluster, the in-cluster one known by either."""
    name, server = _s(dst.get("name")), _s(dst.get("server"))
    if name == _argocd.IN_CLUSTER_NAME and not server:
        server = _argocd.IN_CLUSTER_SERVER
    elif server.rstrip("/") == _argocd.IN_CLUSTER_SERVER and not name:
        name = _argocd.IN_CLUSTER_NAME
    return name, server


# The characters that make a pattern a glob (`_argocd.glob_match`: `*`, `?`, classes,
# `{a,b}`, escapes); a leading `!` makes it a deny pattern. Anything else matches itself.
_GLOB = frozenset("*?[{\\")


def _is_glob(pattern: str) -> bool:
    return pattern.startswith("!") or any(c in _GLOB for c in pattern)


@dataclass(frozen=True, slots=True)
class _Entries:
    """A project's destination entries: the glob ones, and the literal ones by what they match.

    Why: an ApplicationSet per environment, each naming its own cluster, meets a project
    listing every environment's clusters, so matching each Application against every
    entry grows with the square of the environments (make bench: 206,504 glob matches,
    each compiling a regular expression, at 100 environments). A literal entry can only
    take part in an Application's verdict when it names the Application's cluster and
    namespace (or, for a destination by name, lists a server for that namespace);
    glob entries take part always. `_relevant` gives those, and `_destination_allowed`
    judges them exactly as it would judge every entry.
    """

    globs: tuple[Mapping[str, Any], ...]
    literal: Mapping[tuple[str, str, str], tuple[Mapping[str, Any], ...]]


def _entries(project: Mapping[str, Any]) -> _Entries:
    """The project's destination entries, indexed (`_Entries`)."""
    globs: list[Mapping[str, Any]] = []
    literal: dict[tuple[str, str, str], list[Mapping[str, Any]]] = {}
    for item in _destinations(project):
        i_name, i_server, i_ns = (_s(item.get(k)) for k in ("name", "server", "namespace"))
        if _is_glob(i_name) or _is_glob(i_server) or _is_glob(i_ns):
            globs.append(item)
            continue
        keys = [("name", i_name, i_ns)] if i_name else [("server-only", "", i_ns)]
        if i_server:
            keys.append(("server", i_server, i_ns))
        for key in keys:
            literal.setdefault(key, []).append(item)
    return _Entries(tuple(globs), {k: tuple(v) for k, v in literal.items()})


def _relevant(entries: _Entries, name: str, server: str, ns: str) -> list[Mapping[str, Any]]:
    """The entries that can take part in the verdict on this destination."""
    keys = [("name", name, ns), ("server", server, ns)]
    if not server:
        keys.append(("server-only", "", ns))
    # An entry listed under two of the keys counts twice: the verdict is any/all of them.
    return [*entries.globs, *(i for k in keys for i in entries.literal.get(k, ()))]


def _destination_allowed(entries: _Entries, dst: Mapping[str, Any]) -> bool | None:
    """Argo CD's isDestinationMatched; None when it depends on an unresolvable cluster name.

    Argo CD knows the server of a destination given by name; offline it is unknown, so a
    server pattern (a deny one included) neither allows nor refuses such a destination.
    """
    name, server = _cluster(dst)
    ns = _s(dst.get("namespace"))
    any_match, no_deny, undecided = False, True, False
    for item in _relevant(entries, name, server, ns):
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
            or (bool(server) and not server_ok and i_server.startswith("!"))
            or (not ns_ok and i_ns.startswith("!"))
        ):
            no_deny = False
        elif not server and i_server and not i_name and ns_ok:
            undecided = True  # the name's server is unknown offline
    if any_match and no_deny:
        return True
    return None if undecided and no_deny else False


def _cluster_allowed(project: Mapping[str, Any], dst: Mapping[str, Any]) -> bool:
    """True when the cluster's name or server matches an entry and no deny pattern refuses it.

    The project then refuses the destination for its namespace. A deny pattern matches every
    other cluster, as in `isDestinationMatched` (`!prod` lists `dev`).
    """
    name, server = _cluster(dst)
    results = [
        (pattern.startswith("!"), _argocd.glob_match(pattern, value))
        for item in _destinations(project)
        for pattern, value in ((_s(item.get("name")), name), (_s(item.get("server")), server))
        if pattern and value
    ]
    return any(m for _, m in results) and not any(d and not m for d, m in results)


def _source_allowed(project: Mapping[str, Any], url: str) -> bool:
    """Argo CD's IsSourcePermitted: some pattern matches and no deny pattern refuses."""
    want = _argocd.normalize_repo_url(url)
    repos = project.get("sourceRepos")
    results: list[tuple[bool, bool]] = []  # (deny pattern, matched)
    for pattern in repos if isinstance(repos, list) else []:
        p = _s(pattern)
        deny = p.startswith("!")
        norm = ("!" if deny else "") + _argocd.normalize_repo_url(p.removeprefix("!"))
        results.append((deny, _argocd.glob_match(norm, want, separators="/")))
    return any(m for _, m in results) and not any(d and not m for d, m in results)


def _describe_destinations(project: Mapping[str, Any]) -> str:
    out = [
        f"{_s(i.get('name')) or _s(i.get('server')) or '?'}/{_s(i.get('namespace')) or '?'}"
        for i in _destinations(project)
    ]
    return ", ".join(out) or "none"


def run(ctx: CheckContext) -> Iterator[Issue]:
    """Project existence, `default`, destination and sources of every Application."""
    projects: dict[str, K8sObject] = {p.ref.name: p for p in ctx.index.of_kind(_argocd.APP_PROJECT)}
    entries = {n: _entries(p.spec) for n, p in projects.items()}
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
        if _destination_allowed(entries[name], dst) is False:
            key = "name" if _s(dst.get("name")) else "server"
            cluster = _s(dst.get(key))
            culprit = "namespace" if _cluster_allowed(project, dst) else key
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
