from __future__ import annotations

from collections.abc import Callable

import pytest

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


HEAD = ".spec.headGroupSpec.template.spec.containers"
SIDECAR = container("sidecar", image="registry.example/tools/log-shipper:1.0")


def _head_first(*containers: Body) -> list[tuple[str, str, str, str]]:
    return issues(CHECK, raycluster(head=head_group(containers=list(containers))))


def test_the_message_names_both_containers_and_the_ray_index() -> None:
    assert _head_first(SIDECAR, FLUENT_BIT, ray_container("ray-head")) == [
        (
            CHECK,
            "RayCluster/rc",
            f"{HEAD}[0].name",
            'head group headgroup: containers[0] is "sidecar" but the Ray container '
            '"ray-head" is containers[2]; KubeRay runs ray start in containers[0]',
        )
    ]


def test_a_worker_group_is_named_and_an_unnamed_first_container_is_located_at_itself() -> None:
    unnamed = {"image": "registry.example/tools/log-shipper:1.0"}
    workers = [worker_group("gpu", containers=[unnamed, ray_container("ray-worker")])]
    assert issues(CHECK, raycluster(workers=workers)) == [
        (
            CHECK,
            "RayCluster/rc",
            ".spec.workerGroupSpecs[0].template.spec.containers[0]",
            'worker group gpu: containers[0] is "#0" but the Ray container '
            '"ray-worker" is containers[1]; KubeRay runs ray start in containers[0]',
        )
    ]


def test_a_pod_without_a_ray_container_or_without_containers_passes() -> None:
    assert _head_first(SIDECAR, FLUENT_BIT) == []
    assert _head_first() == []


RAY_LIKE = [
    container("ray", image="registry.example/app:1"),
    container("ray-head-main", image="registry.example/app:1"),
    container("ray-worker", image="registry.example/app:1"),
    container("main", image="rayproject/ray:2.46.0"),
    container("main", image="rayproject/ray-ml:2.9.3-gpu"),
    container("main", image="registry.example.com:5000/mirror/ray-llm@sha256:0123"),
    container("main", image="ray"),
]
NOT_RAY = [
    container("my-ray", image="registry.example/app:1"),
    container("main", image="rayproject/raylet:2.46.0"),
    container("main", image="registry.example/ray/extra:1"),
    container("main", image="registry.example/ray-tools:1"),
    {"image": "registry.example/app:1"},
]


@pytest.mark.parametrize("candidate", RAY_LIKE, ids=lambda c: f"{c.get('name')}|{c['image']}")
def test_a_container_recognised_as_ray_after_a_sidecar_is_reported(candidate: Body) -> None:
    assert [row[2] for row in _head_first(SIDECAR, candidate)] == [f"{HEAD}[0].name"]
    assert _head_first(candidate, SIDECAR) == []


@pytest.mark.parametrize("candidate", NOT_RAY, ids=lambda c: f"{c.get('name')}|{c['image']}")
def test_a_container_not_recognised_as_ray_is_not_the_ray_container(candidate: Body) -> None:
    assert _head_first(SIDECAR, candidate) == []


def test_a_pod_without_a_ray_container_does_not_end_the_walk() -> None:
    workers = [worker_group("gpu", containers=[SIDECAR, ray_container("ray-worker")])]
    cluster = raycluster(head=head_group(containers=[SIDECAR]), workers=workers)
    assert [row[2] for row in issues(CHECK, cluster)] == [
        ".spec.workerGroupSpecs[0].template.spec.containers[0].name"
    ]
