from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from kuberay_gitops.checks import argocd_project
from tests.builders import (
    REPO_URL,
    Body,
    app_project,
    app_spec,
    application,
    application_set,
    issues,
    repo_facts,
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


PROD = "https://prod.example.com"
IN_CLUSTER = "https://kubernetes.default.svc"


def _project(*destinations: dict[str, str], **spec: Any) -> Body:
    """The platform project: every repository of the org, and `destinations`."""
    return app_project(
        **{"sourceRepos": ["https://github.com/org/*"], "destinations": list(destinations), **spec}
    )


def _to(**destination: str) -> Body:
    """An Application of the platform project with this destination."""
    return application(project="platform", destination=destination)


def _refused(
    culprit: str, cluster: str, namespace: str, allowed: str, app: str = "app"
) -> tuple[str, str, str, str]:
    return (
        f"{CHECK}[destination]",
        f"Application/{app}",
        f".spec.destination.{culprit}",
        f'destination cluster "{cluster}" namespace "{namespace}" of Application "{app}" is not '
        f'allowed by AppProject "platform" (allowed: {allowed})',
    )


def test_a_destination_by_server_is_allowed_by_its_server() -> None:
    project = _project({"server": PROD, "namespace": "*"})
    assert issues(CHECK, project, _to(server=PROD, namespace="kuberay")) == []


def test_a_destination_by_server_the_project_does_not_list_is_reported_at_the_server() -> None:
    project = _project({"server": "https://staging.example.com", "namespace": "*"})
    assert issues(CHECK, project, _to(server=PROD, namespace="kuberay")) == [
        _refused("server", PROD, "kuberay", "https://staging.example.com/*")
    ]


@pytest.mark.parametrize("server", [IN_CLUSTER, f"{IN_CLUSTER}/"], ids=["exact", "trailing-slash"])
def test_the_in_cluster_server_is_allowed_by_the_in_cluster_name(server: str) -> None:
    project = _project({"name": "in-cluster", "namespace": "argocd"})
    assert issues(CHECK, project, _to(server=server, namespace="argocd")) == []


def test_another_server_is_not_the_in_cluster_name() -> None:
    project = _project({"name": "in-cluster", "namespace": "*"})
    assert issues(CHECK, project, _to(server=PROD, namespace="x")) == [
        _refused("server", PROD, "x", "in-cluster/*")
    ]


def test_a_destination_with_a_name_and_a_server_is_matched_by_its_server() -> None:
    project = _project({"server": PROD, "namespace": "*"})
    assert issues(CHECK, project, _to(name="in-cluster", server=PROD, namespace="x")) == []


def test_a_destination_by_name_is_undecided_by_an_entry_of_only_a_server() -> None:
    # Argo CD knows the server of "staging"; offline it is unknown: no finding either way
    project = _project({"server": PROD, "namespace": "*"})
    assert issues(CHECK, project, _to(name="staging", namespace="x")) == []


def test_an_entry_of_only_a_server_still_refuses_by_its_namespace() -> None:
    project = _project({"server": PROD, "namespace": "kuberay"})
    assert issues(CHECK, project, _to(name="staging", namespace="x")) == [
        _refused("name", "staging", "x", f"{PROD}/kuberay")
    ]


def test_an_entry_naming_another_cluster_refuses_a_destination_by_name() -> None:
    project = _project({"name": "prod", "server": PROD, "namespace": "*"})
    assert issues(CHECK, project, _to(name="staging", namespace="x")) == [
        _refused("name", "staging", "x", "prod/*")
    ]


def test_a_server_deny_pattern_does_not_refuse_a_destination_whose_server_is_unknown() -> None:
    project = _project(
        {"name": "*", "namespace": "*"}, {"server": f"!{IN_CLUSTER}", "namespace": "*"}
    )
    assert issues(CHECK, project, _to(name="dev", namespace="x")) == []


def test_a_server_deny_pattern_refuses_the_in_cluster_name_at_the_name() -> None:
    project = _project(
        {"name": "*", "namespace": "*"}, {"server": f"!{IN_CLUSTER}", "namespace": "*"}
    )
    assert issues(CHECK, project, _to(name="in-cluster", namespace="x")) == [
        _refused("name", "in-cluster", "x", f"*/*, !{IN_CLUSTER}/*")
    ]


def test_a_name_deny_pattern_refuses_the_cluster_another_entry_allows() -> None:
    project = _project({"name": "*", "namespace": "*"}, {"name": "!prod", "namespace": "*"})
    assert issues(CHECK, project, _to(name="prod", namespace="x")) == [
        _refused("name", "prod", "x", "*/*, !prod/*")
    ]


def test_a_server_deny_pattern_refuses_the_server_another_entry_allows() -> None:
    project = _project({"server": "*", "namespace": "*"}, {"server": f"!{PROD}", "namespace": "*"})
    assert issues(CHECK, project, _to(server=PROD, namespace="x")) == [
        _refused("server", PROD, "x", f"*/*, !{PROD}/*")
    ]


def test_a_project_without_destinations_allows_none() -> None:
    project = _project()
    del project["spec"]["destinations"]
    assert issues(CHECK, project, _to(name="dev", namespace="x")) == [
        _refused("name", "dev", "x", "none")
    ]


def test_destination_entries_that_are_not_mappings_are_skipped() -> None:
    project = _project({"name": "dev", "namespace": "x"})
    project["spec"]["destinations"].insert(0, "dev/x")
    assert issues(CHECK, project, _to(name="dev", namespace="x")) == []


def test_a_refused_namespace_is_reported_after_a_skipped_entry() -> None:
    project = _project({"name": "dev", "namespace": "kuberay"})
    project["spec"]["destinations"].insert(0, "dev/x")
    assert issues(CHECK, project, _to(name="dev", namespace="x")) == [
        _refused("namespace", "dev", "x", "dev/kuberay")
    ]


def test_destination_entries_missing_a_part_are_described_with_a_question_mark() -> None:
    project = _project({"namespace": "kuberay"}, {"name": "dev"})
    assert issues(CHECK, project, _to(name="prod", namespace="x")) == [
        _refused("name", "prod", "x", "?/kuberay, dev/?")
    ]


def test_a_project_without_source_repositories_allows_none() -> None:
    project = _project({"name": "dev", "namespace": "*"})
    del project["spec"]["sourceRepos"]
    assert issues(CHECK, project, _to(name="dev", namespace="x")) == [
        (
            f"{CHECK}[source]",
            "Application/app",
            ".spec.source.repoURL",
            f'source repoURL "{REPO_URL}" of Application "app" is not in the sourceRepos of '
            'AppProject "platform"',
        )
    ]


def test_a_source_without_a_repository_is_reported_as_empty() -> None:
    app = _to(name="dev", namespace="x")
    del app["spec"]["source"]["repoURL"]
    assert issues(CHECK, _project({"name": "dev", "namespace": "*"}), app) == [
        (
            f"{CHECK}[source]",
            "Application/app",
            ".spec.source.repoURL",
            'source repoURL "" of Application "app" is not in the sourceRepos of AppProject '
            '"platform"',
        )
    ]


def test_a_lone_deny_pattern_allows_every_other_repository() -> None:
    project = _project({"name": "dev", "namespace": "*"}, sourceRepos=["!https://github.com/x/*"])
    assert issues(CHECK, project, _to(name="dev", namespace="x")) == []


def test_every_application_is_judged_after_a_reported_one() -> None:
    default = application("a", project="default")
    missing = application("b", project="nope")
    other = application("c", project="")
    assert issues(CHECK, default, missing, other) == [
        (f"{CHECK}[default]", "Application/a", ".spec.project", DEFAULT.replace('"app"', '"a"')),
        (
            f"{CHECK}[missing]",
            "Application/b",
            ".spec.project",
            'Application "b" names project "nope", which is not defined '
            "(known: none in this target)",
        ),
        (f"{CHECK}[default]", "Application/c", ".spec.project", DEFAULT.replace('"app"', '"c"')),
    ]


def test_an_undefined_project_names_every_known_one_in_order() -> None:
    known = (app_project("zeta"), app_project("alpha"))
    assert issues(CHECK, *known, _app(project="platform")) == [
        (
            f"{CHECK}[missing]",
            "Application/app",
            ".spec.project",
            'Application "app" names project "platform", which is not defined (known: alpha, zeta)',
        )
    ]


def test_an_application_of_a_git_directory_generator_is_judged() -> None:
    units = application_set(
        "units",
        app_name="{{.path.basename}}",
        template=app_spec("{{.path.path}}", project="default"),
        generators=[{"git": {"repoURL": REPO_URL, "directories": [{"path": "overlays/dev/*"}]}}],
    )
    assert issues(CHECK, units, repo=repo_facts("overlays/dev/crds")) == [
        (
            f"{CHECK}[default]",
            "ApplicationSet/units",
            ".spec.template.spec.project",
            'Application "crds" (generated by ApplicationSet units) uses the "default" project, '
            "which allows every repository, cluster, namespace and kind",
        )
    ]


def test_a_listed_server_refused_for_its_namespace_is_reported_at_the_namespace() -> None:
    project = _project({"server": PROD, "namespace": "kuberay"})
    assert issues(CHECK, project, _to(server=PROD, namespace="x")) == [
        _refused("namespace", PROD, "x", f"{PROD}/kuberay")
    ]


def test_the_in_cluster_name_is_listed_by_the_in_cluster_server() -> None:
    project = _project({"server": IN_CLUSTER, "namespace": "argocd"})
    assert issues(CHECK, project, _to(name="in-cluster", namespace="x")) == [
        _refused("namespace", "in-cluster", "x", f"{IN_CLUSTER}/argocd")
    ]


def test_an_entry_of_another_cluster_does_not_refuse_the_listed_one() -> None:
    project = _project({"name": "prod", "namespace": "*"}, {"name": "dev", "namespace": "kuberay"})
    assert issues(CHECK, project, _to(name="dev", namespace="x")) == [
        _refused("namespace", "dev", "x", "prod/*, dev/kuberay")
    ]


def test_a_deny_pattern_of_another_cluster_lists_this_one() -> None:
    # isDestinationMatched: "!prod" matches "dev"; only the namespace keeps it out
    project = _project({"name": "!prod", "namespace": "kuberay"})
    assert issues(CHECK, project, _to(name="dev", namespace="x")) == [
        _refused("namespace", "dev", "x", "!prod/kuberay")
    ]


# Literal entries are looked up by cluster and namespace, not matched one by one (an
# ApplicationSet per environment against a project listing every environment's cluster).
ENVS = [{"name": f"env-{i:03d}", "namespace": "kuberay"} for i in range(40)]


def test_a_literal_entry_among_many_allows_its_cluster_and_namespace() -> None:
    assert issues(CHECK, _project(*ENVS), _to(name="env-037", namespace="kuberay")) == []


def test_a_cluster_no_literal_entry_names_is_refused_at_the_name() -> None:
    found = issues(CHECK, _project(*ENVS[:2]), _to(name="env-099", namespace="kuberay"))
    assert found == [_refused("name", "env-099", "kuberay", "env-000/kuberay, env-001/kuberay")]


def test_a_literal_entry_of_another_namespace_refuses_at_the_namespace() -> None:
    found = issues(CHECK, _project(*ENVS[:1]), _to(name="env-000", namespace="other"))
    assert found == [_refused("namespace", "env-000", "other", "env-000/kuberay")]


def test_a_literal_entry_with_a_name_and_a_server_allows_either() -> None:
    project = _project({"name": "prod", "server": PROD, "namespace": "kuberay"})
    assert issues(CHECK, project, _to(server=PROD, namespace="kuberay")) == []
    assert issues(CHECK, project, _to(name="prod", namespace="kuberay")) == []


def test_a_literal_server_entry_of_the_namespace_leaves_a_destination_by_name_undecided() -> None:
    project = _project({"server": PROD, "namespace": "x"})
    assert issues(CHECK, project, _to(name="staging", namespace="x")) == []
    assert issues(CHECK, project, _to(name="staging", namespace="y")) == [
        _refused("name", "staging", "y", f"{PROD}/x")
    ]


def test_a_literal_server_entry_decides_a_destination_with_its_server() -> None:
    project = _project({"server": PROD, "namespace": "x"})
    other = "https://other.example.com"
    assert issues(CHECK, project, _to(server=other, namespace="x")) == [
        _refused("server", other, "x", f"{PROD}/x")
    ]


@pytest.mark.parametrize(
    "pattern",
    ["env-00*", "env-00?", "env-00[0-9]", "{env-000,other}", "env\\-000", "!other"],
    ids=["star", "question-mark", "class", "alternatives", "escape", "deny"],
)
def test_an_entry_with_a_glob_character_is_matched_as_a_pattern(pattern: str) -> None:
    project = _project({"name": pattern, "namespace": "kuberay"})
    assert issues(CHECK, project, _to(name="env-000", namespace="kuberay")) == []


@pytest.mark.parametrize("namespace", ["kube*", "!default"], ids=["glob", "deny"])
def test_a_literal_name_with_a_glob_namespace_is_matched_as_a_pattern(namespace: str) -> None:
    project = _project({"name": "env-000", "namespace": namespace})
    assert issues(CHECK, project, _to(name="env-000", namespace="kuberay")) == []


def test_a_literal_name_with_a_deny_server_is_matched_as_a_pattern() -> None:
    project = _project(
        {"name": "env-000", "namespace": "kuberay"}, {"server": f"!{PROD}", "namespace": "kuberay"}
    )
    assert issues(CHECK, project, _to(server=PROD, namespace="kuberay")) == [
        _refused("server", PROD, "kuberay", f"env-000/kuberay, !{PROD}/kuberay")
    ]


def test_literal_entries_are_indexed_by_what_they_match_and_globs_kept_apart() -> None:
    glob, by_name = {"name": "env-*", "namespace": "x"}, {"name": "dev", "namespace": "x"}
    by_server, both = {"server": PROD, "namespace": "x"}, {"name": "p", "server": PROD}
    entries = argocd_project._entries(_project(glob, by_name, by_server, both)["spec"])
    assert entries.globs == (glob,)
    assert dict(entries.literal) == {
        ("name", "dev", "x"): (by_name,),
        ("server-only", "", "x"): (by_server,),
        ("server", PROD, "x"): (by_server,),
        ("name", "p", ""): (both,),
        ("server", PROD, ""): (both,),
    }
