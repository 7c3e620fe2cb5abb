from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.builders import Body, app_project, issues, to_yaml
from tests.conftest import CheckRun

CHECK = "argocd-project-breadth"
ROLE = "p, proj:kuberay-platform:platform-oncall"
NARROW = {
    "repo": "https://github.com/platform-team/kuberay-gitops.git",
    "source_ns": "argocd-apps",
    "server": "https://prod.example.com:6443",
    "namespace": "kuberay-system",
    "group": "monitoring.coreos.com",
    "kind": "ServiceMonitor",
    "policy": f"{ROLE}, applications, sync, kuberay-platform/*, allow",
}


def _project(**change: str) -> Body:
    """kuberay-platform: named repositories, clusters, namespaces and kinds but for `change`."""
    v = {**NARROW, **change}
    return app_project(
        "kuberay-platform",
        sourceRepos=[v["repo"]],
        sourceNamespaces=[v["source_ns"]],
        destinations=[
            {"name": "dev", "namespace": "kuberay"},
            {"server": v["server"], "namespace": v["namespace"]},
        ],
        clusterResourceWhitelist=[{"group": "", "kind": "Namespace"}],
        namespaceResourceWhitelist=[
            {"group": "ray.io", "kind": "RayCluster"},
            {"group": v["group"], "kind": v["kind"]},
        ],
        roles=[
            {
                "name": "platform-oncall",
                "policies": [f"{ROLE}, applications, get, kuberay-platform/*, allow", v["policy"]],
            }
        ],
    )


def _broad(variant: str, field: str, message: str) -> tuple[str, str, str, str]:
    return (f"{CHECK}[{variant}]", "AppProject/kuberay-platform", field, message)


def test_a_project_of_named_repositories_clusters_and_kinds_passes() -> None:
    assert issues(CHECK, _project()) == []


def test_a_denied_exec_policy_passes() -> None:
    policy = f"{ROLE}, exec, create, kuberay-platform/*, deny"
    assert issues(CHECK, _project(policy=policy)) == []


def test_any_source_repository_is_an_error(run_check: Callable[..., CheckRun]) -> None:
    result = run_check(CHECK, {"t/appproject.yaml": to_yaml(_project(repo="*"))})
    assert result.rows() == [
        (
            f"{CHECK}[source-repos]",
            "kuberay-platform",
            ".spec.sourceRepos[0]",
            "t/appproject.yaml",
            8,
        )
    ]
    assert result.findings[0].message == (
        'AppProject "kuberay-platform" allows sources from any repository ("*")'
    )


def test_a_whitelist_of_every_kind_is_an_error() -> None:
    assert issues(CHECK, _project(group="*", kind="*")) == [
        _broad(
            "whitelist",
            ".spec.namespaceResourceWhitelist[1].kind",
            'namespaceResourceWhitelist of AppProject "kuberay-platform" admits every kind of '
            'every API group (kind "*")',
        )
    ]


@pytest.mark.parametrize(
    ("key", "every"),
    [("server", "cluster"), ("namespace", "namespace")],
    ids=["any-cluster", "any-namespace"],
)
def test_a_destination_of_every_cluster_or_namespace_is_an_error(key: str, every: str) -> None:
    assert issues(CHECK, _project(**{key: "*"})) == [
        _broad(
            "destination",
            f".spec.destinations[1].{key}",
            f'destination 1 of AppProject "kuberay-platform" allows every {every} ({key} "*")',
        )
    ]


def test_applications_from_every_namespace_are_an_error() -> None:
    assert issues(CHECK, _project(source_ns="*")) == [
        _broad(
            "source-namespaces",
            ".spec.sourceNamespaces[0]",
            'AppProject "kuberay-platform" accepts Applications from every namespace '
            '(sourceNamespaces "*")',
        )
    ]


@pytest.mark.parametrize(
    ("policy", "allows"),
    [
        (
            f"{ROLE}, exec, create, kuberay-platform/*, allow",
            '"exec" (create): a shell in every pod of the project\'s Applications',
        ),
        (
            f"{ROLE}, applications, *, kuberay-platform/*, allow",
            'every action ("*") on applications',
        ),
    ],
    ids=["exec", "every-action"],
)
def test_a_role_policy_allowing_exec_or_every_action_is_an_error(policy: str, allows: str) -> None:
    message = f'role "platform-oncall" of AppProject "kuberay-platform" allows {allows}'
    assert issues(CHECK, _project(policy=policy)) == [
        _broad("role-policy", ".spec.roles[0].policies[1]", message)
    ]


