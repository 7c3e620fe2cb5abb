from __future__ import annotations

from collections.abc import Callable

from tests.conftest import CheckRun

RAYJOB = """\
apiVersion: ray.io/v1
kind: RayJob
metadata:
  name: job
  namespace: kuberay
  annotations:
    argocd.argoproj.io/sync-options: {options}
spec:
  entrypoint: python x.py
  shutdownAfterJobFinishes: true
"""


def test_rayjob_recreated_on_change_passes(run_check: Callable[..., CheckRun]) -> None:
    text = RAYJOB.format(options="SkipDryRunOnMissingResource=true,Force=true,Replace=true")
    assert run_check("argocd-rayjob-lifecycle", {"t/rayjob.yaml": text}).rows() == []


def test_rayjob_updated_in_place_runs_once(run_check: Callable[..., CheckRun]) -> None:
    text = RAYJOB.format(options="SkipDryRunOnMissingResource=true")
    assert run_check("argocd-rayjob-lifecycle", {"t/rayjob.yaml": text}).rows() == [
        (
            "argocd-rayjob-lifecycle[recreate]",
            "job",
            ".metadata.annotations.argocd.argoproj.io/sync-options",
            "t/rayjob.yaml",
            7,
        )
    ]


def test_rayjob_that_deletes_itself_loops_under_self_heal(
    run_check: Callable[..., CheckRun],
) -> None:
    text = RAYJOB.format(options="Force=true,Replace=true") + (
        "  deletionStrategy:\n    onSuccess:\n      policy: DeleteSelf\n"
    )
    assert run_check("argocd-rayjob-lifecycle", {"t/rayjob.yaml": text}).rows() == [
        (
            "argocd-rayjob-lifecycle[self-delete]",
            "job",
            ".spec.deletionStrategy.onSuccess.policy",
            "t/rayjob.yaml",
            13,
        )
    ]
