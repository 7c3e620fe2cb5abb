from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conftest import CheckRun

CHECK = "ray-autoscaler-gcs-port"

RAYCLUSTER = """\
apiVersion: ray.io/v1
kind: RayCluster
metadata:
  name: rc
  namespace: kuberay
spec:
  enableInTreeAutoscaling: {autoscaling}
  headGroupSpec:
    rayStartParams:
      num-cpus: "0"
      port: {port}
    template:
      spec:
        containers:
          - name: ray-head
            image: rayproject/ray:2.55.1
"""

RAYCLUSTER_NO_PORT = """\
apiVersion: ray.io/v1
kind: RayCluster
metadata:
  name: rc
  namespace: kuberay
spec:
  enableInTreeAutoscaling: true
  headGroupSpec:
    rayStartParams:
      num-cpus: "0"
    template:
      spec:
        containers:
          - name: ray-head
            image: rayproject/ray:2.55.1
"""

RAYSERVICE = """\
apiVersion: ray.io/v1
kind: RayService
metadata:
  name: svc
  namespace: kuberay
spec:
  rayClusterConfig:
    enableInTreeAutoscaling: true
    headGroupSpec:
      rayStartParams:
        port: "6380"
      template:
        spec:
          containers:
            - name: ray-head
              image: rayproject/ray:2.55.1
"""

RAYJOB = """\
apiVersion: ray.io/v1
kind: RayJob
metadata:
  name: job
  namespace: kuberay
spec:
  entrypoint: python job.py
  rayClusterSpec:
    enableInTreeAutoscaling: true
    headGroupSpec:
      rayStartParams:
        port: "6380"
      template:
        spec:
          containers:
            - name: ray-head
              image: rayproject/ray:2.55.1
"""

RAYCRONJOB = """\
apiVersion: ray.io/v1
kind: RayCronJob
metadata:
  name: cron
  namespace: kuberay
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    entrypoint: python job.py
    rayClusterSpec:
      enableInTreeAutoscaling: true
      headGroupSpec:
        rayStartParams:
          port: "6380"
        template:
          spec:
            containers:
              - name: ray-head
                image: rayproject/ray:2.55.1
"""


def _raycluster(autoscaling: str, port: str) -> dict[str, str]:
    return {"t/raycluster.yaml": RAYCLUSTER.format(autoscaling=autoscaling, port=port)}


def test_non_default_gcs_port_with_autoscaling_is_an_error(
    run_check: Callable[..., CheckRun],
) -> None:
    result = run_check(CHECK, _raycluster("true", '"6380"'))
    assert result.rows() == [
        (CHECK, "rc", ".spec.headGroupSpec.rayStartParams.port", "t/raycluster.yaml", 11)
    ]
    assert str(result.findings[0].obj) == "RayCluster/kuberay/rc"
    assert result.findings[0].message == (
        'head rayStartParams port is "6380" with enableInTreeAutoscaling: true; the autoscaler '
        "sidecar waits for GCS on 6379 only, so the cluster never autoscales"
    )


def test_unquoted_non_default_gcs_port_is_an_error_too(
    run_check: Callable[..., CheckRun],
) -> None:
    result = run_check(CHECK, _raycluster("true", "6380"))
    assert result.rows() == [
        (CHECK, "rc", ".spec.headGroupSpec.rayStartParams.port", "t/raycluster.yaml", 11)
    ]


@pytest.mark.parametrize("port", ['"6379"', "6379"], ids=["string", "int"])
def test_gcs_port_6379_with_autoscaling_passes(
    run_check: Callable[..., CheckRun], port: str
) -> None:
    assert run_check(CHECK, _raycluster("true", port)).rows() == []


def test_unset_gcs_port_with_autoscaling_passes(run_check: Callable[..., CheckRun]) -> None:
    assert run_check(CHECK, {"t/raycluster.yaml": RAYCLUSTER_NO_PORT}).rows() == []


def test_non_default_gcs_port_without_autoscaling_passes(
    run_check: Callable[..., CheckRun],
) -> None:
    assert run_check(CHECK, _raycluster("false", '"6380"')).rows() == []


def test_rayservice_is_reported_under_rayclusterconfig(
    run_check: Callable[..., CheckRun],
) -> None:
    assert run_check(CHECK, {"t/rayservice.yaml": RAYSERVICE}).rows() == [
        (
            CHECK,
            "svc",
            ".spec.rayClusterConfig.headGroupSpec.rayStartParams.port",
            "t/rayservice.yaml",
            11,
        )
    ]


def test_rayjob_is_reported_under_rayclusterspec(run_check: Callable[..., CheckRun]) -> None:
    assert run_check(CHECK, {"t/rayjob.yaml": RAYJOB}).rows() == [
        (
            CHECK,
            "job",
            ".spec.rayClusterSpec.headGroupSpec.rayStartParams.port",
            "t/rayjob.yaml",
            12,
        )
    ]


def test_raycronjob_is_reported_under_its_job_template(
    run_check: Callable[..., CheckRun],
) -> None:
    assert run_check(CHECK, {"t/raycronjob.yaml": RAYCRONJOB}).rows() == [
        (
            CHECK,
            "cron",
            ".spec.jobTemplate.rayClusterSpec.headGroupSpec.rayStartParams.port",
            "t/raycronjob.yaml",
            14,
        )
    ]
