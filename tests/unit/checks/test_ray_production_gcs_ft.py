from __future__ import annotations

from collections.abc import Callable

from tests.builders import issues, rayservice, to_yaml
from tests.conftest import CheckRun

CHECK = "ray-production-gcs-ft"
PRODUCTION = {"production_targets": ["t"]}


def test_a_production_rayservice_without_gcs_ft_is_reported(
    run_check: Callable[..., CheckRun],
) -> None:
    extra = "checks:\n  ray-production-gcs-ft:\n    options:\n      production_targets: [t]\n"
    result = run_check(CHECK, {"t/rs.yaml": to_yaml(rayservice())}, extra)
    assert result.rows() == [(CHECK, "rs", ".spec.rayClusterConfig", "t/rs.yaml", 7)]


def test_a_production_rayservice_with_gcs_ft_passes() -> None:
    with_ft = rayservice(cluster={"gcsFaultToleranceOptions": {"redisAddress": "redis:6379"}})
    assert issues(CHECK, with_ft, options=PRODUCTION) == []


def test_other_targets_and_no_policy_are_not_judged() -> None:
    assert issues(CHECK, rayservice(), options={"production_targets": ["overlays/prod/*"]}) == []
    assert issues(CHECK, rayservice()) == []
