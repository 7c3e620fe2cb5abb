from __future__ import annotations

from collections.abc import Callable

import pytest

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
        containers:
          - name: ray-head
            image: rayproject/ray:2.46.0
  workerGroupSpecs:
    - groupName: gpu
      minReplicas: 0
      maxReplicas: 2
      rayStartParams:
        num-gpus: "1"
      template:
        spec:
          nodeSelector:
            nvidia.com/gpu.present: "true"
          tolerations:
            - key: nvidia.com/gpu
              operator: Exists
              effect: NoSchedule
          containers:
            - name: ray-worker
              image: rayproject/ray:2.46.0-gpu
              resources:
                limits:
                  nvidia.com/gpu: 1
"""
AFFINITY_GROUP = """\
    - groupName: gpu-affinity
      minReplicas: 0
      maxReplicas: 2
      rayStartParams:
        num-gpus: "2"
      template:
        spec:
          affinity:
            nodeAffinity:
              requiredDuringSchedulingIgnoredDuringExecution:
                nodeSelectorTerms:
                  - matchExpressions:
                      - key: nvidia.com/gpu.present
                        operator: Exists
          tolerations:
            - operator: Exists
          containers:
            - name: ray-worker
              image: rayproject/ray:2.46.0-gpu
              resources:
                limits:
                  nvidia.com/gpu: 2
"""
GROUP = ".spec.workerGroupSpecs[0]"
LIMIT = f"{GROUP}.template.spec.containers[0].resources.limits.nvidia.com/gpu"
TOLERATIONS = """\
          tolerations:
            - key: nvidia.com/gpu
              operator: Exists
              effect: NoSchedule
"""


def test_consistent_gpu_groups_on_gpu_nodes_pass(run_check: Callable[..., CheckRun]) -> None:
    tree = {"t/raycluster.yaml": RAYCLUSTER + AFFINITY_GROUP}
    assert run_check("ray-gpu-consistency", tree).rows() == []


@pytest.mark.parametrize(
    ("old", "new", "rows"),
    [
        (
            'num-gpus: "1"',
            'num-gpus: "2"',
            [("ray-gpu-consistency[mismatch]", f"{GROUP}.rayStartParams.num-gpus", 19)],
        ),
        (
            'rayStartParams:\n        num-gpus: "1"',
            "rayStartParams: {}",
            [("ray-gpu-consistency[no-num-gpus]", LIMIT, 32)],
        ),
        (
            '          nodeSelector:\n            nvidia.com/gpu.present: "true"\n' + TOLERATIONS,
            "",
            [
                ("ray-gpu-consistency[node-selector]", f"{GROUP}.template.spec", 21),
                ("ray-gpu-consistency[toleration]", f"{GROUP}.template.spec", 21),
            ],
        ),
    ],
    ids=["num-gpus-differs", "no-num-gpus", "not-placed-on-gpu-nodes"],
)
def test_inconsistent_gpu_group_is_reported(
    run_check: Callable[..., CheckRun], old: str, new: str, rows: list[tuple[str, str, int]]
) -> None:
    result = run_check("ray-gpu-consistency", {"t/raycluster.yaml": RAYCLUSTER.replace(old, new)})
    assert result.rows() == [
        (cid, "rc", field, "t/raycluster.yaml", line) for cid, field, line in rows
    ]


def test_placement_and_explicit_num_gpus_are_platform_policy_a_mismatch_correctness(
    run_check: Callable[..., CheckRun],
) -> None:
    unplaced = RAYCLUSTER.replace(
        '          nodeSelector:\n            nvidia.com/gpu.present: "true"\n' + TOLERATIONS, ""
    )
    files = {
        "t/raycluster.yaml": unplaced.replace('num-gpus: "1"', 'num-gpus: "2"'),
        "t/derived.yaml": unplaced.replace(
            'rayStartParams:\n        num-gpus: "1"', "rayStartParams: {}"
        ).replace("name: rc", "name: derived"),
    }
    result = run_check("ray-gpu-consistency", files, profile="correctness")
    assert [(r[0], r[1]) for r in result.rows()] == [("ray-gpu-consistency[mismatch]", "rc")]
    platform = {(r[0], r[1]) for r in run_check("ray-gpu-consistency", files).rows()}
    assert ("ray-gpu-consistency[no-num-gpus]", "derived") in platform
