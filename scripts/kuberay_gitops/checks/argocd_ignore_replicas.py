"""Applications syncing an autoscaled RayCluster ignore the worker groups' replicas.

Risk: with in-tree autoscaling the Ray autoscaler writes `.spec.workerGroupSpecs[].replicas`;
unless Argo CD ignores that field the Application is OutOfSync whenever the cluster scales,
and self-heal scales it back to the value in Git, fighting the autoscaler. An Application
syncs a RayCluster when its `kuberay-gitops/unit` label is `raycluster` or its source path
matches `overlays/*/raycluster` (the Argo layer's own index does not hold the rendered
RayCluster). It needs an `ignoreDifferences` entry for group `ray.io`, kind `RayCluster`
whose `jqPathExpressions` cover `.spec.workerGroupSpecs[].replicas` (that path or a
prefix of it) or whose `jsonPointers` cover `/spec/workerGroupSpecs` (a pointer to one
group's replicas covers only that group, so it does not count). System-level ignores in
`argocd-cm` are not seen.
`RespectIgnoreDifferences=true` is NOT required by default: in Argo CD 3.x it copies the
ignored fields from the live object into what it applies, and for a CRD without list
merge keys (the RayCluster CRD declares none for `workerGroupSpecs`) it copies the whole
live list, silently dropping every other worker-group change from Git
(argoproj/argo-cd#17694, also #27480, #23283). Set the option
`require_respect_ignore_differences: true` once that is fixed to require it as well.
PASS / FAIL examples: tests/unit/checks/test_argocd_ignore_replicas.py
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from kuberay_gitops.checks import _argocd
from kuberay_gitops.checks._api import CheckContext, CheckSpec, Issue
from kuberay_gitops.findings import Profile, Severity

CHECK = CheckSpec(
    id="argocd-ignore-replicas",
    severity=Severity.ERROR,
    summary="Applications syncing an autoscaled RayCluster ignore workerGroupSpecs[].replicas",
    hint="add to spec.ignoreDifferences: {group: ray.io, kind: RayCluster, "
    "jqPathExpressions: [.spec.workerGroupSpecs[].replicas]}",
    profile=Profile.CORRECTNESS,
    options={"require_respect_ignore_differences": False},
)

_TARGET = ".spec.workerGroupSpecs[].replicas"
_RAYCLUSTER_PATH = re.compile(r"^overlays/[^/]+/raycluster$")


def _syncs_raycluster(app: _argocd.GeneratedApp) -> bool:
    if app.labels.get(_argocd.UNIT_LABEL) == "raycluster":
        return True
    paths = (s.get("path") for s in app.sources)
    return any(p is not None and _RAYCLUSTER_PATH.match(_argocd.normalize_path(p)) for p in paths)


# The target and every prefix of it that ends at a path step (so `.spec.worker` is not one).
_JQ_COVERING = frozenset({".spec", ".spec.workerGroupSpecs", ".spec.workerGroupSpecs[]", _TARGET})


def _jq_covers(expr: str) -> bool:
    """True when the jq path (spaces and `?` aside) is the target or a prefix of it."""
    return re.sub(r"\s+", "", expr).replace("?", "") in _JQ_COVERING


def _pointer_covers(pointer: str) -> bool:
    """True for the spec or the whole list; `/spec/` names the member "" (RFC 6901), not spec."""
    return pointer in ("/spec", "/spec/workerGroupSpecs")


def _covers(entry: Mapping[str, Any]) -> bool:
    if entry.get("group") != "ray.io" or entry.get("kind") != "RayCluster":
        return False
    jq = entry.get("jqPathExpressions")
    ptr = entry.get("jsonPointers")
    return any(_jq_covers(str(e)) for e in (jq if isinstance(jq, list) else [])) or any(
        _pointer_covers(str(p)) for p in (ptr if isinstance(ptr, list) else [])
    )


def run(ctx: CheckContext) -> Iterator[Issue]:
    """Each RayCluster Application's ignoreDifferences (and optionally its sync options)."""
    require_respect = ctx.options.get("require_respect_ignore_differences") is True
    for app in _argocd.applications(ctx.index, ctx.repo):
        if not _syncs_raycluster(app):
            continue
        entries = app.spec.get("ignoreDifferences")
        entries = entries if isinstance(entries, list) else []
        if not any(isinstance(e, Mapping) and _covers(e) for e in entries):
            yield Issue(
                app.owner,
                app.field("spec", "ignoreDifferences"),
                f"{app} syncs an autoscaled RayCluster but does not ignore "
                f"{_TARGET} of ray.io/RayCluster: self-heal would undo the autoscaler",
            )
        elif require_respect and "RespectIgnoreDifferences=true" not in {
            o for _, o in app.sync_options
        }:
            yield Issue(
                app.owner,
                app.field("spec", "syncPolicy", "syncOptions"),
                f"{app} ignores RayCluster worker replicas but lacks "
                "RespectIgnoreDifferences=true (required by this check's option)",
                variant="respect",
                hint="add RespectIgnoreDifferences=true to syncOptions, but mind "
                "argoproj/argo-cd#17694 (see the check's documentation)",
            )
