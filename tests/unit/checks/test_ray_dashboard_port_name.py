from __future__ import annotations

from collections.abc import Callable

from tests.conftest import CheckRun

RAYJOB = """\
apiVersion: ray.io/v1
kind: RayJob
metadata:
  name: job
  namespace: kuberay
spec:
  entrypoint: python main.py
  rayClusterSpec:
    headGroupSpec:
      rayStartParams: {}
      template:
        spec:
          containers:
            - name: ray-head
              image: rayproject/ray:2.46.0
              ports:
                - name: dashboard
                  containerPort: 8265
"""
RAYSERVICE = (
    RAYJOB.replace("kind: RayJob", "kind: RayService")
    .replace("name: job", "name: svc")
    .replace("  entrypoint: python main.py\n  rayClusterSpec:", "  rayClusterConfig:")
)
# A RayCluster is not submitted to through the dashboard: not checked.
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
"""


def test_dashboard_port_named_dashboard_passes(run_check: Callable[..., CheckRun]) -> None:
    tree = {
        "t/rayjob.yaml": RAYJOB,
        "t/rayservice.yaml": RAYSERVICE,
        "t/raycluster.yaml": RAYCLUSTER,
    }
    assert run_check("ray-dashboard-port-name", tree).rows() == []


def test_a_head_declaring_no_port_gets_kuberays_dashboard_port(
    run_check: Callable[..., CheckRun],
) -> None:
    # service.go getServicePorts: no declared port, so the head Service has the defaults.
    rayjob = RAYJOB.replace(
        "              ports:\n                - name: dashboard\n"
        "                  containerPort: 8265\n",
        "",
    )
    assert run_check("ray-dashboard-port-name", {"t/rayjob.yaml": rayjob}).rows() == []


def test_misnamed_or_missing_dashboard_port_is_reported(
    run_check: Callable[..., CheckRun],
) -> None:
    rayjob = RAYJOB.replace(
        "                - name: dashboard\n                  containerPort: 8265\n",
        "                - name: metrics\n                  containerPort: 8080\n",
    )
    tree = {
        "t/rayjob.yaml": rayjob,
        "t/rayservice.yaml": RAYSERVICE.replace("name: dashboard", "name: dash"),
    }
    assert run_check("ray-dashboard-port-name", tree).rows() == [
        (
            "ray-dashboard-port-name",
            "job",
            ".spec.rayClusterSpec.headGroupSpec.template.spec.containers[0].ports",
            "t/rayjob.yaml",
            16,
        ),
        (
            "ray-dashboard-port-name",
            "svc",
            ".spec.rayClusterConfig.headGroupSpec.template.spec.containers[0].ports[0].name",
            "t/rayservice.yaml",
            16,
        ),
    ]
