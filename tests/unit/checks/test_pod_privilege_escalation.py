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
{autoscaler}
  headGroupSpec:
    rayStartParams: {{}}
    template:
      spec:
        containers:
          - name: ray-head
            image: rayproject/ray:2.46.0
            securityContext:
              allowPrivilegeEscalation: false
  workerGroupSpecs:
    - groupName: cpu
      minReplicas: 0
      maxReplicas: 2
      rayStartParams: {{}}
      template:
        spec:
          containers:
            - name: ray-worker
              image: rayproject/ray:2.46.0
              {worker}
"""
AUTOSCALER = """\
  autoscalerOptions:
    securityContext:
      allowPrivilegeEscalation: false"""

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
            allowPrivilegeEscalation: true
"""


def test_explicit_false_everywhere_passes(run_check: Callable[..., CheckRun]) -> None:
    worker = "securityContext: {allowPrivilegeEscalation: false}"
    files = {"t/raycluster.yaml": RAYCLUSTER.format(autoscaler=AUTOSCALER, worker=worker)}
    assert run_check("pod-privilege-escalation", files).rows() == []


def test_unset_worker_and_autoscaler_sidecar_are_errors(
    run_check: Callable[..., CheckRun],
) -> None:
    files = {"t/raycluster.yaml": RAYCLUSTER.format(autoscaler="", worker="")}
    result = run_check("pod-privilege-escalation", files)
    assert result.rows() == [
        ("pod-privilege-escalation", "rc", ".spec.enableInTreeAutoscaling", "t/raycluster.yaml", 7),
        (
            "pod-privilege-escalation",
            "rc",
            ".spec.workerGroupSpecs[0].template.spec.containers[0]",
            "t/raycluster.yaml",
            26,
        ),
    ]
    assert [f.message for f in result.findings] == [
        "the autoscaler sidecar (autoscalerOptions) of the head group headgroup: "
        "allowPrivilegeEscalation is not set to false",
        'container "ray-worker" of the worker group cpu: '
        "allowPrivilegeEscalation is not set to false",
    ]


def test_true_on_a_deployment_is_an_error(run_check: Callable[..., CheckRun]) -> None:
    result = run_check("pod-privilege-escalation", {"t/deployment.yaml": DEPLOYMENT})
    assert result.rows() == [
        (
            "pod-privilege-escalation",
            "web",
            ".spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation",
            "t/deployment.yaml",
            17,
        )
    ]
