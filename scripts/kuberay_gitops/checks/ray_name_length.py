"""RayCluster names fit in 53 characters, RayJob and RayService names in 47.

Why: KubeRay v1.7.0 rejects longer names (the RayCluster keeps 63 - len("-serve-svc")
for its Services; RayJob and RayService append 6 characters to name their RayCluster), so
the object never reconciles and Argo CD shows it synced but broken.
PASS / FAIL examples: tests/unit/checks/test_ray_name_length.py
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from kuberay_gitops.checks._api import CheckContext, CheckSpec, Issue
from kuberay_gitops.findings import Severity

MAX_LENGTH: Mapping[str, int] = {"RayCluster": 53, "RayJob": 47, "RayService": 47}

CHECK = CheckSpec(
    id="ray-name-length",
    severity=Severity.ERROR,
    summary="RayCluster names <= 53 characters, RayJob/RayService names <= 47",
    hint="shorten the name (a namePrefix or nameSuffix in an overlay counts too)",
)


def run(ctx: CheckContext) -> Iterator[Issue]:
    """The rendered name of each Ray object."""
    for obj in ctx.index.of_kind(*MAX_LENGTH):
        limit = MAX_LENGTH[obj.ref.kind]
        if len(obj.ref.name) > limit:
            yield Issue(
                obj,
                ("metadata", "name"),
                f'{obj.ref.kind} name "{obj.ref.name}" has {len(obj.ref.name)} characters; '
                f"KubeRay accepts at most {limit}",
            )
