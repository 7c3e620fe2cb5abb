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
    rayStartParams: {{}}
    template:
      spec:
        containers:
          - name: ray-head
            image: rayproject/ray:2.46.0
  workerGroupSpecs:
    - groupName: cpu
      replicas: {replicas}
      minReplicas: 1
      maxReplicas: 3
      template:
        spec:
          containers:
            - name: ray-worker
              image: rayproject/ray:2.46.0
"""


def test_replicas_within_range_passes(run_check: Callable[..., CheckRun]) -> None:
    result = run_check("ray-replicas-range", {"t/raycluster.yaml": RAYCLUSTER.format(replicas=2)})
    assert result.rows() == []


def test_replicas_above_max_is_reported_at_the_replicas_line(
    run_check: Callable[..., CheckRun],
) -> None:
    result = run_check("ray-replicas-range", {"t/raycluster.yaml": RAYCLUSTER.format(replicas=5)})
    assert result.rows() == [
        ("ray-replicas-range", "rc", ".spec.workerGroupSpecs[0].replicas", "t/raycluster.yaml", 16)
    ]


def test_replicas_set_by_a_patch_is_reported_at_the_patch(
    run_check: Callable[..., CheckRun],
) -> None:
    files = {
        "base/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1beta1\n"
        "kind: Kustomization\nresources:\n  - raycluster.yaml\n",
        "base/raycluster.yaml": RAYCLUSTER.format(replicas=2),
        "t/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1beta1\n"
        "kind: Kustomization\nresources:\n  - ../base\npatches:\n  - path: patch.yaml\n"
        "    target:\n      kind: RayCluster\n",
        "t/patch.yaml": "- op: replace\n  path: /spec/workerGroupSpecs/0/replicas\n  value: 9\n",
    }
    result = run_check("ray-replicas-range", files)
    assert result.rows() == [
        ("ray-replicas-range", "rc", ".spec.workerGroupSpecs[0].replicas", "t/patch.yaml", 3)
    ]
