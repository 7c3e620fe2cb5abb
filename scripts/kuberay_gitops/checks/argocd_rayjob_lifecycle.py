"""A RayJob that Argo CD syncs has a lifecycle Git can drive: each change is a new run.

Why: KubeRay never starts a RayJob again once its deployment status is Complete or Failed
(`controllers/ray/rayjob_controller.go`), whatever its spec becomes. A RayJob kept in Git
therefore runs once: a later change to its entrypoint or image is applied, shows Synced,
and never runs. Argo CD can make every change a new run by deleting and recreating the
object (the resource annotation `argocd.argoproj.io/sync-options` with `Force=true` and
`Replace=true`; both are resource-level options); the old run's RayCluster and submitter Job
are garbage-collected with it. The opposite mistake is a RayJob that deletes itself when it
ends (`deletionStrategy` with `DeleteSelf`): self-heal recreates it and the job runs in an
endless loop.
Variants: `[recreate]` no Force=true and Replace=true on the RayJob; `[self-delete]` a
deletion policy or rule `DeleteSelf`. Plain manifests (`validate --manifests`) are not
known to be synced by Argo CD and are not judged.
PASS / FAIL examples: tests/unit/checks/test_argocd_rayjob_lifecycle.py
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from kuberay_gitops.checks._api import CheckContext, CheckSpec, Issue
from kuberay_gitops.findings import FieldPath, Profile, Severity

SYNC_OPTIONS = "argocd.argoproj.io/sync-options"
NEEDED = ("Force=true", "Replace=true")

CHECK = CheckSpec(
    id="argocd-rayjob-lifecycle",
    severity=Severity.ERROR,
    summary="a RayJob under Argo CD is recreated on every change (Force=true,Replace=true) "
    "and never deletes itself",
    hint=f"annotate the RayJob {SYNC_OPTIONS}: Force=true,Replace=true (bump an annotation to "
    "rerun the same spec), or use a RayCronJob; never deletionStrategy DeleteSelf under Argo CD",
    profile=Profile.CORRECTNESS,
)


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def run(ctx: CheckContext) -> Iterator[Issue]:
    """Every RayJob of the target (RayCronJob templates are a different lifecycle)."""
    if not ctx.repo.argocd_synced:
        return
    for job in ctx.index.of_kind("RayJob"):
        annotations = _mapping(_mapping(job.body.get("metadata")).get("annotations"))
        options = {o.strip() for o in str(annotations.get(SYNC_OPTIONS, "")).split(",")}
        missing = [o for o in NEEDED if o not in options]
        if missing:
            path: FieldPath = (
                ("metadata", "annotations", SYNC_OPTIONS)
                if SYNC_OPTIONS in annotations
                else ("metadata",)
            )
            yield Issue(
                job,
                path,
                f"RayJob {job.ref.name} runs once: KubeRay never reruns a finished RayJob and "
                f"Argo CD only updates it in place (sync-options lack {', '.join(missing)})",
                variant="recreate",
            )
        yield from _self_delete(job.spec, job)


def _self_delete(spec: Mapping[str, Any], job: Any) -> Iterator[Issue]:
    strategy = _mapping(spec.get("deletionStrategy"))
    places: list[tuple[FieldPath, Any]] = [
        (("spec", "deletionStrategy", key, "policy"), _mapping(strategy.get(key)).get("policy"))
        for key in ("onSuccess", "onFailure")
    ]
    rules = strategy.get("deletionRules")
    for i, rule in enumerate(rules if isinstance(rules, list) else []):
        places.append(
            (
                ("spec", "deletionStrategy", "deletionRules", i, "policy"),
                _mapping(rule).get("policy"),
            )
        )
    for path, policy in places:
        if policy == "DeleteSelf":
            yield Issue(
                job,
                path,
                f"RayJob {job.ref.name} deletes itself when it ends: Argo CD self-heal "
                "recreates it and the job runs again, endlessly",
                variant="self-delete",
            )
