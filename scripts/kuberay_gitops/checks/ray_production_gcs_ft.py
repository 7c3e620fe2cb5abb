"""A RayService of a production environment has GCS fault tolerance.

Why: without it a head Pod crash loses the Global Control Service, and the new head starts
every Serve application again from nothing: every replica restarts and requests fail until
they are back. With `gcsFaultToleranceOptions` (an external Redis) the new head restores GCS
and the Serve replicas on the workers keep serving. Which targets are production is policy:
option `production_targets` lists them (glob patterns of render target paths); the check
does nothing without it.
PASS / FAIL examples: tests/unit/checks/test_ray_production_gcs_ft.py
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator

from kuberay_gitops.checks._api import CheckContext, CheckSpec, Issue
from kuberay_gitops.findings import Profile, Severity

CHECK = CheckSpec(
    id="ray-production-gcs-ft",
    severity=Severity.ERROR,
    summary="a RayService in a production target has gcsFaultToleranceOptions",
    hint="add spec.rayClusterConfig.gcsFaultToleranceOptions (components/gcs-fault-tolerance "
    "in the production overlay)",
    profile=Profile.PLATFORM,
    options={"production_targets": []},
)


def run(ctx: CheckContext) -> Iterator[Issue]:
    """Each RayService of a target matching `production_targets`."""
    patterns = [str(p) for p in ctx.options["production_targets"]]
    if not any(fnmatch.fnmatchcase(ctx.index.target, p) for p in patterns):
        return
    for svc in ctx.index.of_kind("RayService"):
        config = svc.spec.get("rayClusterConfig")
        if not isinstance(config, dict) or not config.get("gcsFaultToleranceOptions"):
            yield Issue(
                svc,
                ("spec", "rayClusterConfig"),
                f"RayService {svc.ref.name} runs in production target {ctx.index.target} "
                "without GCS fault tolerance: a head crash restarts every Serve application",
            )
