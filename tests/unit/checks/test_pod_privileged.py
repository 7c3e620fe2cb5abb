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
  enableInTreeAutoscaling: true
  autoscalerOptions:
    securityContext:
      privileged: {autoscaler}
  headGroupSpec:
    rayStartParams: {{}}
    template:
      spec:
        containers:
          - name: ray-head
            image: rayproject/ray:2.46.0
            securityContext:
              privileged: false
  workerGroupSpecs:
    - groupName: cpu
      minReplicas: 0
      maxReplicas: 2
      rayStartParams: {{}}
      template:
        spec:
          initContainers:
            - name: setup
              image: rayproject/ray:2.46.0
              securityContext:
                privileged: {init}
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
        - name: web
          image: rayproject/ray:2.46.0
          securityContext:
            privileged: true
"""


def test_unprivileged_ray_pods_pass(run_check: Callable[..., CheckRun]) -> None:
    files = {"t/raycluster.yaml": RAYCLUSTER.format(autoscaler="false", init="false")}
    assert run_check("pod-privileged", files).rows() == []


def test_privileged_ray_init_container_and_autoscaler_are_errors(
    run_check: Callable[..., CheckRun],
) -> None:
    files = {"t/raycluster.yaml": RAYCLUSTER.format(autoscaler="true", init="true")}
    assert run_check("pod-privileged", files).rows() == [
        (
            "pod-privileged",
            "rc",
            ".spec.autoscalerOptions.securityContext.privileged",
            "t/raycluster.yaml",
            10,
        ),
        (
            "pod-privileged",
            "rc",
            ".spec.workerGroupSpecs[0].template.spec.initContainers[0].securityContext.privileged",
            "t/raycluster.yaml",
            31,
        ),
    ]


def test_privileged_deployment_container_is_an_error(run_check: Callable[..., CheckRun]) -> None:
    result = run_check("pod-privileged", {"t/deployment.yaml": DEPLOYMENT})
    assert result.rows() == [
        (
            "pod-privileged",
            "web",
            ".spec.template.spec.containers[0].securityContext.privileged",
            "t/deployment.yaml",
            17,
        )
    ]
    assert result.findings[0].message == 'container "web" of the pod template runs privileged'
