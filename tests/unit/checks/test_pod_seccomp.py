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
      seccompProfile:
        type: {autoscaler}
  headGroupSpec:
    rayStartParams: {{}}
    template:
      spec:
        securityContext:
          seccompProfile:
            type: RuntimeDefault
        containers:
          - name: ray-head
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
            seccompProfile:
              type: Localhost
              localhostProfile: profiles/web.json
        - name: helper
          image: rayproject/ray:2.46.0
"""

CRONJOB = """\
apiVersion: batch/v1
kind: CronJob
metadata:
  name: nightly
  namespace: kuberay
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          securityContext:
            seccompProfile:
              type: Unconfined
          containers:
            - name: job
              image: rayproject/ray:2.46.0
"""


def test_pod_level_runtime_default_passes(run_check: Callable[..., CheckRun]) -> None:
    files = {"t/raycluster.yaml": RAYCLUSTER.format(autoscaler="RuntimeDefault")}
    assert run_check("pod-seccomp", files).rows() == []


def test_unconfined_autoscaler_sidecar_overrides_the_pod_profile(
    run_check: Callable[..., CheckRun],
) -> None:
    files = {"t/raycluster.yaml": RAYCLUSTER.format(autoscaler="Unconfined")}
    assert run_check("pod-seccomp", files).rows() == [
        (
            "pod-seccomp",
            "rc",
            ".spec.autoscalerOptions.securityContext.seccompProfile.type",
            "t/raycluster.yaml",
            11,
        )
    ]


def test_a_container_without_profile_is_reported_when_the_pod_has_none(
    run_check: Callable[..., CheckRun],
) -> None:
    result = run_check("pod-seccomp", {"t/deployment.yaml": DEPLOYMENT})
    assert result.rows() == [
        ("pod-seccomp", "web", ".spec.template.spec.containers[1]", "t/deployment.yaml", 20)
    ]
    assert result.findings[0].message == (
        'container "helper" of the pod template sets no seccompProfile and the pod does not either'
    )


def test_unconfined_pod_profile_is_an_error(run_check: Callable[..., CheckRun]) -> None:
    assert run_check("pod-seccomp", {"t/cronjob.yaml": CRONJOB}).rows() == [
        (
            "pod-seccomp",
            "nightly",
            ".spec.jobTemplate.spec.template.spec.securityContext.seccompProfile.type",
            "t/cronjob.yaml",
            15,
        )
    ]
