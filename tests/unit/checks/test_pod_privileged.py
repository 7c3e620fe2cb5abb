from __future__ import annotations

from collections.abc import Callable

from tests.builders import (
    Body,
    container,
    deployment,
    head_group,
    issues,
    ray_container,
    raycluster,
    to_yaml,
    worker_group,
)
from tests.conftest import CheckRun

CHECK = "pod-privileged"


def _privileged(value: bool) -> dict[str, object]:
    return {"securityContext": {"privileged": value}}


def _cluster(privileged: bool) -> Body:
    """An autoscaling RayCluster whose autoscaler and worker init container run `privileged`."""
    setup = ray_container("setup", **_privileged(privileged))
    return raycluster(
        head=head_group(ray=_privileged(False)),
        workers=[worker_group(min_replicas=0, initContainers=[setup])],
        enableInTreeAutoscaling=True,
        autoscalerOptions=_privileged(privileged),
    )


def test_unprivileged_ray_pods_pass() -> None:
    assert issues(CHECK, _cluster(privileged=False)) == []


def test_privileged_ray_init_container_and_autoscaler_are_errors(
    run_check: Callable[..., CheckRun],
) -> None:
    result = run_check(CHECK, {"t/raycluster.yaml": to_yaml(_cluster(privileged=True))})
    assert result.rows() == [
        (
            CHECK,
            "rc",
            ".spec.workerGroupSpecs[0].template.spec.initContainers[0].securityContext.privileged",
            "t/raycluster.yaml",
            30,
        ),
        (
            CHECK,
            "rc",
            ".spec.autoscalerOptions.securityContext.privileged",
            "t/raycluster.yaml",
            34,
        ),
    ]


def test_privileged_deployment_container_is_an_error() -> None:
    web = container("web", **_privileged(True))
    assert issues(CHECK, deployment("web", containers=[web])) == [
        (
            CHECK,
            "Deployment/web",
            ".spec.template.spec.containers[0].securityContext.privileged",
            'container "web" of the pod template runs privileged',
        )
    ]
