from __future__ import annotations

from collections.abc import Callable

from tests.builders import Body, issues, raycluster, rayjob, to_yaml
from tests.conftest import CheckRun

CHECK = "ray-kueue-autoscaling"
QUEUED = {"kueue.x-k8s.io/queue-name": "q"}


def _job(shutdown: bool) -> Body:
    """A queued RayJob on a fixed-size cluster."""
    return rayjob(
        "rc",
        labels=QUEUED,
        cluster={"enableInTreeAutoscaling": False},
        shutdownAfterJobFinishes=shutdown,
    )


def _autoscaling(labels: dict[str, str] | None = QUEUED, **annotations: str) -> Body:
    return raycluster(
        workers=[], labels=labels, annotations=annotations, enableInTreeAutoscaling=True
    )


def test_queued_rayjob_with_fixed_size_cluster_that_shuts_down_passes() -> None:
    assert issues(CHECK, _job(shutdown=True)) == []


def test_queued_autoscaling_raycluster_is_refused_by_kueue(
    run_check: Callable[..., CheckRun],
) -> None:
    assert run_check(CHECK, {"t/rc.yaml": to_yaml(_autoscaling())}).rows() == [
        (f"{CHECK}[autoscaling]", "rc", ".spec.enableInTreeAutoscaling", "t/rc.yaml", 16)
    ]


def test_elastic_raycluster_may_autoscale() -> None:
    assert issues(CHECK, _autoscaling(**{"kueue.x-k8s.io/elastic-job": "true"})) == []


def test_unqueued_autoscaling_raycluster_passes() -> None:
    assert issues(CHECK, _autoscaling(labels=None)) == []


def test_queued_rayjob_whose_cluster_outlives_the_job_is_refused() -> None:
    assert issues(CHECK, _job(shutdown=False)) == [
        (
            f"{CHECK}[shutdown]",
            "RayJob/rc",
            ".spec.shutdownAfterJobFinishes",
            "RayJob rc (queue q): Kueue refuses a queued RayJob whose cluster outlives the job "
            "(shutdownAfterJobFinishes must be true)",
        )
    ]
