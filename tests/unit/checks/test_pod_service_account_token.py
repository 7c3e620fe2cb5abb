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
  headGroupSpec:
    rayStartParams: {}
    template:
      spec:
        serviceAccountName: ray-head
        containers:
          - name: ray-head
            image: rayproject/ray:2.46.0
  workerGroupSpecs:
    - groupName: cpu
      minReplicas: 0
      maxReplicas: 2
      rayStartParams: {}
      template:
        spec:
          serviceAccountName: ray-worker
          containers:
            - name: ray-worker
              image: rayproject/ray:2.46.0
"""

SERVICE_ACCOUNT = """\
apiVersion: v1
kind: ServiceAccount
metadata:
  name: ray-worker
  namespace: kuberay
automountServiceAccountToken: false
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
      automountServiceAccountToken: true
      containers:
        - name: web
          image: rayproject/ray:2.46.0
"""


def test_autoscaling_head_is_exempt_and_worker_service_account_opts_out(
    run_check: Callable[..., CheckRun],
) -> None:
    files = {"t/raycluster.yaml": RAYCLUSTER, "t/serviceaccount.yaml": SERVICE_ACCOUNT}
    assert run_check("pod-service-account-token", files).rows() == []


def test_worker_mounting_the_token_is_a_warning(run_check: Callable[..., CheckRun]) -> None:
    result = run_check("pod-service-account-token", {"t/raycluster.yaml": RAYCLUSTER})
    assert result.rows() == [
        (
            "pod-service-account-token",
            "rc",
            ".spec.workerGroupSpecs[0].template.spec",
            "t/raycluster.yaml",
            22,
        )
    ]
    finding = result.findings[0]
    assert finding.severity.value == "warning"
    assert finding.message == (
        'the worker group cpu mounts the token of ServiceAccount "ray-worker": '
        "automountServiceAccountToken is not false and its ServiceAccount is not rendered here"
    )


def test_explicit_true_is_reported_unless_the_owner_is_allowed(
    run_check: Callable[..., CheckRun],
) -> None:
    files = {"t/deployment.yaml": DEPLOYMENT}
    assert run_check("pod-service-account-token", files).rows() == [
        (
            "pod-service-account-token",
            "web",
            ".spec.template.spec.automountServiceAccountToken",
            "t/deployment.yaml",
            13,
        )
    ]
    allow = "checks:\n  pod-service-account-token:\n    options:\n      allow: [Deployment/web]\n"
    assert run_check("pod-service-account-token", files, config_extra=allow).rows() == []
