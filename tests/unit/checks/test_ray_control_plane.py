from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.builders import (
    Body,
    container,
    head_group,
    issues,
    raycluster,
    to_yaml,
    worker_group,
)
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


# ----------------------------------------------------------------------------- fast path

GPU_LABEL = "nvidia.com/gpu.present"
WORKER = ".spec.workerGroupSpecs[0].template.spec"
HEAD = ".spec.headGroupSpec.template.spec"
TERMS = ".affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms"
ANTI_AFFINITY = (
    f"no required nodeAffinity keeps the pod off control-plane nodes ({CONTROL_PLANE} "
    "DoesNotExist in every term)"
)
GPU_NODE_RULE = (
    f"no required nodeAffinity keeps the CPU pod off GPU nodes ({GPU_LABEL} DoesNotExist in "
    "every term); GPU nodes are for GPU workers"
)
TOLERATES_CONTROL_PLANE = {"key": CONTROL_PLANE, "operator": "Exists"}


def _affinity(*terms: list[Body]) -> Body:
    """A required nodeAffinity of these nodeSelectorTerms (each a list of expressions)."""
    selector = {"nodeSelectorTerms": [{"matchExpressions": list(t)} for t in terms]}
    return {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": selector}}


def _cpu_cluster(affinity: Body | None = None, **pod_spec: Any) -> Body:
    """A safe head and one CPU worker group `cpu` with this affinity and pod spec keys."""
    worker = worker_group(affinity=affinity, **pod_spec)
    head = head_group(priorityClassName="ray-head", affinity=OFF_CONTROL_PLANE_AND_GPU_NODES)
    return raycluster(head=head, workers=[worker])


def _row(variant: str, field: str, message: str) -> tuple[str, str, str, str]:
    return (f"{CHECK}[{variant}]", "RayCluster/rc", field, message)


def test_affinity_rules_are_reported_at_the_spec_with_their_messages() -> None:
    assert issues(CHECK, _cpu_cluster()) == [
        _row("anti-affinity", WORKER, f"worker group cpu: {ANTI_AFFINITY}"),
        _row("gpu-node", WORKER, f"worker group cpu: {GPU_NODE_RULE}"),
    ]


def test_a_term_without_the_control_plane_expression_is_reported_at_the_terms() -> None:
    only_gpu = _affinity([{"key": GPU_LABEL, "operator": "DoesNotExist"}])
    assert issues(CHECK, _cpu_cluster(only_gpu)) == [
        _row("anti-affinity", WORKER + TERMS, f"worker group cpu: {ANTI_AFFINITY}")
    ]


def test_control_plane_exists_is_not_off_the_control_plane() -> None:
    wrong = _affinity(
        [
            {"key": CONTROL_PLANE, "operator": "Exists"},
            {"key": GPU_LABEL, "operator": "DoesNotExist"},
        ]
    )
    assert issues(CHECK, _cpu_cluster(wrong)) == [
        _row("anti-affinity", WORKER + TERMS, f"worker group cpu: {ANTI_AFFINITY}")
    ]


def test_every_term_must_keep_the_pod_off_the_control_plane() -> None:
    off = [
        {"key": CONTROL_PLANE, "operator": "DoesNotExist"},
        {"key": GPU_LABEL, "operator": "DoesNotExist"},
    ]
    loose = [{"key": GPU_LABEL, "operator": "DoesNotExist"}]
    assert issues(CHECK, _cpu_cluster(_affinity(off, loose))) == [
        _row("anti-affinity", WORKER + TERMS, f"worker group cpu: {ANTI_AFFINITY}")
    ]


def _gpu_expression(**expression: Any) -> Body:
    return _affinity(
        [{"key": CONTROL_PLANE, "operator": "DoesNotExist"}, {"key": GPU_LABEL, **expression}]
    )


def test_gpu_label_not_in_true_keeps_the_pod_off_gpu_nodes() -> None:
    affinity = _gpu_expression(operator="NotIn", values=["false", "true"])
    assert issues(CHECK, _cpu_cluster(affinity)) == []


def test_only_the_control_plane_expression_is_reported_as_gpu_node() -> None:
    affinity = _affinity([{"key": CONTROL_PLANE, "operator": "DoesNotExist"}])
    assert issues(CHECK, _cpu_cluster(affinity)) == [
        _row("gpu-node", WORKER + TERMS, f"worker group cpu: {GPU_NODE_RULE}")
    ]


def test_gpu_label_expressions_that_do_not_exclude_true_are_reported() -> None:
    for expression in (
        {"operator": "NotIn", "values": ["false"]},
        {"operator": "In", "values": ["true"]},
        {"operator": "NotIn", "values": "true"},
        {"operator": "Exists"},
    ):
        assert issues(CHECK, _cpu_cluster(_gpu_expression(**expression))) == [
            _row("gpu-node", WORKER + TERMS, f"worker group cpu: {GPU_NODE_RULE}")
        ], expression


def test_another_label_not_in_true_does_not_keep_the_pod_off_gpu_nodes() -> None:
    affinity = _affinity(
        [
            {"key": CONTROL_PLANE, "operator": "DoesNotExist"},
            {"key": "example.com/accelerator", "operator": "NotIn", "values": ["true"]},
        ]
    )
    assert issues(CHECK, _cpu_cluster(affinity)) == [
        _row("gpu-node", WORKER + TERMS, f"worker group cpu: {GPU_NODE_RULE}")
    ]


def test_the_gpu_node_label_option_names_the_label() -> None:
    affinity = _affinity(
        [
            {"key": CONTROL_PLANE, "operator": "DoesNotExist"},
            {"key": "example.com/gpu", "operator": "DoesNotExist"},
        ]
    )
    assert issues(CHECK, _cpu_cluster(affinity), options={"gpu_node_label": "example.com/gpu"}) == [
        _row(
            "gpu-node",
            HEAD + TERMS,
            "head group headgroup: no required nodeAffinity keeps the CPU pod off GPU nodes "
            "(example.com/gpu DoesNotExist in every term); GPU nodes are for GPU workers",
        )
    ]


def test_a_toleration_of_every_taint_is_reported_at_the_toleration() -> None:
    cluster = _cpu_cluster(OFF_CONTROL_PLANE_AND_GPU_NODES, tolerations=[{"operator": "Exists"}])
    assert issues(CHECK, cluster) == [
        _row(
            "toleration",
            f"{WORKER}.tolerations[0]",
            'worker group cpu: a CPU pod tolerates control-plane and GPU taints (key "", '
            "operator Exists)",
        )
    ]


def test_a_toleration_without_operator_is_equal_and_the_legacy_master_key_counts() -> None:
    master = {"key": "node-role.kubernetes.io/master", "effect": "NoSchedule"}
    cluster = _cpu_cluster(OFF_CONTROL_PLANE_AND_GPU_NODES, tolerations=[master])
    assert issues(CHECK, cluster) == [
        _row(
            "toleration",
            f"{WORKER}.tolerations[0].key",
            'worker group cpu: a CPU pod tolerates control-plane taints (key "'
            'node-role.kubernetes.io/master", operator Equal)',
        )
    ]


def test_a_cpu_group_after_a_gpu_group_is_still_judged() -> None:
    gpu = worker_group(
        "gpu",
        ray={"resources": {"limits": {"nvidia.com/gpu": 1}}},
        tolerations=[TOLERATES_CONTROL_PLANE],
    )
    cpu = worker_group(
        "cpu", tolerations=[TOLERATES_CONTROL_PLANE], affinity=OFF_CONTROL_PLANE_AND_GPU_NODES
    )
    head = head_group(priorityClassName="ray-head", affinity=OFF_CONTROL_PLANE_AND_GPU_NODES)
    assert issues(CHECK, raycluster(head=head, workers=[gpu, cpu])) == [
        (
            f"{CHECK}[toleration]",
            "RayCluster/rc",
            ".spec.workerGroupSpecs[1].template.spec.tolerations[0].key",
            "worker group cpu: a CPU pod tolerates control-plane taints "
            f'(key "{CONTROL_PLANE}", operator Exists)',
        )
    ]


def test_a_head_without_priority_class_is_reported_at_its_spec() -> None:
    head = head_group(affinity=OFF_CONTROL_PLANE_AND_GPU_NODES)
    assert issues(CHECK, raycluster(head=head, workers=[])) == [
        _row(
            "head-priority",
            HEAD,
            "head of RayCluster rc: priorityClassName is not set, expected a Ray head "
            "PriorityClass: the head holds GCS and the driver and must not lose its node to Ray "
            "workers",
        )
    ]


# ----------------------------------------------------------------------------- GPU sizes

RAY = f"{WORKER}.containers[0]"


def _gpu_cluster(
    *sidecars: Body,
    resources: Body | None = None,
    tolerations: list[Body] | None = None,
    **pod_spec: Any,
) -> Body:
    """A safe head and one GPU worker group `gpu` whose Ray container has `resources`
    (default: one GPU) and that tolerates the control-plane taint (unless `tolerations`)."""
    gpu = worker_group(
        "gpu",
        *sidecars,
        ray={"resources": resources or {"limits": {"nvidia.com/gpu": 1}}},
        tolerations=[TOLERATES_CONTROL_PLANE] if tolerations is None else tolerations,
        **pod_spec,
    )
    head = head_group(priorityClassName="ray-head", affinity=OFF_CONTROL_PLANE_AND_GPU_NODES)
    return raycluster(head=head, workers=[gpu])


def _share(section: str, resource: str, pod: str, budget: str, terms: str) -> str:
    return (
        f"worker group gpu: {section}.{resource} {pod} of a GPU pod that may run on the "
        f"control-plane node exceeds its share of that node, {budget} = {terms}"
    )


def test_requests_beyond_the_share_are_reported_with_the_budget_and_its_terms() -> None:
    resources = {"requests": {"cpu": "6"}, "limits": {"nvidia.com/gpu": 1}}
    assert issues(CHECK, _gpu_cluster(resources=resources), options=GPU_NODE) == [
        _row(
            "gpu-requests",
            f"{RAY}.resources.requests.cpu",
            _share(
                "requests",
                "cpu",
                "6 CPU",
                "5.91 CPU",
                "(allocatable 7910m - control-plane reserve 2) x 1/1 GPUs",
            ),
        )
    ]


def test_memory_limits_beyond_the_share_are_reported_in_gibibytes() -> None:
    resources = {"limits": {"nvidia.com/gpu": 1, "memory": "24Gi"}}
    assert issues(CHECK, _gpu_cluster(resources=resources), options=GPU_NODE) == [
        _row(
            "gpu-requests",
            f"{RAY}.resources.limits.memory",
            _share(
                "limits",
                "memory",
                "24.00Gi",
                "21.00Gi",
                "(allocatable 29Gi - control-plane reserve 8Gi) x 1/1 GPUs",
            ),
        )
    ]


def test_exactly_the_share_passes() -> None:
    resources = {
        "requests": {"cpu": "5910m", "memory": "21Gi"},
        "limits": {"nvidia.com/gpu": 1, "cpu": "5.91", "memory": "21Gi"},
    }
    assert issues(CHECK, _gpu_cluster(resources=resources), options=GPU_NODE) == []


def test_without_a_reserve_the_whole_allocatable_is_the_budget() -> None:
    node = {"gpu_node_allocatable": {"cpu": "12", "nvidia.com/gpu": 1}}
    fits = {"limits": {"nvidia.com/gpu": 1, "cpu": "12"}}
    assert issues(CHECK, _gpu_cluster(resources=fits), options=node) == []
    over = {"limits": {"nvidia.com/gpu": 1, "cpu": "12.5"}}
    assert issues(CHECK, _gpu_cluster(resources=over), options=node) == [
        _row(
            "gpu-requests",
            f"{RAY}.resources.limits.cpu",
            _share(
                "limits",
                "cpu",
                "12.5 CPU",
                "12 CPU",
                "(allocatable 12 - control-plane reserve 0) x 1/1 GPUs",
            ),
        )
    ]


def test_a_large_cpu_budget_is_printed_in_plain_digits() -> None:
    node = {"gpu_node_allocatable": {"cpu": "100", "nvidia.com/gpu": 1}}
    over = {"limits": {"nvidia.com/gpu": 1, "cpu": "200"}}
    assert issues(CHECK, _gpu_cluster(resources=over), options=node) == [
        _row(
            "gpu-requests",
            f"{RAY}.resources.limits.cpu",
            _share(
                "limits",
                "cpu",
                "200 CPU",
                "100 CPU",
                "(allocatable 100 - control-plane reserve 0) x 1/1 GPUs",
            ),
        )
    ]


def test_a_pod_gets_its_gpus_share_of_the_node() -> None:
    node = {**GPU_NODE, "gpu_node_allocatable": {"cpu": "7910m", "nvidia.com/gpu": "4"}}
    resources = {"limits": {"nvidia.com/gpu": 2, "cpu": "3"}}
    assert issues(CHECK, _gpu_cluster(resources=resources), options=node) == [
        _row(
            "gpu-requests",
            f"{RAY}.resources.limits.cpu",
            _share(
                "limits",
                "cpu",
                "3 CPU",
                "2.955 CPU",
                "(allocatable 7910m - control-plane reserve 2) x 2/4 GPUs",
            ),
        )
    ]


def test_a_node_without_a_gpu_count_is_one_gpu_a_one_gpu_pod_has_it_all() -> None:
    node = {**GPU_NODE, "gpu_node_allocatable": {"cpu": "7910m"}}
    resources = {"limits": {"nvidia.com/gpu": 1, "cpu": "5"}}
    assert issues(CHECK, _gpu_cluster(resources=resources), options=node) == []


def test_a_pod_with_more_gpus_than_the_node_gets_the_whole_node_no_more() -> None:
    resources = {"limits": {"nvidia.com/gpu": 2, "cpu": "6"}}
    assert issues(CHECK, _gpu_cluster(resources=resources), options=GPU_NODE) == [
        _row(
            "gpu-requests",
            f"{RAY}.resources.limits.cpu",
            _share(
                "limits",
                "cpu",
                "6 CPU",
                "5.91 CPU",
                "(allocatable 7910m - control-plane reserve 2) x 2/1 GPUs",
            ),
        )
    ]


def test_a_gpu_pod_by_num_gpus_without_a_gpu_limit_counts_one_gpu() -> None:
    node = {**GPU_NODE, "gpu_node_allocatable": {"cpu": "7910m", "nvidia.com/gpu": 2}}
    cluster = _gpu_cluster(resources={"limits": {"cpu": "3"}}, params={"num-gpus": "1"})
    assert issues(CHECK, cluster, options=node) == [
        _row(
            "gpu-requests",
            f"{RAY}.resources.limits.cpu",
            _share(
                "limits",
                "cpu",
                "3 CPU",
                "2.955 CPU",
                "(allocatable 7910m - control-plane reserve 2) x 1/2 GPUs",
            ),
        )
    ]


def test_every_container_counts_toward_the_pod_and_sidecars_bring_no_gpu() -> None:
    node = {**GPU_NODE, "gpu_node_allocatable": {"cpu": "7910m", "nvidia.com/gpu": 2}}
    sidecar = container("log", resources={"requests": {"cpu": "1.5"}})
    cluster = _gpu_cluster(
        sidecar,
        container("bare"),
        resources={"requests": {"cpu": "2"}, "limits": {"nvidia.com/gpu": 1}},
    )
    assert issues(CHECK, cluster, options=node) == [
        _row(
            "gpu-requests",
            f"{RAY}.resources.requests.cpu",
            _share(
                "requests",
                "cpu",
                "3.5 CPU",
                "2.955 CPU",
                "(allocatable 7910m - control-plane reserve 2) x 1/2 GPUs",
            ),
        )
    ]


def test_a_resource_the_ray_container_does_not_set_is_reported_where_it_would_go() -> None:
    sidecar = container("log", resources={"requests": {"cpu": "7"}})
    assert issues(CHECK, _gpu_cluster(sidecar), options=GPU_NODE) == [
        _row(
            "gpu-requests",
            f"{RAY}.resources",
            _share(
                "requests",
                "cpu",
                "7 CPU",
                "5.91 CPU",
                "(allocatable 7910m - control-plane reserve 2) x 1/1 GPUs",
            ),
        )
    ]


def test_a_resource_the_node_does_not_list_is_skipped_the_others_are_judged() -> None:
    node = {**GPU_NODE, "gpu_node_allocatable": {"memory": "29Gi", "nvidia.com/gpu": 1}}
    resources = {"limits": {"nvidia.com/gpu": 1, "cpu": "100", "memory": "22Gi"}}
    assert issues(CHECK, _gpu_cluster(resources=resources), options=node) == [
        _row(
            "gpu-requests",
            f"{RAY}.resources.limits.memory",
            _share(
                "limits",
                "memory",
                "22.00Gi",
                "21.00Gi",
                "(allocatable 29Gi - control-plane reserve 8Gi) x 1/1 GPUs",
            ),
        )
    ]


def test_a_gpu_pod_that_does_not_tolerate_the_control_plane_is_not_sized() -> None:
    resources = {"limits": {"nvidia.com/gpu": 1, "cpu": "100"}}
    assert issues(CHECK, _gpu_cluster(resources=resources, tolerations=[]), options=GPU_NODE) == []


def test_a_gpu_pod_without_containers_asks_for_nothing() -> None:
    node = {
        "gpu_node_allocatable": {"cpu": "1", "nvidia.com/gpu": 1},
        "control_plane_reserve": {"cpu": "2"},
    }
    cluster = _gpu_cluster(params={"num-gpus": "1"}, containers=[])
    assert issues(CHECK, cluster, options=node) == []


def test_an_empty_priority_class_is_reported_at_the_field() -> None:
    head = head_group(priorityClassName="", affinity=OFF_CONTROL_PLANE_AND_GPU_NODES)
    assert issues(CHECK, raycluster(head=head, workers=[])) == [
        _row(
            "head-priority",
            f"{HEAD}.priorityClassName",
            "head of RayCluster rc: priorityClassName is not set, expected a Ray head "
            "PriorityClass: the head holds GCS and the driver and must not lose its node to Ray "
            "workers",
        )
    ]
