from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conftest import CheckRun

CHECK = "argocd-project"

PROJECT = """\
apiVersion: argoproj.io/v1alpha1
kind: AppProject
metadata:
  name: platform
  namespace: argocd
spec:
  sourceRepos:
    - https://github.com/org/*
  destinations:
    - name: dev
      namespace: kuberay*
    - server: https://kubernetes.default.svc
      namespace: argocd
"""

APP = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: app
  namespace: argocd
spec:
  project: PROJECT
  source:
    repoURL: REPO
    targetRevision: main
    path: overlays/dev/crds
  destination:
    DEST_KEY: DEST
    namespace: NAMESPACE
"""


def app(
    project: str = "platform",
    repo: str = "https://github.com/org/repo.git",
    dest: str = "dev",
    namespace: str = "kuberay-system",
    dest_key: str = "name",
) -> str:
    return (
        APP.replace("PROJECT", project)
        .replace("REPO", repo)
        .replace("DEST_KEY", dest_key)
        .replace("DEST", dest)
        .replace("NAMESPACE", namespace)
    )


@pytest.mark.parametrize(
    "application",
    [
        app(),
        app(repo="HTTPS://github.com/org/other/"),
        app(dest="in-cluster", namespace="argocd"),
        app(dest="https://kubernetes.default.svc", namespace="argocd", dest_key="server"),
    ],
    ids=["glob-namespace", "normalised-repo-url", "in-cluster-by-name", "in-cluster-by-server"],
)
def test_application_allowed_by_its_project_passes(
    run_check: Callable[..., CheckRun], application: str
) -> None:
    files = {"t/appproject.yaml": PROJECT, "t/application.yaml": application}
    assert run_check(CHECK, files).rows() == []


@pytest.mark.parametrize(
    ("application", "variant", "field", "line", "says"),
    [
        (app(project="default"), "default", ".spec.project", 7, 'uses the "default" project'),
        (app(project='""'), "default", ".spec.project", 7, 'uses the "default" project'),
        (
            app(project="platfrom"),
            "missing",
            ".spec.project",
            7,
            'names project "platfrom", which is not defined (known: platform)',
        ),
        (
            app(dest="staging"),
            "destination",
            ".spec.destination.name",
            13,
            'destination cluster "staging" namespace "kuberay-system" of Application "app" is not '
            'allowed by AppProject "platform"',
        ),
        (
            app(namespace="other"),
            "destination",
            ".spec.destination.namespace",
            14,
            'namespace "other"',
        ),
        (
            app(repo="https://github.com/org/nested/repo"),
            "source",
            ".spec.source.repoURL",
            9,
            'source repoURL "https://github.com/org/nested/repo" of Application "app" is not in '
            'the sourceRepos of AppProject "platform"',
        ),
    ],
    ids=["default", "empty-is-default", "undefined", "cluster", "namespace", "glob-stops-at-slash"],
)
def test_application_outside_its_project_is_reported(
    run_check: Callable[..., CheckRun],
    application: str,
    variant: str,
    field: str,
    line: int,
    says: str,
) -> None:
    files = {"t/appproject.yaml": PROJECT, "t/application.yaml": application}
    result = run_check(CHECK, files)
    assert result.rows() == [(f"{CHECK}[{variant}]", "app", field, "t/application.yaml", line)]
    assert says in result.findings[0].message


DENY = """\
apiVersion: argoproj.io/v1alpha1
kind: AppProject
metadata:
  name: platform
  namespace: argocd
spec:
  sourceRepos:
    - "*"
    - "!https://github.com/org/forbidden.git"
  destinations:
    - name: "*"
      namespace: "*"
    - name: "*"
      namespace: "!kube-system"
"""


@pytest.mark.parametrize(
    ("application", "variant", "field", "line"),
    [
        (
            app(dest="prod", namespace="kube-system"),
            "destination",
            ".spec.destination.namespace",
            14,
        ),
        (app(repo="https://github.com/org/forbidden"), "source", ".spec.source.repoURL", 9),
    ],
    ids=["namespace", "repository"],
)
def test_deny_pattern_refuses_what_another_entry_allows(
    run_check: Callable[..., CheckRun], application: str, variant: str, field: str, line: int
) -> None:
    files = {"t/appproject.yaml": DENY, "t/application.yaml": application}
    result = run_check(CHECK, files)
    assert result.rows() == [(f"{CHECK}[{variant}]", "app", field, "t/application.yaml", line)]


def test_deny_pattern_allows_everything_else(run_check: Callable[..., CheckRun]) -> None:
    files = {"t/appproject.yaml": DENY, "t/application.yaml": app(dest="prod", namespace="x")}
    assert run_check(CHECK, files).rows() == []


APPSET = """\
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: envs
  namespace: argocd
spec:
  goTemplate: true
  generators:
    - list:
        elements:
          - cluster: dev
          - cluster: staging
  template:
    metadata:
      name: "{{.cluster}}-crds"
    spec:
      project: platform
      source:
        repoURL: https://github.com/org/repo.git
        targetRevision: main
        path: overlays/{{.cluster}}/crds
      destination:
        name: "{{.cluster}}"
        namespace: kuberay
"""


def test_generated_application_with_a_refused_cluster_is_reported_at_its_element(
    run_check: Callable[..., CheckRun],
) -> None:
    files = {"t/appproject.yaml": PROJECT, "t/applicationset.yaml": APPSET}
    result = run_check(CHECK, files)
    assert result.rows() == [
        (
            f"{CHECK}[destination]",
            "envs",
            ".spec.generators[0].list.elements[1].cluster",
            "t/applicationset.yaml",
            12,
        )
    ]
    assert 'of Application "staging-crds" (generated by ApplicationSet envs)' in (
        result.findings[0].message
    )
