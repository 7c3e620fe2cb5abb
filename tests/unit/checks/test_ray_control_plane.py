from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.builders import Body, head_group, issues, raycluster, to_yaml, worker_group
from tests.conftest import CheckRun

CHECK = "ray-control-plane"
CONTROL_PLANE = "node-role.kubernetes.io/control-plane"
OFF_CONTROL_PLANE_AND_GPU_NODES = {
    "nodeAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [
                {
                    "matchExpressions": [
                        {"key": CONTROL_PLANE, "operator": "DoesNotExist"},
                        {"key": "nvidia.com/gpu.present", "operator": "DoesNotExist"},
                    ]
                }
            ]
        }
    }
}
RELAXED = {"require_anti_affinity": False, "gpu_node_label": ""}
GPU_NODE = {
    "gpu_node_allocatable": {"cpu": "7910m", "memory": "29Gi", "nvidia.com/gpu": 1},
    "control_plane_reserve": {"cpu": "2", "memory": "8Gi"},
}
TOLERATIONS = ".spec.workerGroupSpecs[0].template.spec.tolerations[0].key"


def _safe(**gpu_limits: Any) -> Body:
    """A head kept off control-plane and GPU nodes; a GPU worker group that tolerates the
    control-plane taint (GPU pods are exempt), sized by `gpu_limits` beside the GPU."""
    gpu = worker_group(
        "gpu",
        params={"num-gpus": "1"},
        ray={
            "image": "rayproject/ray:2.55.1-gpu",
            "resources": {"limits": {"nvidia.com/gpu": 1, **gpu_limits}},
        },
        min_replicas=0,
        max_replicas=1,
        tolerations=[{"key": CONTROL_PLANE, "operator": "Exists"}],
    )
    head = head_group(priorityClassName="ray-head", affinity=OFF_CONTROL_PLANE_AND_GPU_NODES)
    return raycluster(head=head, workers=[gpu])


def _unsafe(toleration: str = CONTROL_PLANE) -> Body:
    """A head without the anti-affinity; a CPU worker group that tolerates `toleration`."""
    cpu = worker_group(
        tolerations=[{"key": toleration, "operator": "Exists", "effect": "NoSchedule"}],
        affinity=OFF_CONTROL_PLANE_AND_GPU_NODES,
    )
    return raycluster(head=head_group(priorityClassName="ray-head"), workers=[cpu])


def test_cpu_pods_kept_off_control_plane_and_gpu_pods_exempt_pass() -> None:
    assert issues(CHECK, _safe()) == []


def test_control_plane_toleration_and_missing_anti_affinity_are_reported(
    run_check: Callable[..., CheckRun],
) -> None:
    result = run_check(CHECK, {"t/raycluster.yaml": to_yaml(_unsafe())})
    head = ".spec.headGroupSpec.template.spec"
    assert result.rows() == [
        (f"{CHECK}[anti-affinity]", "rc", head, "t/raycluster.yaml", 10),
        (f"{CHECK}[gpu-node]", "rc", head, "t/raycluster.yaml", 10),
        (f"{CHECK}[toleration]", "rc", TOLERATIONS, "t/raycluster.yaml", 26),
    ]


def test_anti_affinity_and_gpu_node_requirements_can_be_switched_off() -> None:
    assert issues(CHECK, _unsafe(), options=RELAXED) == [
        (
            f"{CHECK}[toleration]",
            "RayCluster/rc",
            TOLERATIONS,
            "worker group cpu: a CPU pod tolerates control-plane taints "
            f'(key "{CONTROL_PLANE}", operator Exists)',
        )
    ]


def test_cpu_pod_tolerating_the_gpu_taint_is_reported() -> None:
    assert issues(CHECK, _unsafe(toleration="nvidia.com/gpu"), options=RELAXED) == [
        (
            f"{CHECK}[toleration]",
            "RayCluster/rc",
            TOLERATIONS,
            'worker group cpu: a CPU pod tolerates GPU taints (key "nvidia.com/gpu", operator '
            "Exists)",
        )
    ]


def test_head_without_the_configured_priority_class_is_reported() -> None:
    assert issues(CHECK, _safe(), options={"head_priority_class": "ray-top"}) == [
        (
            f"{CHECK}[head-priority]",
            "RayCluster/rc",
            ".spec.headGroupSpec.template.spec.priorityClassName",
            "head of RayCluster rc: priorityClassName is ray-head, expected ray-top: the head "
            "holds GCS and the driver and must not lose its node to Ray workers",
        )
    ]


def test_gpu_worker_within_the_control_plane_node_budget_passes() -> None:
    assert issues(CHECK, _safe(cpu="4", memory="16Gi"), options=GPU_NODE) == []


def test_gpu_worker_taking_the_control_planes_room_is_reported(
    run_check: Callable[..., CheckRun],
) -> None:
    extra = (
        "checks:\n  ray-control-plane:\n    options:\n"
        "      gpu_node_allocatable: {cpu: 7910m, memory: 29Gi, nvidia.com/gpu: 1}\n"
        '      control_plane_reserve: {cpu: "2", memory: 8Gi}\n'
    )
    tree = {"t/raycluster.yaml": to_yaml(_safe(cpu="7", memory="16Gi"))}
    assert run_check(CHECK, tree, extra).rows() == [
        (
            f"{CHECK}[gpu-requests]",
            "rc",
            ".spec.workerGroupSpecs[0].template.spec.containers[0].resources.limits.cpu",
            "t/raycluster.yaml",
            38,
        ),
    ]
