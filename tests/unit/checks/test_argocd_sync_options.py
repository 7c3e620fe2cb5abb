from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conftest import CheckRun

CHECK = "argocd-sync-options"

APP = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: app
  namespace: argocd
spec:
  project: p
  source:
    repoURL: https://github.com/org/repo.git
    targetRevision: main
    path: overlays/dev/crds
  destination:
    name: dev
  syncPolicy:
    syncOptions:
      - CreateNamespace=false
      - OPTION
"""


@pytest.mark.parametrize(
    "option",
    [
        "ServerSideApply=true",
        "Prune=confirm",
        "PrunePropagationPolicy=orphan",
        "RespectIgnoreDifferences=true",
        "ClientSideApplyMigration=false",
        "SkipDryRunOnMissingResource=true",
    ],
)
def test_known_sync_option_passes(run_check: Callable[..., CheckRun], option: str) -> None:
    files = {"t/application.yaml": APP.replace("OPTION", option)}
    assert run_check(CHECK, files).rows() == []


@pytest.mark.parametrize(
    ("option", "says"),
    [
        ("ServerSideApply=True", '(Argo CD ignores it); did you mean "ServerSideApply=true"?'),
        ("PruneLast = true", '(Argo CD ignores it); did you mean "PruneLast=true"?'),
        ("ServerSideAply=true", '(Argo CD ignores it); did you mean "ServerSideApply=true"?'),
        ("Force=true", "(Force=true works only as a resource annotation)"),
        ("Prune=true", "(Argo CD ignores it); known: Prune=false, Prune=confirm"),
        ("Foo=bar", "(Argo CD ignores it)"),
    ],
    ids=["case", "spaces", "typo", "annotation-only", "default-value", "unknown"],
)
def test_unknown_sync_option_is_reported_at_the_option(
    run_check: Callable[..., CheckRun], option: str, says: str
) -> None:
    files = {"t/application.yaml": APP.replace("OPTION", option)}
    result = run_check(CHECK, files)
    assert result.rows() == [
        (CHECK, "app", ".spec.syncPolicy.syncOptions[1]", "t/application.yaml", 17)
    ]
    assert result.findings[0].message == (
        f'sync option "{option}" of Application "app" is not an application sync option {says}'
    )


def test_contradicting_values_of_one_option_are_reported(
    run_check: Callable[..., CheckRun],
) -> None:
    files = {"t/application.yaml": APP.replace("OPTION", "CreateNamespace=true")}
    result = run_check(CHECK, files)
    assert result.rows() == [
        (f"{CHECK}[conflict]", "app", ".spec.syncPolicy.syncOptions[1]", "t/application.yaml", 17)
    ]


APPSET = """\
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: dev
  namespace: argocd
spec:
  goTemplate: true
  generators:
    - list:
        elements:
          - unit: crds
            apply: ServerSideApply=ture
  template:
    metadata:
      name: dev-{{.unit}}
    spec:
      project: p
      source:
        repoURL: https://github.com/org/repo.git
        targetRevision: main
        path: overlays/dev/{{.unit}}
      destination:
        name: dev
      syncPolicy:
        syncOptions:
          - "{{.apply}}"
"""


def test_option_from_a_list_element_is_reported_at_the_element(
    run_check: Callable[..., CheckRun],
) -> None:
    result = run_check(CHECK, {"t/applicationset.yaml": APPSET})
    assert result.rows() == [
        (CHECK, "dev", ".spec.generators[0].list.elements[0].apply", "t/applicationset.yaml", 12)
    ]
    assert result.findings[0].message.endswith("known: ServerSideApply=true, ServerSideApply=false")
