from __future__ import annotations

from collections.abc import Callable

from tests.conftest import CheckRun

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
              image: rayproject/ray:2.55.1
"""
FT = """\
    gcsFaultToleranceOptions:
      redisAddress: redis:6379
"""
PRODUCTION = "checks:\n  ray-production-gcs-ft:\n    options:\n      production_targets: [t]\n"


def test_a_production_rayservice_without_gcs_ft_is_reported(
    run_check: Callable[..., CheckRun],
) -> None:
    result = run_check("ray-production-gcs-ft", {"t/rs.yaml": RAYSERVICE}, PRODUCTION)
    assert result.rows() == [
        ("ray-production-gcs-ft", "rs", ".spec.rayClusterConfig", "t/rs.yaml", 7)
    ]


def test_a_production_rayservice_with_gcs_ft_passes(run_check: Callable[..., CheckRun]) -> None:
    with_ft = RAYSERVICE.replace("  rayClusterConfig:\n", "  rayClusterConfig:\n" + FT)
    assert run_check("ray-production-gcs-ft", {"t/rs.yaml": with_ft}, PRODUCTION).rows() == []


def test_other_targets_and_no_policy_are_not_judged(run_check: Callable[..., CheckRun]) -> None:
    other = PRODUCTION.replace("[t]", "[overlays/prod/*]")
    assert run_check("ray-production-gcs-ft", {"t/rs.yaml": RAYSERVICE}, other).rows() == []
    assert run_check("ray-production-gcs-ft", {"t/rs.yaml": RAYSERVICE}).rows() == []
