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


def _rules(*rules: Any) -> Body:
    """The operator's ClusterRole with exactly `rules` (malformed ones too)."""
    out = role("kuberay-operator", [], namespace=None)
    out["rules"] = list(rules)
    return out


def test_other_flags_with_a_value_are_not_a_watch_namespace() -> None:
    operator = _operator("--metrics-addr=:8080", "--leader-elect")
    assert issues(CHECK, operator, _cluster_role(), _binding()) == []


def test_an_empty_watch_namespace_watches_every_namespace() -> None:
    # main.go: strings.Split("", ",") is [""], and "" means every namespace
    assert issues(CHECK, _operator("--watch-namespace="), _cluster_role(), _binding()) == []


def test_several_watched_namespaces_count() -> None:
    operator = _operator("--leader-elect", "--watch-namespace=kuberay,ray-jobs")
    assert issues(CHECK, operator, _cluster_role(), _binding()) == _cluster_wide(
        "kuberay-operator", "pods, services"
    )


def test_the_operator_is_found_after_other_deployments() -> None:
    web = deployment("web", "kuberay-system", containers=[container("web", args=["--x=y"])])
    assert issues(CHECK, web, WATCHING_KUBERAY, _cluster_role(), _binding()) == _cluster_wide(
        "kuberay-operator", "pods, services"
    )


def test_an_operator_without_service_account_name_runs_as_default() -> None:
    operator = _operator("--watch-namespace=kuberay")
    del operator["spec"]["template"]["spec"]["serviceAccountName"]
    default = _binding(subject=service_account("default", "kuberay-system"))
    assert issues(CHECK, operator, _cluster_role(), default) == _cluster_wide(
        "kuberay-operator", "pods, services"
    )


def test_an_operator_without_namespace_runs_in_default() -> None:
    operator = _operator("--watch-namespace=kuberay")
    del operator["metadata"]["namespace"]
    account = _binding(subject=service_account("kuberay-operator", "default"))
    assert issues(CHECK, operator, _cluster_role(), account) == _cluster_wide(
        "kuberay-operator", "pods, services"
    )


def test_a_cluster_role_without_rules_grants_nothing() -> None:
    no_rules = role("kuberay-operator", [], namespace=None)
    del no_rules["rules"]
    assert issues(CHECK, WATCHING_KUBERAY, no_rules, _binding()) == []


def test_every_core_rule_adds_to_the_grant_and_malformed_rules_are_skipped() -> None:
    rules = _rules(
        "pods",
        {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]},
        {"apiGroups": [""], "resources": ["pods", "configmaps"], "verbs": ["create"]},
    )
    assert issues(CHECK, WATCHING_KUBERAY, rules, _binding()) == _cluster_wide(
        "kuberay-operator", "pods, secrets"
    )


def test_resources_of_another_api_group_named_like_core_ones_do_not_count() -> None:
    knative = _rules({"apiGroups": ["serving.knative.dev"], "resources": ["services"]})
    assert issues(CHECK, WATCHING_KUBERAY, knative, _binding()) == []


def test_an_aggregated_cluster_role_counts_as_everything() -> None:
    aggregated = _rules()
    aggregated["aggregationRule"] = {
        "clusterRoleSelectors": [{"matchLabels": {"rbac.example.com/aggregate-to-ray": "true"}}]
    }
    assert issues(CHECK, WATCHING_KUBERAY, aggregated, _binding()) == _cluster_wide(
        "kuberay-operator", "whatever ClusterRole kuberay-operator grants"
    )


def test_bindings_after_a_harmless_one_are_judged() -> None:
    events = role("events-reader", [{"apiGroups": [""], "resources": ["events"]}], namespace=None)
    harmless = binding("a-events", "ClusterRole", "events-reader", [OPERATOR_ACCOUNT], None)
    found = issues(CHECK, WATCHING_KUBERAY, events, _cluster_role(), harmless, _binding())
    assert found == _cluster_wide("kuberay-operator", "pods, services")


def _subject(kind: str, name: str) -> dict[str, str]:
    return {"kind": kind, "name": name, "apiGroup": "rbac.authorization.k8s.io"}


def test_the_groups_of_every_service_account_or_every_user_count() -> None:
    for group in ("system:serviceaccounts", "system:authenticated"):
        everyone = _binding(subject=_subject("Group", group))
        assert issues(CHECK, WATCHING_KUBERAY, _cluster_role(), everyone) == _cluster_wide(
            "kuberay-operator", "pods, services"
        )


def test_a_user_named_like_the_operator_account_is_not_it() -> None:
    user = _binding(subject=_subject("User", "kuberay-operator"))
    assert issues(CHECK, WATCHING_KUBERAY, _cluster_role(), user) == []
