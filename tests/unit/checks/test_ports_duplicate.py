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
          - name: sidecar
            image: busybox:1.36
            ports:
              - containerPort: 9000
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
"""
DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: kuberay
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: app
          image: nginx:1.27
          ports:
            - containerPort: 8080
        - name: proxy
          image: envoyproxy/envoy:v1.31.0
          ports:
            - containerPort: 8080
              protocol: UDP
"""
HEAD = ".spec.headGroupSpec.template.spec"


def test_distinct_listeners_pass(run_check: Callable[..., CheckRun]) -> None:
    tree = {"t/raycluster.yaml": RAYCLUSTER, "t/deployment.yaml": DEPLOYMENT}
    assert run_check("ports-duplicate", tree).rows() == []


@pytest.mark.parametrize(
    ("old", "new", "row"),
    [
        (
            "containerPort: 9000",
            "containerPort: 8080",
            ("ports-duplicate[container]", f"{HEAD}.containers[1].ports[0].containerPort", 27),
        ),
        (
            'dashboard-host: "0.0.0.0"',
            'dashboard-port: "8080"',
            (
                "ports-duplicate[ray-params]",
                ".spec.headGroupSpec.rayStartParams.dashboard-port",
                9,
            ),
        ),
        (
            "containerPort: 9000",
            "containerPort: 52365",
            ("ports-duplicate[sidecar]", f"{HEAD}.containers[1].ports[0].containerPort", 27),
        ),
    ],
    ids=["two-container-ports", "two-ray-params", "sidecar-on-ray-default-port"],
)
def test_shared_port_in_a_ray_pod_is_reported(
    run_check: Callable[..., CheckRun], old: str, new: str, row: tuple[str, str, int]
) -> None:
    result = run_check("ports-duplicate", {"t/raycluster.yaml": RAYCLUSTER.replace(old, new)})
    check_id, field, line = row
    assert result.rows() == [(check_id, "rc", field, "t/raycluster.yaml", line)]


def test_same_port_and_protocol_in_two_containers_of_a_deployment_is_reported(
    run_check: Callable[..., CheckRun],
) -> None:
    tree = {"t/deployment.yaml": DEPLOYMENT.replace("              protocol: UDP\n", "")}
    assert run_check("ports-duplicate", tree).rows() == [
        (
            "ports-duplicate[container]",
            "web",
            ".spec.template.spec.containers[1].ports[0].containerPort",
            "t/deployment.yaml",
            21,
        )
    ]
