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
            ports:
              - name: gcs-server
                containerPort: 6379
              - name: client
                containerPort: 10001
              - name: dashboard
                containerPort: 8265
              - name: metrics
                containerPort: 8080
"""
RAYSERVICE = """\
apiVersion: ray.io/v1
kind: RayService
metadata:
  name: rs
  namespace: kuberay
spec:
  rayClusterConfig:
    headGroupSpec:
      rayStartParams: {}
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
"""
SERVE = "                - name: serve\n                  containerPort: 8000\n"


def test_head_declaring_every_service_port_name_passes(
    run_check: Callable[..., CheckRun],
) -> None:
    tree = {"t/raycluster.yaml": RAYCLUSTER, "t/rayservice.yaml": RAYSERVICE + SERVE}
    assert run_check("ports-head-service", tree).rows() == []


def test_missing_head_port_name_is_reported_and_serve_is_required_for_rayservice(
    run_check: Callable[..., CheckRun],
) -> None:
    tree = {
        "t/raycluster.yaml": RAYCLUSTER.replace("name: client", "name: ray-client"),
        "t/rayservice.yaml": RAYSERVICE,
    }
    assert run_check("ports-head-service", tree).rows() == [
        (
            "ports-head-service",
            "rc",
            ".spec.headGroupSpec.template.spec.containers[0].ports",
            "t/raycluster.yaml",
            14,
        ),
        (
            "ports-head-service",
            "rs",
            ".spec.rayClusterConfig.headGroupSpec.template.spec.containers[0].ports",
            "t/rayservice.yaml",
            15,
        ),
    ]


def test_required_names_come_from_the_option(run_check: Callable[..., CheckRun]) -> None:
    extra = "checks:\n  ports-head-service:\n    options:\n      required_names: [dashboard]\n"
    tree = {"t/raycluster.yaml": RAYCLUSTER.replace("name: client", "name: ray-client")}
    assert run_check("ports-head-service", tree, extra).rows() == []
