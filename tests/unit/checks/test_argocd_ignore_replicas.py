from __future__ import annotations

from collections.abc import Callable

import pytest
import yaml

from tests.conftest import CheckRun

CHECK = "argocd-ignore-replicas"

APP = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: rc
  namespace: argocd
  labels:
    kuberay-gitops/unit: UNIT
spec:
  project: p
  source:
    repoURL: https://github.com/org/repo.git
    targetRevision: main
    path: PATH
  destination:
    name: dev
    namespace: kuberay
  ignoreDifferences:
    - group: ray.io
      kind: KIND
      IGNORE
  syncPolicy:
    syncOptions:
      - ApplyOutOfSyncOnly=true
"""


def app(
    unit: str = "raycluster",
    path: str = "overlays/dev/raycluster",
    kind: str = "RayCluster",
    ignore: str = 'jqPathExpressions: [".spec.workerGroupSpecs[].replicas"]',
) -> str:
    text = (
        APP.replace("UNIT", unit)
        .replace("PATH", path)
        .replace("KIND", kind)
        .replace("IGNORE", ignore)
    )
    assert yaml.safe_load(text)["spec"]["ignoreDifferences"]  # a tree that renders
    return text


@pytest.mark.parametrize(
    "application",
    [
        app(),
        app(ignore="jqPathExpressions: ['.spec.workerGroupSpecs[]?.replicas']"),
        app(ignore="jqPathExpressions: ['.spec.workerGroupSpecs']"),
        app(ignore="jsonPointers: [/spec/workerGroupSpecs]"),
        app(unit="serve-app", path="apps/serve-app/overlays/dev", kind="RayService"),
    ],
    ids=["jq", "jq-optional", "jq-whole-list", "json-pointer-list", "not-a-raycluster-unit"],
)
def test_raycluster_application_ignoring_worker_replicas_passes(
    run_check: Callable[..., CheckRun], application: str
) -> None:
    assert run_check(CHECK, {"t/application.yaml": application}).rows() == []


@pytest.mark.parametrize(
    "application",
    [
        app(kind="RayService"),
        app(ignore="jsonPointers: [/spec/workerGroupSpecs/0/replicas]"),
        app(ignore="jqPathExpressions: [.spec.headGroupSpec]"),
        app(unit="cluster", kind="RayService"),
    ],
    ids=["other-kind", "one-group-pointer", "other-field", "raycluster-path-without-label"],
)
def test_raycluster_application_not_ignoring_worker_replicas_is_reported(
    run_check: Callable[..., CheckRun], application: str
) -> None:
    result = run_check(CHECK, {"t/application.yaml": application})
    assert result.rows() == [(CHECK, "rc", ".spec.ignoreDifferences", "t/application.yaml", 17)]
    assert result.findings[0].message == (
        'Application "rc" syncs an autoscaled RayCluster but does not ignore '
        ".spec.workerGroupSpecs[].replicas of ray.io/RayCluster: self-heal would undo the "
        "autoscaler"
    )


def test_respect_ignore_differences_is_not_required_by_default(
    run_check: Callable[..., CheckRun],
) -> None:
    # argoproj/argo-cd#17694: the option would copy the whole live workerGroupSpecs list.
    assert "RespectIgnoreDifferences" not in app()
    assert run_check(CHECK, {"t/application.yaml": app()}).rows() == []


def test_respect_ignore_differences_is_required_when_the_option_says_so(
    run_check: Callable[..., CheckRun],
) -> None:
    config = """\
        checks:
          argocd-ignore-replicas:
            options:
              require_respect_ignore_differences: true
        """
    result = run_check(CHECK, {"t/application.yaml": app()}, config)
    assert result.rows() == [
        (f"{CHECK}[respect]", "rc", ".spec.syncPolicy.syncOptions", "t/application.yaml", 22)
    ]
