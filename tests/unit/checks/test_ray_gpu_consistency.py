from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.builders import Body, issues, raycluster, to_yaml, worker_group
from tests.conftest import CheckRun

CHECK = "ray-gpu-consistency"
GROUP = ".spec.workerGroupSpecs[0]"
LIMIT = f"{GROUP}.template.spec.containers[0].resources.limits.nvidia.com/gpu"
ON_GPU_NODES = {
    "nodeSelector": {"nvidia.com/gpu.present": "true"},
    "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
}


def _gpus(n: int) -> dict[str, Any]:
    return {"image": "rayproject/ray:2.55.1-gpu", "resources": {"limits": {"nvidia.com/gpu": n}}}


def _gpu_group(num_gpus: str | None = "1", placed: bool = True) -> Body:
    """A group of 1-GPU pods telling Ray `num_gpus`, placed on GPU nodes when `placed`."""
    params = {"num-gpus": num_gpus} if num_gpus else {}
    placement = ON_GPU_NODES if placed else {}
    return worker_group("gpu", params=params, ray=_gpus(1), min_replicas=0, **placement)


def _cluster(*groups: Body, name: str = "rc") -> Body:
    return raycluster(name, workers=groups)


def test_consistent_gpu_groups_on_gpu_nodes_pass() -> None:
    gpu_present = {"key": "nvidia.com/gpu.present", "operator": "Exists"}
    affinity = {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [{"matchExpressions": [gpu_present]}]
            }
        }
    }
    by_affinity = worker_group(
        "gpu-affinity",
        params={"num-gpus": "2"},
        ray=_gpus(2),
        min_replicas=0,
        affinity=affinity,
        tolerations=[{"operator": "Exists"}],
    )
    assert issues(CHECK, _cluster(_gpu_group(), by_affinity)) == []


def test_num_gpus_other_than_the_gpu_limit_is_reported_at_num_gpus(
    run_check: Callable[..., CheckRun],
) -> None:
    tree = {"t/raycluster.yaml": to_yaml(_cluster(_gpu_group(num_gpus="2")))}
    assert run_check(CHECK, tree).rows() == [
        (f"{CHECK}[mismatch]", "rc", f"{GROUP}.rayStartParams.num-gpus", "t/raycluster.yaml", 19)
    ]


@pytest.mark.parametrize(
    ("group", "expected"),
    [
        (
            _gpu_group(num_gpus=None),
            [
                (
                    f"{CHECK}[no-num-gpus]",
                    LIMIT,
                    "worker group gpu: nvidia.com/gpu limit 1 without rayStartParams num-gpus "
                    "(KubeRay derives it from the limit; state it explicitly)",
                )
            ],
        ),
        (
            _gpu_group(placed=False),
            [
                (
                    f"{CHECK}[toleration]",
                    f"{GROUP}.template.spec",
                    'worker group gpu: GPU pod does not tolerate the "nvidia.com/gpu" taint',
                ),
                (
                    f"{CHECK}[node-selector]",
                    f"{GROUP}.template.spec",
                    "worker group gpu: GPU pod selects no GPU nodes (nodeSelector or required "
                    "nodeAffinity on nvidia.com/gpu.present)",
                ),
            ],
        ),
    ],
    ids=["no-num-gpus", "not-placed-on-gpu-nodes"],
)
def test_inconsistent_gpu_group_is_reported(group: Body, expected: list[tuple[str, ...]]) -> None:
    assert issues(CHECK, _cluster(group)) == [
        (check_id, "RayCluster/rc", field, message) for check_id, field, message in expected
    ]


def test_placement_and_explicit_num_gpus_are_platform_policy_a_mismatch_correctness(
    run_check: Callable[..., CheckRun],
) -> None:
    files = {
        "t/raycluster.yaml": to_yaml(_cluster(_gpu_group(num_gpus="2", placed=False))),
        "t/derived.yaml": to_yaml(
            _cluster(_gpu_group(num_gpus=None, placed=False), name="derived")
        ),
    }
    result = run_check(CHECK, files, profile="correctness")
    assert [(r[0], r[1]) for r in result.rows()] == [(f"{CHECK}[mismatch]", "rc")]
    platform = {(r[0], r[1]) for r in run_check(CHECK, files).rows()}
    assert (f"{CHECK}[no-num-gpus]", "derived") in platform
