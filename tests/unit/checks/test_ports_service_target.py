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
              - name: client
                containerPort: 10001
              - name: dashboard
                containerPort: 8265
"""
SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: ray-dashboard
  namespace: kuberay
spec:
  selector:
    ray.io/cluster: rc
    ray.io/node-type: head
  ports:
    - name: dashboard
      port: 80
      targetPort: dashboard
    - name: metrics
      port: 8080
      targetPort: metrics
    - name: client
      port: 10001
"""
# KubeRay builds this one; a copy in the repository is not checked.
HEAD_SVC = SERVICE.replace("name: ray-dashboard", "name: rc-head-svc").replace(
    "targetPort: dashboard", "targetPort: nowhere"
)


def test_targets_by_name_number_and_kuberay_metrics_pass(
    run_check: Callable[..., CheckRun],
) -> None:
    tree = {
        "t/raycluster.yaml": RAYCLUSTER,
        "t/service-ray-dashboard.yaml": SERVICE,
        "t/service-rc-head-svc.yaml": HEAD_SVC,
    }
    assert run_check("ports-service-target", tree).rows() == []


def test_target_port_missing_on_selected_ray_pods_is_reported(
    run_check: Callable[..., CheckRun],
) -> None:
    service = SERVICE.replace("targetPort: dashboard", "targetPort: dashbord").replace(
        "port: 10001", "port: 10002"
    )
    tree = {"t/raycluster.yaml": RAYCLUSTER, "t/service-ray-dashboard.yaml": service}
    file = "t/service-ray-dashboard.yaml"
    assert run_check("ports-service-target", tree).rows() == [
        ("ports-service-target[name]", "ray-dashboard", ".spec.ports[0].targetPort", file, 13),
        ("ports-service-target[number]", "ray-dashboard", ".spec.ports[2].port", file, 18),
    ]
