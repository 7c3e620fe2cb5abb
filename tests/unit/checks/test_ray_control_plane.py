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
        affinity:
          nodeAffinity:
            requiredDuringSchedulingIgnoredDuringExecution:
              nodeSelectorTerms:
                - matchExpressions:
                    - key: node-role.kubernetes.io/control-plane
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
            "ray-control-plane[toleration]",
            "rc",
            ".spec.workerGroupSpecs[0].template.spec.tolerations[0].key",
            "t/raycluster.yaml",
            22,
        ),
    ]


def test_anti_affinity_requirement_can_be_switched_off(
    run_check: Callable[..., CheckRun],
) -> None:
    extra = "checks:\n  ray-control-plane:\n    options:\n      require_anti_affinity: false\n"
    result = run_check("ray-control-plane", {"t/raycluster.yaml": UNSAFE}, extra)
    assert result.rows() == [
        (
            "ray-control-plane[toleration]",
            "rc",
            ".spec.workerGroupSpecs[0].template.spec.tolerations[0].key",
            "t/raycluster.yaml",
            22,
        ),
    ]
