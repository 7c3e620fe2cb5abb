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
        securityContext:
          runAsNonRoot: true
          runAsUser: 1000
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
          containers:
            - name: ray-worker
              image: rayproject/ray:2.46.0
              securityContext:
                runAsNonRoot: true
            - name: sidecar
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
      securityContext:
        runAsNonRoot: true
        runAsUser: 0
      containers:
        - name: web
          image: rayproject/ray:2.46.0
          securityContext:
            runAsNonRoot: false
"""

JOB = """\
apiVersion: batch/v1
kind: Job
metadata:
  name: once
  namespace: kuberay
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: a
          image: rayproject/ray:2.46.0
        - name: b
          image: rayproject/ray:2.46.0
"""


def test_pod_level_run_as_non_root_covers_the_autoscaler_sidecar(
    run_check: Callable[..., CheckRun],
) -> None:
    head_only = RAYCLUSTER.split("  workerGroupSpecs:", maxsplit=1)[0]
    assert run_check("pod-run-as-non-root", {"t/raycluster.yaml": head_only}).rows() == []


def test_a_container_not_covered_by_the_pod_is_reported_alone(
    run_check: Callable[..., CheckRun],
) -> None:
    result = run_check("pod-run-as-non-root", {"t/raycluster.yaml": RAYCLUSTER})
    assert result.rows() == [
        (
            "pod-run-as-non-root",
            "rc",
            ".spec.workerGroupSpecs[0].template.spec.containers[1]",
            "t/raycluster.yaml",
            30,
        )
    ]
    assert result.findings[0].message == (
        'container "sidecar" of the worker group cpu does not set runAsNonRoot: true '
        "and the pod does not either"
    )


def test_run_as_user_zero_and_container_override_to_false_are_errors(
    run_check: Callable[..., CheckRun],
) -> None:
    assert run_check("pod-run-as-non-root", {"t/deployment.yaml": DEPLOYMENT}).rows() == [
        (
            "pod-run-as-non-root",
            "web",
            ".spec.template.spec.securityContext.runAsUser",
            "t/deployment.yaml",
            15,
        ),
        (
            "pod-run-as-non-root",
            "web",
            ".spec.template.spec.containers[0].securityContext.runAsNonRoot",
            "t/deployment.yaml",
            20,
        ),
    ]


def test_no_setting_anywhere_is_one_finding_at_the_pod_spec(
    run_check: Callable[..., CheckRun],
) -> None:
    assert run_check("pod-run-as-non-root", {"t/job.yaml": JOB}).rows() == [
        ("pod-run-as-non-root", "once", ".spec.template.spec", "t/job.yaml", 8)
    ]
