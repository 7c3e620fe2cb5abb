from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from kuberay_gitops.findings import Profile, Severity
from tests.builders import Body, grades, issues, raycluster, to_yaml, worker_group
from tests.conftest import CheckRun

CHECK = "ray-gpu-consistency"
GROUP = ".spec.workerGroupSpecs[0]"
LIMIT = f"{GROUP}.template.spec.containers[0].resources.limits.nvidia.com/gpu"
ON_GPU_NODES: dict[str, Any] = {
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


# ----------------------------------------------------------------------------- fast path

SPEC = f"{GROUP}.template.spec"
TERMS = f"{SPEC}.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution"
GPU_NODES = {"nvidia.com/gpu.present": "true"}
GPU_TOLERATION = [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]
NO_GPU_NODES = (
    "worker group gpu: GPU pod selects no GPU nodes (nodeSelector or required nodeAffinity on "
    "nvidia.com/gpu.present)"
)


def _row(variant: str, field: str, message: str) -> tuple[str, str, str, str]:
    return (f"{CHECK}[{variant}]", "RayCluster/rc", field, message)


def _affinity(*expressions: Body) -> Body:
    """A required nodeAffinity of one nodeSelectorTerm with these expressions."""
    term = {"matchExpressions": list(expressions)}
    return {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [term]}
        }
    }


def _placed(**placement: Any) -> Body:
    """A consistent one-GPU group placed by `placement` (pod spec keys) alone."""
    return worker_group("gpu", params={"num-gpus": "1"}, ray=_gpus(1), **placement)


def test_a_gpu_request_without_limit_is_reported_at_the_request() -> None:
    ray = {"resources": {"requests": {"nvidia.com/gpu": 1}}}
    group = worker_group("gpu", ray=ray, tolerations=GPU_TOLERATION, nodeSelector=GPU_NODES)
    assert issues(CHECK, _cluster(group)) == [
        _row(
            "no-num-gpus",
            f"{SPEC}.containers[0].resources.requests.nvidia.com/gpu",
            "worker group gpu: nvidia.com/gpu limit 1 without rayStartParams num-gpus "
            "(KubeRay derives it from the limit; state it explicitly)",
        )
    ]


def test_a_missing_num_gpus_is_a_platform_warning() -> None:
    assert grades(CHECK, _cluster(_gpu_group(num_gpus=None))) == [
        (f"{CHECK}[no-num-gpus]", Severity.WARNING, Profile.PLATFORM)
    ]


def test_the_mismatch_message_names_num_gpus_and_the_limit() -> None:
    assert issues(CHECK, _cluster(_gpu_group(num_gpus="2"))) == [
        _row(
            "mismatch",
            f"{GROUP}.rayStartParams.num-gpus",
            "worker group gpu: num-gpus 2 but the Ray container's nvidia.com/gpu limit is 1",
        )
    ]


def test_num_gpus_without_a_gpu_limit_is_a_mismatch_with_no_limit() -> None:
    group = worker_group(
        "gpu", params={"num-gpus": "2"}, tolerations=GPU_TOLERATION, nodeSelector=GPU_NODES
    )
    assert issues(CHECK, _cluster(group)) == [
        _row(
            "mismatch",
            f"{GROUP}.rayStartParams.num-gpus",
            "worker group gpu: num-gpus 2 but the Ray container's nvidia.com/gpu limit is not set",
        )
    ]


def test_num_gpus_zero_without_a_gpu_limit_agrees() -> None:
    assert issues(CHECK, _cluster(worker_group("cpu", params={"num-gpus": "0"}))) == []


def test_a_group_without_containers_is_not_judged() -> None:
    assert issues(CHECK, _cluster(worker_group("empty", containers=[]))) == []


def test_tolerations_without_the_gpu_taint_are_reported_at_the_tolerations() -> None:
    other = [{"key": "example.com/dedicated", "operator": "Exists"}]
    group = _placed(nodeSelector={"nvidia.com/gpu.present": "true"}, tolerations=other)
    assert issues(CHECK, _cluster(group)) == [
        _row(
            "toleration",
            f"{SPEC}.tolerations",
            'worker group gpu: GPU pod does not tolerate the "nvidia.com/gpu" taint',
        )
    ]


def test_a_node_selector_without_a_gpu_label_is_reported_at_it_even_beside_affinity() -> None:
    group = _placed(
        tolerations=GPU_TOLERATION,
        nodeSelector={"example.com/pool": "batch"},
        affinity=_affinity({"key": "example.com/zone", "operator": "Exists"}),
    )
    assert issues(CHECK, _cluster(group)) == [
        _row("node-selector", f"{SPEC}.nodeSelector", NO_GPU_NODES)
    ]


def test_required_terms_without_a_gpu_label_are_reported_at_the_terms() -> None:
    group = _placed(
        tolerations=GPU_TOLERATION,
        affinity=_affinity({"key": "example.com/zone", "operator": "In", "values": ["a"]}),
    )
    assert issues(CHECK, _cluster(group)) == [
        _row("node-selector", f"{TERMS}.nodeSelectorTerms", NO_GPU_NODES)
    ]


def test_the_gpu_label_in_true_selects_gpu_nodes() -> None:
    affinity = _affinity({"key": "nvidia.com/gpu.present", "operator": "In", "values": ["true"]})
    assert issues(CHECK, _cluster(_placed(tolerations=GPU_TOLERATION, affinity=affinity))) == []


def test_the_gpu_label_not_in_does_not_select_gpu_nodes() -> None:
    affinity = _affinity({"key": "nvidia.com/gpu.present", "operator": "NotIn", "values": ["x"]})
    group = _placed(tolerations=GPU_TOLERATION, affinity=affinity)
    assert issues(CHECK, _cluster(group)) == [
        _row("node-selector", f"{TERMS}.nodeSelectorTerms", NO_GPU_NODES)
    ]


def test_the_message_lists_every_configured_label() -> None:
    labels = {"gpu_node_labels": ["nvidia.com/gpu.present", "example.com/accelerator"]}
    assert issues(CHECK, _cluster(_placed(tolerations=GPU_TOLERATION)), options=labels) == [
        _row(
            "node-selector",
            SPEC,
            "worker group gpu: GPU pod selects no GPU nodes (nodeSelector or required "
            "nodeAffinity on nvidia.com/gpu.present, example.com/accelerator)",
        )
    ]
