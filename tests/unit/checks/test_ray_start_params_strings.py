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
    rayStartParams:
      port: "6380"
      block: "true"
    template:
      spec:
        containers:
          - name: ray-head
            image: rayproject/ray:2.46.0
  workerGroupSpecs:
    - groupName: cpu
      minReplicas: 1
      maxReplicas: 2
      rayStartParams:
        num-cpus: "4"
      template:
        spec:
          containers:
            - name: ray-worker
              image: rayproject/ray:2.46.0
"""


def test_quoted_values_pass(run_check: Callable[..., CheckRun]) -> None:
    assert run_check("ray-start-params-strings", {"t/raycluster.yaml": RAYCLUSTER}).rows() == []


def test_int_and_bool_values_are_reported_at_their_keys(
    run_check: Callable[..., CheckRun],
) -> None:
    raycluster = (
        RAYCLUSTER.replace('port: "6380"', "port: 6380")
        .replace('block: "true"', "block: true")
        .replace('num-cpus: "4"', "num-cpus: 4")
    )
    result = run_check("ray-start-params-strings", {"t/raycluster.yaml": raycluster})
    head = ".spec.headGroupSpec.rayStartParams"
    assert result.rows() == [
        ("ray-start-params-strings", "rc", f"{head}.port", "t/raycluster.yaml", 9),
        ("ray-start-params-strings", "rc", f"{head}.block", "t/raycluster.yaml", 10),
        (
            "ray-start-params-strings",
            "rc",
            ".spec.workerGroupSpecs[0].rayStartParams.num-cpus",
            "t/raycluster.yaml",
            21,
        ),
    ]
