from __future__ import annotations

from collections.abc import Callable

from tests.builders import (
    Body,
    container,
    head_group,
    issues,
    ray_container,
    raycluster,
    to_yaml,
    worker_group,
)
from tests.conftest import CheckRun

CHECK = "ray-container-first"
FLUENT_BIT = container("fluent-bit", image="fluent/fluent-bit:3.0")


def _cluster(*head: Body) -> Body:
    """A RayCluster whose head runs `head` and whose workers run a mirrored Ray image first."""
    mirror = ray_container("main", image="registry.example.com/mirror/ray:2.46.0-py311")
    return raycluster(
        head=head_group(containers=list(head)),
        workers=[worker_group(containers=[mirror, FLUENT_BIT])],
    )


def test_ray_container_first_passes() -> None:
    assert issues(CHECK, _cluster(ray_container("ray-head"), FLUENT_BIT)) == []


def test_sidecar_before_the_ray_container_is_reported(
    run_check: Callable[..., CheckRun],
) -> None:
    cluster = _cluster(FLUENT_BIT, ray_container("ray-head"))
    result = run_check(CHECK, {"t/raycluster.yaml": to_yaml(cluster)})
    assert result.rows() == [
        (
            CHECK,
            "rc",
            ".spec.headGroupSpec.template.spec.containers[0].name",
            "t/raycluster.yaml",
            12,
        )
    ]
