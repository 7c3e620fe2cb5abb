"""CRD Applications apply server-side and never prune; units sync crds, operator, raycluster, apps.

Risk: the KubeRay CRDs are 0.8 to 1.4 MB, over the 256 KiB limit of the last-applied
annotation that client-side apply writes, so without `ServerSideApply=true` (or
`Replace=true`) their sync fails; pruning a CRD deletes every RayCluster, RayJob and
RayService in the cluster, so the CRD Application needs `Prune=false`. A CRD Application
has the label `kuberay-gitops/unit: crds` or a source path ending in `/crds`.
Order: a RayCluster applied before its CRD, or before the operator that reconciles it,
fails and is retried. Units rank crds < operator < raycluster < anything else (apps), by
the `kuberay-gitops/unit` label (else the path's last directory). For an ApplicationSet
with `strategy.type: RollingSync` each generated Application must be in a strictly later
`rollingSync.steps` entry (matched on its labels) than every lower-ranked one, and in
some step at all (otherwise it is never synced automatically). Without RollingSync, the
`argocd.argoproj.io/sync-wave` annotations of the Applications of one ApplicationSet (or of
the plain Applications of one cluster) must increase the same way.
PASS / FAIL examples: tests/unit/checks/test_argocd_crd_sync.py
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from kuberay_gitops.checks import _argocd
from kuberay_gitops.checks._api import CheckContext, CheckSpec, Issue
from kuberay_gitops.findings import Profile, Severity
from kuberay_gitops.index import label_selector_matches
from kuberay_gitops.manifests import K8sObject

CHECK = CheckSpec(
    id="argocd-crd-sync",
    severity=Severity.ERROR,
    summary="CRD Applications use ServerSideApply=true and Prune=false; units sync in "
    "order crds, operator, raycluster, apps",
    hint="give the crds unit the sync options ServerSideApply=true and Prune=false, and "
    "order the RollingSync steps (or sync waves) crds, operator, raycluster, apps",
    profile=Profile.CORRECTNESS,
)

_STEPS = ("spec", "strategy", "rollingSync", "steps")


def _is_crd_app(app: _argocd.GeneratedApp) -> bool:
    if app.labels.get(_argocd.UNIT_LABEL) == "crds":
        return True
    return any(
        _argocd.normalize_path(s.get("path") or "").split("/")[-1] == "crds" for s in app.sources
    )


def _crd_options(app: _argocd.GeneratedApp) -> Iterator[Issue]:
    opts = {o for _, o in app.sync_options}
    field = app.field("spec", "syncPolicy", "syncOptions")
    if not opts & {"ServerSideApply=true", "Replace=true"}:
        yield Issue(
            app.owner,
            field,
            f"{app} syncs CRDs without ServerSideApply=true (or Replace=true): the KubeRay "
            "CRDs are too big for client-side apply",
            variant="server-side-apply",
        )
    if "Prune=false" not in opts:
        yield Issue(
            app.owner,
            field,
            f"{app} syncs CRDs without Prune=false: pruning a CRD deletes every Ray "
            "object of that kind",
            variant="prune",
        )


def _step_of(app: _argocd.GeneratedApp, steps: Sequence[Any]) -> int | None:
    for i, step in enumerate(steps):
        exprs = step.get("matchExpressions") if isinstance(step, Mapping) else None
        if (
            isinstance(exprs, list)
            and exprs
            and label_selector_matches({"matchExpressions": exprs}, app.labels)
        ):
            return i
    return None


def _wave(app: _argocd.GeneratedApp) -> int | None:
    raw = app.annotations.get(_argocd.SYNC_WAVE, "0").strip()
    try:
        return int(raw)
    except ValueError:
        return None


def _order(
    apps: Sequence[_argocd.GeneratedApp], place: Mapping[str, int]
) -> Iterator[tuple[_argocd.GeneratedApp, _argocd.GeneratedApp]]:
    """(app, earlier-ranked app it does not come after) for each misplaced app."""
    for app in apps:
        if app.name not in place:
            continue
        for other in apps:
            if (
                other.name in place
                and other.rank < app.rank
                and place[other.name] >= place[app.name]
            ):
                yield app, other
                break


def _rolling(
    owner: K8sObject, apps: Sequence[_argocd.GeneratedApp], steps: Sequence[Any]
) -> Iterator[Issue]:
    place: dict[str, int] = {}
    for app in apps:
        step = _step_of(app, steps)
        if step is None:
            yield Issue(
                owner,
                _STEPS,
                f'unit "{app.unit}" of {app} matches no RollingSync step: it is never '
                "synced automatically",
                variant="no-step",
            )
        else:
            place[app.name] = step
    for app, other in _order(apps, place):
        yield Issue(
            owner,
            (*_STEPS, place[app.name]),
            f'unit "{app.unit}" of {app} is in RollingSync step {place[app.name] + 1}, not '
            f'after unit "{other.unit}" ({other.name}, step {place[other.name] + 1})',
            variant="order",
        )


def _waves(apps: Sequence[_argocd.GeneratedApp]) -> Iterator[Issue]:
    place = {a.name: w for a in apps if (w := _wave(a)) is not None}
    for app, other in _order(apps, place):
        yield Issue(
            app.owner,
            app.field("metadata", "annotations", _argocd.SYNC_WAVE),
            f'unit "{app.unit}" of {app} has sync wave {place[app.name]}, not after '
            f'unit "{other.unit}" ({other.name}, wave {place[other.name]})',
            variant="order",
        )


def run(ctx: CheckContext) -> Iterator[Issue]:
    """CRD sync options per Application; order per ApplicationSet (or per cluster)."""
    plain: dict[str, list[_argocd.GeneratedApp]] = {}
    for exp in _argocd.expansions(ctx.index, ctx.repo):
        for app in exp.apps:
            if _is_crd_app(app):
                yield from _crd_options(app)
        if exp.owner.ref.kind == _argocd.APPLICATION:
            for app in exp.apps:
                plain.setdefault(app.cluster, []).append(app)
            continue
        strategy = exp.owner.spec.get("strategy")
        strategy = strategy if isinstance(strategy, Mapping) else {}
        rolling = strategy.get("rollingSync")
        steps = rolling.get("steps") if isinstance(rolling, Mapping) else None
        if strategy.get("type") == "RollingSync" and isinstance(steps, list):
            yield from _rolling(exp.owner, exp.apps, steps)
        else:
            yield from _waves(exp.apps)
    for _, apps in sorted(plain.items()):
        yield from _waves(apps)
