from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.builders import (
    Body,
    app_project,
    app_spec,
    application,
    application_set,
    issues,
    to_yaml,
)
from tests.conftest import CheckRun

CHECK = "argocd-project"
PROJECT = app_project(
    sourceRepos=["https://github.com/org/*"],
    destinations=[
        {"name": "dev", "namespace": "kuberay*"},
        {"server": "https://kubernetes.default.svc", "namespace": "argocd"},
    ],
)
DEFAULT = (
    'Application "app" uses the "default" project, which allows every repository, cluster, '
    "namespace and kind"
)
ALLOWED = "(allowed: dev/kuberay*, https://kubernetes.default.svc/argocd)"
DENY = app_project(
    sourceRepos=["*", "!https://github.com/org/forbidden.git"],
    destinations=[{"name": "*", "namespace": "*"}, {"name": "*", "namespace": "!kube-system"}],
)


def _app(
    project: str = "platform",
    repo: str = "https://github.com/org/repo.git",
    dest: str = "dev",
    namespace: str = "kuberay-system",
    dest_key: str = "name",
) -> Body:
    return application(
        project=project, repo=repo, destination={dest_key: dest, "namespace": namespace}
    )


@pytest.mark.parametrize(
    "app",
    [
        _app(),
        _app(repo="HTTPS://github.com/org/other/"),
        _app(dest="in-cluster", namespace="argocd"),
        _app(dest="https://kubernetes.default.svc", namespace="argocd", dest_key="server"),
    ],
    ids=["glob-namespace", "normalised-repo-url", "in-cluster-by-name", "in-cluster-by-server"],
)
def test_application_allowed_by_its_project_passes(app: Body) -> None:
    assert issues(CHECK, PROJECT, app) == []


def test_application_on_a_cluster_its_project_refuses_is_reported_at_the_destination(
    run_check: Callable[..., CheckRun],
) -> None:
    files = {
        "t/appproject.yaml": to_yaml(PROJECT),
        "t/application.yaml": to_yaml(_app(dest="staging")),
    }
    result = run_check(CHECK, files)
    assert result.rows() == [
        (f"{CHECK}[destination]", "app", ".spec.destination.name", "t/application.yaml", 13)
    ]
    assert result.findings[0].message == (
        'destination cluster "staging" namespace "kuberay-system" of Application "app" is not '
        f'allowed by AppProject "platform" {ALLOWED}'
    )


@pytest.mark.parametrize(
    ("app", "variant", "field", "message"),
    [
        (_app(project="default"), "default", ".spec.project", DEFAULT),
        (_app(project=""), "default", ".spec.project", DEFAULT),
        (
            _app(project="platfrom"),
            "missing",
            ".spec.project",
            'Application "app" names project "platfrom", which is not defined (known: platform)',
        ),
        (
            _app(namespace="other"),
            "destination",
            ".spec.destination.namespace",
            'destination cluster "dev" namespace "other" of Application "app" is not allowed by '
            f'AppProject "platform" {ALLOWED}',
        ),
        (
            _app(repo="https://github.com/org/nested/repo"),
            "source",
            ".spec.source.repoURL",
            'source repoURL "https://github.com/org/nested/repo" of Application "app" is not in '
            'the sourceRepos of AppProject "platform"',
        ),
    ],
    ids=["default", "empty-is-default", "undefined", "namespace", "glob-stops-at-slash"],
)
def test_application_outside_its_project_is_reported(
    app: Body, variant: str, field: str, message: str
) -> None:
    assert issues(CHECK, PROJECT, app) == [
        (f"{CHECK}[{variant}]", "Application/app", field, message)
    ]


@pytest.mark.parametrize(
    ("app", "variant", "field", "message"),
    [
        (
            _app(dest="prod", namespace="kube-system"),
            "destination",
            ".spec.destination.namespace",
            'destination cluster "prod" namespace "kube-system" of Application "app" is not '
            'allowed by AppProject "platform" (allowed: */*, */!kube-system)',
        ),
        (
            _app(repo="https://github.com/org/forbidden"),
            "source",
            ".spec.source.repoURL",
            'source repoURL "https://github.com/org/forbidden" of Application "app" is not in the '
            'sourceRepos of AppProject "platform"',
        ),
    ],
    ids=["namespace", "repository"],
)
def test_deny_pattern_refuses_what_another_entry_allows(
    app: Body, variant: str, field: str, message: str
) -> None:
    assert issues(CHECK, DENY, app) == [(f"{CHECK}[{variant}]", "Application/app", field, message)]


def test_deny_pattern_allows_everything_else() -> None:
    assert issues(CHECK, DENY, _app(dest="prod", namespace="x")) == []


def test_generated_application_with_a_refused_cluster_is_reported_at_its_element(
    run_check: Callable[..., CheckRun],
) -> None:
    envs = application_set(
        "envs",
        [{"cluster": "dev"}, {"cluster": "staging"}],
        "{{.cluster}}-crds",
        app_spec(
            "overlays/{{.cluster}}/crds",
            project="platform",
            destination={"name": "{{.cluster}}", "namespace": "kuberay"},
        ),
    )
    files = {"t/appproject.yaml": to_yaml(PROJECT), "t/applicationset.yaml": to_yaml(envs)}
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
