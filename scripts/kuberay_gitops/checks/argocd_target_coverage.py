"""Every render target is deployed by exactly one Application per destination cluster.

Risk: a target no Application syncs (an orphan: a new overlay or app nobody wired into
`argocd/`) passes every other check and never reaches a cluster; a target two Applications
sync to the same cluster makes them fight over the same objects (with
`FailOnSharedResource=true` the second one fails to sync). Targets checked: those under the
`covered_prefixes` option (default `overlays` and `apps`); `argocd` itself is applied by the
hand-applied bootstrap root. Only sources of this repository (`argocd.repo_url`) count.
An orphan is reported on the ApplicationSet (or Application) deploying the most similar
path, at the list of elements to extend when there is one. Orphans are not reported when an
ApplicationSet cannot be expanded offline (argocd-appset-unsupported says which), nor in
a target that deploys nothing under the covered prefixes (the bootstrap root, which only
points at `argocd/`). Checks run per render target, so double coverage is found among the
Applications of one target (all ApplicationSets live in the `argocd` target).
PASS / FAIL examples: tests/unit/checks/test_argocd_target_coverage.py
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from kuberay_gitops.checks import _argocd
from kuberay_gitops.checks._api import CheckContext, CheckSpec, Issue
from kuberay_gitops.findings import FieldPath, Profile, Severity

CHECK = CheckSpec(
    id="argocd-target-coverage",
    severity=Severity.ERROR,
    summary="each render target is deployed by exactly one Application per cluster",
    hint="add the target to one ApplicationSet (or Application), remove the duplicate, "
    "or delete the unused directory",
    profile=Profile.PLATFORM,
    options={"covered_prefixes": ["overlays", "apps"]},
)


def _covered(target: str, prefixes: Sequence[str]) -> bool:
    return any(target == p or target.startswith(p.rstrip("/") + "/") for p in prefixes)


def _similarity(a: str, b: str) -> tuple[int, int]:
    """(common leading segments, equal segments at the same position) of two paths."""
    pairs = list(zip(a.split("/"), b.split("/"), strict=False))
    prefix = next((i for i, (x, y) in enumerate(pairs) if x != y), len(pairs))
    return prefix, sum(x == y for x, y in pairs)


def _anchor(app: _argocd.GeneratedApp, field: FieldPath) -> FieldPath:
    """Where a missing sibling belongs: the elements list, the generators, or the source."""
    if "elements" in field:
        return field[: field.index("elements") + 1]
    return ("spec", "generators") if app.generated else field


def run(ctx: CheckContext) -> Iterator[Issue]:
    """Count the Applications deploying each target, per destination cluster."""
    prefixes = [str(p) for p in ctx.options.get("covered_prefixes") or []]
    expansions = _argocd.expansions(ctx.index, ctx.repo)
    # target → cluster → [(app, field of its path)]
    seen: dict[str, dict[str, list[tuple[_argocd.GeneratedApp, FieldPath]]]] = {}
    deployed: list[tuple[str, _argocd.GeneratedApp, FieldPath]] = []
    for exp in expansions:
        for app in exp.apps:
            for src in app.sources:
                raw = src.get("path")
                # same_repo is never true without a configured repo_url: nothing is deployed
                if raw is None or not _argocd.same_repo(src.get("repoURL"), ctx.repo.repo_url):
                    continue
                path = _argocd.normalize_path(raw)
                field = app.field(*src.path, "path")
                seen.setdefault(path, {}).setdefault(app.cluster, []).append((app, field))
                deployed.append((path, app, field))
    if not any(_covered(path, prefixes) for path, _, _ in deployed):
        return  # not the deployment layer (e.g. the bootstrap root, which points at argocd/)
    # from here on `deployed` is not empty: every orphan has a closest deployed path
    for target in sorted(ctx.repo.targets):
        if not _covered(target, prefixes):
            continue
        clusters = seen.get(target)
        if not clusters:
            if all(e.complete for e in expansions):
                yield _orphan(target, deployed)
            continue
        for cluster, users in sorted(clusters.items()):
            first = users[0][0]
            for app, field in users[1:]:
                yield Issue(
                    app.owner,
                    field,
                    f'render target "{target}" is deployed twice to cluster "{cluster}": '
                    f"by {app} and by {first}",
                    variant="double",
                )


def _orphan(target: str, deployed: Sequence[tuple[str, _argocd.GeneratedApp, FieldPath]]) -> Issue:
    """The orphan, at the deployed path most similar to it."""
    _, app, field = max(deployed, key=lambda d: _similarity(d[0], target))  # first on ties
    message = f'render target "{target}" is deployed by no Application'
    return Issue(app.owner, _anchor(app, field), message, variant="orphan")
