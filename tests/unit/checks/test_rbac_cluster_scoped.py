from __future__ import annotations

from collections.abc import Callable

from tests.builders import Body, binding, issues, role, service_account, to_yaml
from tests.conftest import CheckRun

CHECK = "rbac-cluster-scoped"
READER = binding(
    "ray-reader", "ClusterRole", "ray-reader", [service_account("dashboard", "kuberay")], None
)


def _cluster_role(name: str) -> Body:
    rules = [{"apiGroups": ["ray.io"], "resources": ["rayclusters"], "verbs": ["get"]}]
    return role(name, rules, namespace=None)


def test_the_operator_cluster_role_is_allowed_by_default() -> None:
    assert issues(CHECK, _cluster_role("kuberay-operator")) == []


def test_unlisted_cluster_role_and_binding_are_errors(run_check: Callable[..., CheckRun]) -> None:
    files = {
        "t/clusterrole.yaml": to_yaml(_cluster_role("ray-reader")),
        "t/clusterrolebinding.yaml": to_yaml(READER),
    }
    result = run_check(CHECK, files)
    assert result.rows() == [
        (CHECK, "ray-reader", ".metadata.name", "t/clusterrole.yaml", 4),
        (CHECK, "ray-reader", ".metadata.name", "t/clusterrolebinding.yaml", 4),
    ]
    assert result.findings[0].message == (
        'ClusterRole "ray-reader" is cluster-scoped and not in the allowed list'
    )


def test_config_extends_the_list_with_a_reason() -> None:
    allowed = [
        "kuberay-operator",
        {"name": "ray-reader", "reason": "the dashboard lists RayClusters in every namespace"},
    ]
    objects = (_cluster_role("ray-reader"), READER)
    assert [i[1] for i in issues(CHECK, *objects)] == [
        "ClusterRole/ray-reader",
        "ClusterRoleBinding/ray-reader",
    ]
    assert issues(CHECK, *objects, options={"allowed": allowed}) == []
