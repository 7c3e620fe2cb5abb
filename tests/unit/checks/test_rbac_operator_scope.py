from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.builders import (
    Body,
    binding,
    container,
    deployment,
    issues,
    role,
    service_account,
    to_yaml,
)
from tests.conftest import CheckRun

CHECK = "rbac-operator-scope"
OPERATOR_ACCOUNT = service_account("kuberay-operator", "kuberay-system")


def _operator(*args: str) -> Body:
    image = "quay.io/kuberay/operator:v1.7.0"
    return deployment(
        "kuberay-operator",
        "kuberay-system",
        containers=[container("kuberay-operator", image=image, args=list(args))],
        serviceAccountName="kuberay-operator",
    )


WATCHING_KUBERAY = _operator("--watch-namespace=kuberay")


def _cluster_role(core: list[str] | None = None, core_group: str = "") -> Body:
    rules = [
        {
            "apiGroups": [core_group],
            "resources": core or ["pods", "services"],
            "verbs": ["create", "get"],
        },
        {"apiGroups": ["ray.io"], "resources": ["rayclusters"], "verbs": ["get"]},
    ]
    return role("kuberay-operator", rules, namespace=None)


def _binding(
    namespace: str | None = None,
    subject: dict[str, Any] = OPERATOR_ACCOUNT,
    role_name: str = "kuberay-operator",
) -> Body:
    """The operator's ClusterRole bound cluster-wide (namespace None) or in `namespace`."""
    return binding("kuberay-operator", "ClusterRole", role_name, [subject], namespace)


def _cluster_wide(role_name: str, grants: str) -> list[tuple[str, str, str, str]]:
    message = (
        "the KubeRay operator watches given namespaces but this binding grants its account "
        f"ClusterRole {role_name} cluster-wide: {grants} in every namespace"
    )
    return [(CHECK, "ClusterRoleBinding/kuberay-operator", ".subjects[0]", message)]


def test_a_cluster_wide_binding_of_a_namespace_watching_operator_is_reported(
    run_check: Callable[..., CheckRun],
) -> None:
    tree = {
        "t/deploy.yaml": to_yaml(WATCHING_KUBERAY),
        "t/role.yaml": to_yaml(_cluster_role()),
        "t/crb.yaml": to_yaml(_binding()),
    }
    result = run_check(CHECK, tree)
    assert result.rows() == [(CHECK, "kuberay-operator", ".subjects[0]", "t/crb.yaml", 10)]
    assert "pods, services in every namespace" in result.findings[0].message


def test_a_rolebinding_in_the_watched_namespace_passes() -> None:
    assert issues(CHECK, WATCHING_KUBERAY, _cluster_role(), _binding("kuberay")) == []


def test_an_operator_watching_every_namespace_is_not_judged() -> None:
    assert issues(CHECK, _operator(), _cluster_role(), _binding()) == []


def test_a_cluster_role_without_secrets_pods_or_services_passes() -> None:
    assert issues(CHECK, WATCHING_KUBERAY, _cluster_role(["events"]), _binding()) == []


def test_a_wildcard_grant_counts_and_other_subjects_do_not() -> None:
    wildcard = _cluster_role(["*"], core_group="*")
    someone = _binding(subject=service_account("someone", "kuberay-system"))
    assert issues(CHECK, WATCHING_KUBERAY, wildcard, someone) == []
    assert issues(CHECK, WATCHING_KUBERAY, wildcard, _binding()) == _cluster_wide(
        "kuberay-operator", "*"
    )


def test_a_role_whose_rules_are_not_in_the_repository_counts_as_everything() -> None:
    admin = _binding(role_name="cluster-admin")
    assert issues(CHECK, WATCHING_KUBERAY, admin) == _cluster_wide(
        "cluster-admin", "whatever ClusterRole cluster-admin grants"
    )


def test_a_group_holding_the_operator_account_counts() -> None:
    def group(name: str) -> dict[str, str]:
        return {"kind": "Group", "name": name, "apiGroup": "rbac.authorization.k8s.io"}

    operators = _binding(subject=group("system:serviceaccounts:kuberay-system"))
    assert issues(CHECK, WATCHING_KUBERAY, _cluster_role(), operators) == _cluster_wide(
        "kuberay-operator", "pods, services"
    )
    web = _binding(subject=group("system:serviceaccounts:web"))
    assert issues(CHECK, WATCHING_KUBERAY, _cluster_role(), web) == []
