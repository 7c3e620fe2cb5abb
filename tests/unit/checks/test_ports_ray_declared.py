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
    rayStartParams:
      dashboard-host: "0.0.0.0"
    template:
      spec:
        containers:
          - name: ray-head
            image: rayproject/ray:2.46.0
            ports:
              - name: gcs-server
                containerPort: 6379
              - name: client
                containerPort: 10001
              - name: dashboard
                containerPort: 8265
              - name: metrics
                containerPort: 8080
              - name: dashboard-agent
                containerPort: 52365
  workerGroupSpecs:
    - groupName: cpu
      minReplicas: 1
      maxReplicas: 2
      rayStartParams: {}
      template:
        spec:
          containers:
            - name: ray-worker
              image: rayproject/ray:2.46.0
              ports:
                - name: metrics
                  containerPort: 8080
                - name: dashboard-agent
                  containerPort: 52365
"""
HEAD = ".spec.headGroupSpec.template.spec.containers[0]"


def test_every_ray_listener_declared_under_kuberay_names_passes(
    run_check: Callable[..., CheckRun],
) -> None:
    result = run_check("ports-ray-declared", {"t/raycluster.yaml": RAYCLUSTER})
    assert result.rows() == []


@pytest.mark.parametrize(
    ("old", "new", "row"),
    [
        (
            "              - name: dashboard-agent\n                containerPort: 52365\n",
            "",
            ("ports-ray-declared[undeclared]", f"{HEAD}.ports", 15),
        ),
        (
            "name: gcs-server",
            "name: gcs",
            ("ports-ray-declared[name]", f"{HEAD}.ports[0].name", 16),
        ),
        (
            'dashboard-host: "0.0.0.0"',
            'dashboard-port: "9265"',
            (
                "ports-ray-declared[number]",
                ".spec.headGroupSpec.rayStartParams.dashboard-port",
                9,
            ),
        ),
        (
            "rayStartParams: {}",
            'rayStartParams: {node-manager-port: "12345"}',
            (
                "ports-ray-declared[undeclared]",
                ".spec.workerGroupSpecs[0].rayStartParams.node-manager-port",
                30,
            ),
        ),
    ],
    ids=["default-port-undeclared", "misnamed", "named-port-other-number", "param-undeclared"],
)
def test_ray_listener_not_declared_as_kuberay_expects_is_reported(
    run_check: Callable[..., CheckRun], old: str, new: str, row: tuple[str, str, int]
) -> None:
    tree = {"t/raycluster.yaml": RAYCLUSTER.replace(old, new, 1)}
    result = run_check("ports-ray-declared", tree)
    check_id, field, line = row
    assert result.rows() == [(check_id, "rc", field, "t/raycluster.yaml", line)]
