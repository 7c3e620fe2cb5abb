from __future__ import annotations

from collections.abc import Callable

from tests.conftest import CheckRun

RAYCLUSTER = """\
apiVersion: ray.io/v1
kind: RayCluster
metadata:
  name: rc
  namespace: kuberay
spec:
  headGroupSpec:
    rayStartParams: {}
    template:
      spec:
        priorityClassName: ray-head
        affinity:
          nodeAffinity:
            requiredDuringSchedulingIgnoredDuringExecution:
              nodeSelectorTerms:
                - matchExpressions:
                    - key: node-role.kubernetes.io/control-plane
                      operator: DoesNotExist
                    - key: nvidia.com/gpu.present
                      operator: DoesNotExist
        containers:
          - name: ray-head
            image: rayproject/ray:2.46.0
  workerGroupSpecs:
    - groupName: gpu
      minReplicas: 0
      maxReplicas: 1
      rayStartParams:
        num-gpus: "1"
      template:
        spec:
          tolerations:
            - key: node-role.kubernetes.io/control-plane
              operator: Exists
          containers:
            - name: ray-worker
              image: rayproject/ray:2.46.0-gpu
              resources:
                limits:
                  nvidia.com/gpu: 1
"""
# Head without the anti-affinity; a CPU worker group that tolerates control-plane taints.
UNSAFE = """\
apiVersion: ray.io/v1
kind: RayCluster
metadata:
  name: rc
  namespace: kuberay
spec:
  headGroupSpec:
    rayStartParams: {}
    template:
      spec:
        priorityClassName: ray-head
        containers:
          - name: ray-head
            image: rayproject/ray:2.46.0
  workerGroupSpecs:
    - groupName: cpu
      minReplicas: 1
      maxReplicas: 2
      rayStartParams: {}
      template:
        spec:
          tolerations:
            - key: node-role.kubernetes.io/control-plane
              operator: Exists
              effect: NoSchedule
          affinity:
            nodeAffinity:
              requiredDuringSchedulingIgnoredDuringExecution:
                nodeSelectorTerms:
                  - matchExpressions:
                      - key: node-role.kubernetes.io/control-plane
                        operator: DoesNotExist
                      - key: nvidia.com/gpu.present
                        operator: DoesNotExist
          containers:
            - name: ray-worker
              image: rayproject/ray:2.46.0
"""


def test_cpu_pods_kept_off_control_plane_and_gpu_pods_exempt_pass(
    run_check: Callable[..., CheckRun],
) -> None:
    assert run_check("ray-control-plane", {"t/raycluster.yaml": RAYCLUSTER}).rows() == []


def test_control_plane_toleration_and_missing_anti_affinity_are_reported(
    run_check: Callable[..., CheckRun],
) -> None:
    result = run_check("ray-control-plane", {"t/raycluster.yaml": UNSAFE})
    assert result.rows() == [
        (
            "ray-control-plane[anti-affinity]",
            "rc",
            ".spec.headGroupSpec.template.spec",
            "t/raycluster.yaml",
            10,
        ),
        (
            "ray-control-plane[gpu-node]",
            "rc",
            ".spec.headGroupSpec.template.spec",
            "t/raycluster.yaml",
            10,
        ),
        (
            "ray-control-plane[toleration]",
            "rc",
            ".spec.workerGroupSpecs[0].template.spec.tolerations[0].key",
            "t/raycluster.yaml",
            23,
        ),
    ]


def test_anti_affinity_and_gpu_node_requirements_can_be_switched_off(
    run_check: Callable[..., CheckRun],
) -> None:
    extra = (
        "checks:\n  ray-control-plane:\n    options:\n      require_anti_affinity: false\n"
        '      gpu_node_label: ""\n'
    )
    result = run_check("ray-control-plane", {"t/raycluster.yaml": UNSAFE}, extra)
    assert result.rows() == [
        (
            "ray-control-plane[toleration]",
            "rc",
            ".spec.workerGroupSpecs[0].template.spec.tolerations[0].key",
            "t/raycluster.yaml",
            23,
        ),
    ]


def test_cpu_pod_tolerating_the_gpu_taint_is_reported(
    run_check: Callable[..., CheckRun],
) -> None:
    text = UNSAFE.replace(
        "- key: node-role.kubernetes.io/control-plane\n              operator: Exists",
        "- key: nvidia.com/gpu\n              operator: Exists",
    )
    extra = (
        "checks:\n  ray-control-plane:\n    options:\n      require_anti_affinity: false\n"
        '      gpu_node_label: ""\n'
    )
    assert run_check("ray-control-plane", {"t/raycluster.yaml": text}, extra).rows() == [
        (
            "ray-control-plane[toleration]",
            "rc",
            ".spec.workerGroupSpecs[0].template.spec.tolerations[0].key",
            "t/raycluster.yaml",
            23,
        ),
    ]


def test_head_without_the_configured_priority_class_is_reported(
    run_check: Callable[..., CheckRun],
) -> None:
    extra = "checks:\n  ray-control-plane:\n    options:\n      head_priority_class: ray-top\n"
    result = run_check("ray-control-plane", {"t/raycluster.yaml": RAYCLUSTER}, extra)
    assert result.rows() == [
        (
            "ray-control-plane[head-priority]",
            "rc",
            ".spec.headGroupSpec.template.spec.priorityClassName",
            "t/raycluster.yaml",
            11,
        ),
    ]


_SIZE = " " * 18
GPU_NODE = (
    "checks:\n  ray-control-plane:\n    options:\n"
    "      gpu_node_allocatable: {cpu: 7910m, memory: 29Gi, nvidia.com/gpu: 1}\n"
    '      control_plane_reserve: {cpu: "2", memory: 8Gi}\n'
)


def test_gpu_worker_within_the_control_plane_node_budget_passes(
    run_check: Callable[..., CheckRun],
) -> None:
    text = RAYCLUSTER.replace(
        "                  nvidia.com/gpu: 1\n",
        "                  nvidia.com/gpu: 1\n" + _SIZE + 'cpu: "4"\n' + _SIZE + "memory: 16Gi\n",
    )
    assert run_check("ray-control-plane", {"t/raycluster.yaml": text}, GPU_NODE).rows() == []


def test_gpu_worker_taking_the_control_planes_room_is_reported(
    run_check: Callable[..., CheckRun],
) -> None:
    text = RAYCLUSTER.replace(
        "                  nvidia.com/gpu: 1\n",
        "                  nvidia.com/gpu: 1\n" + _SIZE + 'cpu: "7"\n' + _SIZE + "memory: 16Gi\n",
    )
    assert run_check("ray-control-plane", {"t/raycluster.yaml": text}, GPU_NODE).rows() == [
        (
            "ray-control-plane[gpu-requests]",
            "rc",
            ".spec.workerGroupSpecs[0].template.spec.containers[0].resources.limits.cpu",
            "t/raycluster.yaml",
            41,
        ),
    ]
