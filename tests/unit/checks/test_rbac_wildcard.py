from __future__ import annotations

from collections.abc import Callable

from tests.builders import Body, issues, role, to_yaml
from tests.conftest import CheckRun

CHECK = "rbac-wildcard"


def _role(
    resources: list[str], verbs: list[str], namespace: str | None = "kuberay", pods_group: str = ""
) -> Body:
    """ray-head: read pods (of `pods_group`), and `verbs` on `resources` of ray.io."""
    pods = {"apiGroups": [pods_group], "resources": ["pods"], "verbs": ["get", "list", "watch"]}
    ray = {"apiGroups": ["ray.io"], "resources": resources, "verbs": verbs}
    return role("ray-head", [pods, ray], namespace=namespace)


def test_named_verbs_and_resources_pass() -> None:
    assert issues(CHECK, _role(["rayclusters"], ["get", "patch"])) == []


def test_wildcards_in_a_rule_are_errors(run_check: Callable[..., CheckRun]) -> None:
    wild = _role(["rayclusters", "*/status"], ["*"])
    result = run_check(CHECK, {"t/role.yaml": to_yaml(wild)})
    assert result.rows() == [
        (CHECK, "ray-head", ".rules[1].resources[1]", "t/role.yaml", 19),
        (CHECK, "ray-head", ".rules[1].verbs[0]", "t/role.yaml", 21),
    ]
    assert result.findings[1].message == 'rule 1 grants "*" in verbs'


def test_cluster_role_from_any_source_is_checked() -> None:
    cluster_role = _role(["rayclusters"], ["get"], namespace=None, pods_group="*")
    assert issues(CHECK, cluster_role) == [
        (CHECK, "ClusterRole/ray-head", ".rules[0].apiGroups[0]", 'rule 0 grants "*" in apiGroups')
    ]
