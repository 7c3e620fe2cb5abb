from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.builders import Body, application, issues, to_yaml
from tests.conftest import CheckRun

CHECK = "argocd-ignore-replicas"
JQ = {"jqPathExpressions": [".spec.workerGroupSpecs[].replicas"]}


def _app(
    unit: str = "raycluster",
    path: str = "overlays/dev/raycluster",
    kind: str = "RayCluster",
    ignore: dict[str, Any] = JQ,
) -> Body:
    return application(
        "rc",
        labels={"kuberay-gitops/unit": unit},
        path=path,
        destination={"name": "dev", "namespace": "kuberay"},
        ignoreDifferences=[{"group": "ray.io", "kind": kind, **ignore}],
        sync_options=["ApplyOutOfSyncOnly=true"],
    )


@pytest.mark.parametrize(
    "app",
    [
        _app(),
        _app(ignore={"jqPathExpressions": [".spec.workerGroupSpecs[]?.replicas"]}),
        _app(ignore={"jqPathExpressions": [".spec.workerGroupSpecs"]}),
        _app(ignore={"jsonPointers": ["/spec/workerGroupSpecs"]}),
        _app(unit="serve-app", path="apps/serve-app/overlays/dev", kind="RayService"),
    ],
    ids=["jq", "jq-optional", "jq-whole-list", "json-pointer-list", "not-a-raycluster-unit"],
)
def test_raycluster_application_ignoring_worker_replicas_passes(app: Body) -> None:
    assert issues(CHECK, app) == []


@pytest.mark.parametrize(
    "app",
    [
        _app(kind="RayService"),
        _app(ignore={"jsonPointers": ["/spec/workerGroupSpecs/0/replicas"]}),
        _app(ignore={"jqPathExpressions": [".spec.headGroupSpec"]}),
        _app(unit="cluster", kind="RayService"),
    ],
    ids=["other-kind", "one-group-pointer", "other-field", "raycluster-path-without-label"],
)
def test_raycluster_application_not_ignoring_worker_replicas_is_reported(app: Body) -> None:
    assert issues(CHECK, app) == [
        (
            CHECK,
            "Application/rc",
            ".spec.ignoreDifferences",
            'Application "rc" syncs an autoscaled RayCluster but does not ignore '
            ".spec.workerGroupSpecs[].replicas of ray.io/RayCluster: self-heal would undo the "
            "autoscaler",
        )
    ]


def test_respect_ignore_differences_is_not_required_by_default() -> None:
    # argoproj/argo-cd#17694: the option would copy the whole live workerGroupSpecs list.
    assert "RespectIgnoreDifferences=true" not in _app()["spec"]["syncPolicy"]["syncOptions"]
    assert issues(CHECK, _app()) == []


def test_respect_ignore_differences_is_required_when_the_option_says_so(
    run_check: Callable[..., CheckRun],
) -> None:
    config = """\
        checks:
          argocd-ignore-replicas:
            options:
              require_respect_ignore_differences: true
        """
    result = run_check(CHECK, {"t/application.yaml": to_yaml(_app())}, config)
    assert result.rows() == [
        (f"{CHECK}[respect]", "rc", ".spec.syncPolicy.syncOptions", "t/application.yaml", 18)
    ]
