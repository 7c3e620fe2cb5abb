"""The Ray container is the first container of every Ray pod.

Why: KubeRay v1.7.0 treats containers[0] as the Ray container (`RayContainerIndex = 0`): it
rewrites that container's command to `ray start`, adds the metrics port and probes to it
and builds the head Service from its ports, so a sidecar listed first gets Ray's command
and the real Ray container never joins the cluster.
Heuristic: a container is the Ray container when its name is `ray`, starts with
`ray-head`/`ray-worker`, or its image is a Ray image (`rayproject/ray…`, or any repository
whose last segment is `ray`, `ray-ml` or `ray-llm`). Pods with no such container are
skipped.
PASS / FAIL examples: tests/unit/checks/test_ray_container_first.py
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from kuberay_gitops.checks._api import CheckContext, CheckSpec, Issue
from kuberay_gitops.checks._ray import container_name
from kuberay_gitops.findings import Profile, Severity

CHECK = CheckSpec(
    id="ray-container-first",
    severity=Severity.ERROR,
    summary="the Ray container is the first container of each Ray pod",
    hint="move the Ray container to the top of containers (sidecars go after it)",
    profile=Profile.CORRECTNESS,
)

_RAY_IMAGES = frozenset({"ray", "ray-ml", "ray-llm"})


def run(ctx: CheckContext) -> Iterator[Issue]:
    """The first container of each Ray pod when a later one is the Ray container."""
    for pod in ctx.index.ray_pods():
        containers = list(pod.containers())
        if not containers or looks_like_ray(containers[0][1]):
            continue
        ray = next((c for c in containers[1:] if looks_like_ray(c[1])), None)
        if ray is None:
            continue
        first_path, _ = containers[0]
        yield Issue(
            pod.owner,
            (*first_path, "name") if "name" in containers[0][1] else first_path,
            f'{pod.ray_role} group {pod.group}: containers[0] is "{container_name(containers[0])}" '
            f'but the Ray container "{container_name(ray)}" is containers[{ray[0][-1]}]; '
            "KubeRay runs ray start in containers[0]",
        )


def looks_like_ray(container: Mapping[str, Any]) -> bool:
    """Whether a container is, by name or image, the Ray container."""
    name = str(container.get("name"))
    if name == "ray" or name.startswith(("ray-head", "ray-worker")):
        return True
    # The repository's last segment, without digest (`@...`) and tag (`:...`); a missing
    # name or image reads as "None", which is no Ray name and no Ray image.
    repo = str(container.get("image")).split("@")[0]
    return repo.split("/")[-1].split(":")[0] in _RAY_IMAGES