def _policy(policy: str) -> list[tuple[str, str, str, str]]:
    return issues(CHECK, _project(policy=policy))


def _role_policy(allows: str, role: str = "platform-oncall") -> tuple[str, str, str, str]:
    return _broad(
        "role-policy",
        ".spec.roles[0].policies[1]",
        f'role "{role}" of AppProject "kuberay-platform" allows {allows}',
    )


@pytest.mark.parametrize(
    "policy",
    [
        f"{ROLE}, exec, create",
        f"{ROLE}, exec, create, kuberay-platform/*",
        f"{ROLE}, exec, create, kuberay-platform/*, allow, extra",
        f"# {ROLE}, exec, create, kuberay-platform/*, allow",
        "g, proj:kuberay-platform:platform-oncall, exec, create, kuberay-platform/*, allow",
    ],
    ids=["too-short", "no-effect", "too-long", "commented-out", "not-a-policy-line"],
)
def test_a_line_argo_cd_does_not_accept_as_a_policy_opens_nothing(policy: str) -> None:
    # Argo CD's validatePolicy: exactly `p, sub, res, act, obj, eft`
    assert _policy(policy) == []


def test_a_policy_with_spaces_around_its_fields_is_read_as_one() -> None:
    policy = f"{ROLE} ,  exec ,create, kuberay-platform/*,allow "
    assert _policy(policy) == [
        _role_policy('"exec" (create): a shell in every pod of the project\'s Applications')
    ]


def test_a_policy_on_every_resource_is_an_error() -> None:
    assert _policy(f"{ROLE}, *, get, kuberay-platform/*, allow") == [
        _role_policy('every resource ("*")')
    ]


def test_a_role_without_a_name_is_named_by_its_index() -> None:
    project = _project(policy=f"{ROLE}, applications, *, kuberay-platform/*, allow")
    del project["spec"]["roles"][0]["name"]
    assert issues(CHECK, project) == [_role_policy('every action ("*") on applications', "0")]


def test_a_whitelist_of_every_kind_of_one_group_names_the_group() -> None:
    assert issues(CHECK, _project(group="ray.io", kind=" * ")) == [
        _broad(
            "whitelist",
            ".spec.namespaceResourceWhitelist[1].kind",
            'namespaceResourceWhitelist of AppProject "kuberay-platform" admits every kind of '
            'group "ray.io" (kind "*")',
        )
    ]


def test_a_whitelist_of_every_kind_without_a_group_is_the_core_group() -> None:
    project = _project()
    project["spec"]["clusterResourceWhitelist"] = [{"kind": "*"}]
    assert issues(CHECK, project) == [
        _broad(
            "whitelist",
            ".spec.clusterResourceWhitelist[0].kind",
            'clusterResourceWhitelist of AppProject "kuberay-platform" admits every kind of '
            'group "" (kind "*")',
        )
    ]


def test_a_destination_of_every_cluster_name_is_an_error() -> None:
    project = _project()
    project["spec"]["destinations"][0]["name"] = "*"
    assert issues(CHECK, project) == [
        _broad(
            "destination",
            ".spec.destinations[0].name",
            'destination 0 of AppProject "kuberay-platform" allows every cluster (name "*")',
        )
    ]


def test_every_wide_field_of_a_destination_is_reported_in_order() -> None:
    project = _project(server="*", namespace="*")
    assert [row[2] for row in issues(CHECK, project)] == [
        ".spec.destinations[1].server",
        ".spec.destinations[1].namespace",
    ]


def test_entries_that_are_not_strings_or_mappings_are_not_everything() -> None:
    project = _project()
    spec = project["spec"]
    spec["sourceRepos"].append(None)
    spec["sourceNamespaces"].append(["*"])
    spec["destinations"].append("*")
    spec["namespaceResourceWhitelist"].append({"group": "*", "kind": ["*"]})
    spec["roles"].append("p, x, exec, create, y, allow")
    assert issues(CHECK, project) == []
