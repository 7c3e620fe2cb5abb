"""RayCluster names fit in 53 characters, RayJob and RayService names in 47.

Why: KubeRay v1.7.0 rejects longer names (the RayCluster keeps 63 - len("-serve-svc")
for its Services; RayJob and RayService append 6 characters to name their RayCluster), so
the object never reconciles and Argo CD shows it synced but broken. An object made from
a `generateName` gets the API server's five random characters after at most 58 of the
prefix (apiserver `names.SimpleNameGenerator`), and is judged at that length.
PASS / FAIL examples: tests/unit/checks/test_ray_name_length.py
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import MappingProxyType

from kuberay_gitops.checks._api import CheckContext, CheckSpec, Issue
from kuberay_gitops.findings import Profile, Severity

MAX_LENGTH: Mapping[str, int] = MappingProxyType({"RayCluster": 53, "RayJob": 47, "RayService": 47})

CHECK = CheckSpec(
    id="ray-name-length",
    severity=Severity.ERROR,
    summary="RayCluster names <= 53 characters, RayJob/RayService names <= 47",
    hint="shorten the name (a namePrefix or nameSuffix in an overlay counts too)",
    profile=Profile.CORRECTNESS,
)


GENERATED_SUFFIX = 5  # random characters the API server appends to a generateName
MAX_GENERATE_PREFIX = 63 - GENERATED_SUFFIX


def run(ctx: CheckContext) -> Iterator[Issue]:
    """The rendered name of each Ray object (or the name its generateName yields)."""
    for obj in ctx.index.of_kind(*MAX_LENGTH):
        limit = MAX_LENGTH[obj.ref.kind]
        meta = obj.body.get("metadata")
        generated = isinstance(meta, Mapping) and not meta.get("name")
        length = len(obj.ref.name)
        if generated:
            length = min(length, MAX_GENERATE_PREFIX) + GENERATED_SUFFIX
        if length > limit:
            what = (
                f'generateName "{obj.ref.name}" makes names of {length} characters'
                if generated
                else f'name "{obj.ref.name}" has {length} characters'
            )
            yield Issue(
                obj,
                ("metadata", "generateName" if generated else "name"),
                f"{obj.ref.kind} {what}; KubeRay accepts at most {limit}",
            )
