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
        containers:
          - name: ray-head
            image: rayproject/ray:2.46.0
          - name: fluent-bit
            image: fluent/fluent-bit:3.0
  workerGroupSpecs:
    - groupName: cpu
      minReplicas: 1
      maxReplicas: 2
      rayStartParams: {}
      template:
        spec:
          containers:
            - name: main
              image: registry.example.com/mirror/ray:2.46.0-py311
            - name: fluent-bit
              image: fluent/fluent-bit:3.0
"""


def test_ray_container_first_passes(run_check: Callable[..., CheckRun]) -> None:
    assert run_check("ray-container-first", {"t/raycluster.yaml": RAYCLUSTER}).rows() == []


def test_sidecar_before_the_ray_container_is_reported(
    run_check: Callable[..., CheckRun],
) -> None:
    raycluster = RAYCLUSTER.replace(
        "          - name: ray-head\n            image: rayproject/ray:2.46.0\n"
        "          - name: fluent-bit\n            image: fluent/fluent-bit:3.0\n",
        "          - name: fluent-bit\n            image: fluent/fluent-bit:3.0\n"
        "          - name: ray-head\n            image: rayproject/ray:2.46.0\n",
    )
    result = run_check("ray-container-first", {"t/raycluster.yaml": raycluster})
    assert result.rows() == [
        (
            "ray-container-first",
            "rc",
            ".spec.headGroupSpec.template.spec.containers[0].name",
            "t/raycluster.yaml",
            12,
        )
    ]
