from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kuberay_gitops.checks._api import RepoFacts
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


RECREATE = f"{CHECK}[recreate]"
SELF_DELETE = f"{CHECK}[self-delete]"


def _runs_once(missing: str) -> str:
    return (
        "RayJob job runs once: KubeRay never reruns a finished RayJob and Argo CD only updates "
        f"it in place (sync-options lack {missing})"
    )


def test_the_message_names_every_missing_option_and_spaces_are_ignored() -> None:
    assert issues(CHECK, _job(" Replace=true ")) == [
        (
            RECREATE,
            "RayJob/job",
            ".metadata.annotations.argocd.argoproj.io/sync-options",
            _runs_once("Force=true"),
        ),
    ]
    assert [row[3] for row in issues(CHECK, _job("Force=true"))] == [_runs_once("Replace=true")]
    assert [row[3] for row in issues(CHECK, _job("Prune=false"))] == [
        _runs_once("Force=true, Replace=true")
    ]


def test_a_rayjob_without_annotations_is_reported_at_its_metadata() -> None:
    assert issues(CHECK, rayjob(rayClusterSpec=None)) == [
        (RECREATE, "RayJob/job", ".metadata", _runs_once("Force=true, Replace=true")),
    ]


def test_plain_manifests_not_synced_by_argo_cd_are_not_judged() -> None:
    job = _job("", deletionStrategy={"onSuccess": {"policy": "DeleteSelf"}})
    assert issues(CHECK, job, repo=RepoFacts(argocd_synced=False)) == []


def test_every_self_deleting_policy_and_rule_is_reported() -> None:
    strategy = {
        "onSuccess": {"policy": "DeleteCluster"},
        "onFailure": {"policy": "DeleteSelf"},
        "deletionRules": [
            {"policy": "DeleteWorkers", "condition": {"jobStatus": "FAILED"}},
            {"policy": "DeleteSelf", "condition": {"jobStatus": "SUCCEEDED"}},
        ],
    }
    found = issues(CHECK, _job("Force=true,Replace=true", deletionStrategy=strategy))
    assert [(row[0], row[2]) for row in found] == [
        (SELF_DELETE, ".spec.deletionStrategy.onFailure.policy"),
        (SELF_DELETE, ".spec.deletionStrategy.deletionRules[1].policy"),
    ]


def test_both_variants_on_one_rayjob_and_every_rayjob_judged() -> None:
    first = _job("", deletionStrategy={"onSuccess": {"policy": "DeleteSelf"}})
    second = {**_job(""), "metadata": {**_job("")["metadata"], "name": "second"}}
    assert [(row[0], row[1]) for row in issues(CHECK, first, second)] == [
        (RECREATE, "RayJob/job"),
        (SELF_DELETE, "RayJob/job"),
        (RECREATE, "RayJob/second"),
    ]
