from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conftest import CheckRun

PROJECT = """\
apiVersion: argoproj.io/v1alpha1
kind: AppProject
metadata:
  name: kuberay-platform
  namespace: argocd
spec:
  sourceRepos:
    - {repo}
  sourceNamespaces:
    - {source_ns}
  destinations:
    - name: dev
      namespace: kuberay
    - server: {server}
      namespace: {namespace}
  clusterResourceWhitelist:
    - group: ""
      kind: Namespace
  namespaceResourceWhitelist:
    - group: ray.io
      kind: RayCluster
    - group: {group}
      kind: {kind}
  roles:
    - name: platform-oncall
      policies:
        - p, proj:kuberay-platform:platform-oncall, applications, get, kuberay-platform/*, allow
        - {policy}
"""
NARROW = {
    "repo": "https://github.com/platform-team/kuberay-gitops.git",
    "source_ns": "argocd-apps",
    "server": "https://prod.example.com:6443",
    "namespace": "kuberay-system",
    "group": "monitoring.coreos.com",
    "kind": "ServiceMonitor",
    "policy": "p, proj:kuberay-platform:platform-oncall, applications, sync, kuberay-platform/*, "
    "allow",
}


def project(**change: str) -> dict[str, str]:
    return {"t/appproject.yaml": PROJECT.format(**{**NARROW, **change})}


def test_a_project_of_named_repositories_clusters_and_kinds_passes(
    run_check: Callable[..., CheckRun],
) -> None:
    assert run_check("argocd-project-breadth", project()).rows() == []


def test_a_denied_exec_policy_passes(run_check: Callable[..., CheckRun]) -> None:
    policy = "p, proj:kuberay-platform:platform-oncall, exec, create, kuberay-platform/*, deny"
    assert run_check("argocd-project-breadth", project(policy=policy)).rows() == []


def test_any_source_repository_is_an_error(run_check: Callable[..., CheckRun]) -> None:
    result = run_check("argocd-project-breadth", project(repo="'*'"))
    assert result.rows() == [
        (
            "argocd-project-breadth[source-repos]",
            "kuberay-platform",
            ".spec.sourceRepos[0]",
            "t/appproject.yaml",
            8,
        )
    ]
    assert result.findings[0].message == (
        'AppProject "kuberay-platform" allows sources from any repository ("*")'
    )


def test_a_whitelist_of_every_kind_is_an_error(run_check: Callable[..., CheckRun]) -> None:
    result = run_check("argocd-project-breadth", project(group="'*'", kind="'*'"))
    assert result.rows() == [
        (
            "argocd-project-breadth[whitelist]",
            "kuberay-platform",
            ".spec.namespaceResourceWhitelist[1].kind",
            "t/appproject.yaml",
            23,
        )
    ]


@pytest.mark.parametrize(
    ("change", "field", "line"),
    [
        ({"server": "'*'"}, ".spec.destinations[1].server", 14),
        ({"namespace": "'*'"}, ".spec.destinations[1].namespace", 15),
    ],
    ids=["any-cluster", "any-namespace"],
)
def test_a_destination_of_every_cluster_or_namespace_is_an_error(
    run_check: Callable[..., CheckRun], change: dict[str, str], field: str, line: int
) -> None:
    assert run_check("argocd-project-breadth", project(**change)).rows() == [
        (
            "argocd-project-breadth[destination]",
            "kuberay-platform",
            field,
            "t/appproject.yaml",
            line,
        )
    ]


def test_applications_from_every_namespace_are_an_error(
    run_check: Callable[..., CheckRun],
) -> None:
    assert run_check("argocd-project-breadth", project(source_ns="'*'")).rows() == [
        (
            "argocd-project-breadth[source-namespaces]",
            "kuberay-platform",
            ".spec.sourceNamespaces[0]",
            "t/appproject.yaml",
            10,
        )
    ]


@pytest.mark.parametrize(
    "policy",
    [
        "p, proj:kuberay-platform:platform-oncall, exec, create, kuberay-platform/*, allow",
        "p, proj:kuberay-platform:platform-oncall, applications, *, kuberay-platform/*, allow",
    ],
    ids=["exec", "every-action"],
)
def test_a_role_policy_allowing_exec_or_every_action_is_an_error(
    run_check: Callable[..., CheckRun], policy: str
) -> None:
    assert run_check("argocd-project-breadth", project(policy=policy)).rows() == [
        (
            "argocd-project-breadth[role-policy]",
            "kuberay-platform",
            ".spec.roles[0].policies[1]",
            "t/appproject.yaml",
            28,
        )
    ]
