from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.builders import Body, issues, rayjob, to_yaml
from tests.conftest import CheckRun

CHECK = "argocd-rayjob-lifecycle"


def _job(options: str, **spec: Any) -> Body:
    """A RayJob (no cluster spec: only its lifecycle matters) with these Argo CD sync options."""
    return rayjob(
        annotations={"argocd.argoproj.io/sync-options": options},
        rayClusterSpec=None,
        shutdownAfterJobFinishes=True,
        **spec,
    )


def test_rayjob_recreated_on_change_passes() -> None:
    assert issues(CHECK, _job("SkipDryRunOnMissingResource=true,Force=true,Replace=true")) == []


def test_rayjob_updated_in_place_runs_once(run_check: Callable[..., CheckRun]) -> None:
    job = _job("SkipDryRunOnMissingResource=true")
    assert run_check(CHECK, {"t/rayjob.yaml": to_yaml(job)}).rows() == [
        (
            f"{CHECK}[recreate]",
            "job",
            ".metadata.annotations.argocd.argoproj.io/sync-options",
            "t/rayjob.yaml",
            7,
        )
    ]


def test_rayjob_that_deletes_itself_loops_under_self_heal() -> None:
    job = _job("Force=true,Replace=true", deletionStrategy={"onSuccess": {"policy": "DeleteSelf"}})
    assert issues(CHECK, job) == [
        (
            f"{CHECK}[self-delete]",
            "RayJob/job",
            ".spec.deletionStrategy.onSuccess.policy",
            "RayJob job deletes itself when it ends: Argo CD self-heal recreates it and the job "
            "runs again, endlessly",
        )
    ]
