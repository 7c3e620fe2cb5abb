from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.builders import (
    Body,
    container,
    head_group,
    issues,
    pod,
    raycluster,
    to_yaml,
    worker_group,
)
from tests.conftest import CheckRun

CHECK = "pod-resources"
SIZE = {"cpu": "1", "memory": "2Gi"}
FULL = {"requests": SIZE, "limits": SIZE}


def _cluster(worker: dict[str, Any], autoscaler: dict[str, Any] | None = None) -> Body:
    """An autoscaling RayCluster whose head is fully sized and whose worker sets `worker`."""
    return raycluster(
        head=head_group(ray={"resources": FULL}),
        workers=[worker_group(ray={"resources": worker}, min_replicas=0)],
        enableInTreeAutoscaling=True,
        autoscalerOptions=autoscaler,
    )


def test_complete_resources_and_the_autoscaler_default_pass() -> None:
    assert issues(CHECK, _cluster(FULL)) == []


def test_partial_autoscaler_override_and_missing_limits_are_errors(
    run_check: Callable[..., CheckRun],
) -> None:
    partial = {"resources": {"requests": {"cpu": "200m", "memory": "256Mi"}}}
    cluster = _cluster({"requests": SIZE}, autoscaler=partial)
    result = run_check(CHECK, {"t/raycluster.yaml": to_yaml(cluster)})
    assert result.rows() == [
        (
            CHECK,
            "rc",
            ".spec.workerGroupSpecs[0].template.spec.containers[0].resources",
            "t/raycluster.yaml",
            31,
        ),
        (CHECK, "rc", ".spec.autoscalerOptions.resources", "t/raycluster.yaml", 37),
    ]
    assert [f.message for f in result.findings] == [
        'container "ray-worker" of the worker group cpu does not set resources '
        "limits.cpu, limits.memory",
        "the autoscaler sidecar (autoscalerOptions) of the head group headgroup does not set "
        "resources limits.cpu, limits.memory",
    ]


def test_init_container_without_resources_is_reported_at_the_container() -> None:
    tiny = {"cpu": "10m", "memory": "16Mi"}
    main = container("main", resources={"requests": tiny, "limits": tiny})
    p = pod("p", containers=[main], initContainers=[container("init")])
    assert issues(CHECK, p) == [
        (
            CHECK,
            "Pod/p",
            ".spec.initContainers[0]",
            'init container "init" of the pod template does not set resources requests.cpu, '
            "requests.memory, limits.cpu, limits.memory",
        )
    ]
