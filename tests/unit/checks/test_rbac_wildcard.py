from __future__ import annotations

from collections.abc import Callable

from tests.conftest import CheckRun

ROLE = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: ray-head
  namespace: kuberay
rules:
  - apiGroups: [""]
    resources: [pods]
    verbs: [get, list, watch]
  - apiGroups: [ray.io]
    resources: [{resources}]
    verbs: [{verbs}]
"""


def test_named_verbs_and_resources_pass(run_check: Callable[..., CheckRun]) -> None:
    files = {"t/role.yaml": ROLE.format(resources="rayclusters", verbs="get, patch")}
    assert run_check("rbac-wildcard", files).rows() == []


def test_wildcards_in_a_rule_are_errors(run_check: Callable[..., CheckRun]) -> None:
    files = {"t/role.yaml": ROLE.format(resources="rayclusters, '*/status'", verbs="'*'")}
    result = run_check("rbac-wildcard", files)
    assert result.rows() == [
        ("rbac-wildcard", "ray-head", ".rules[1].resources[1]", "t/role.yaml", 11),
        ("rbac-wildcard", "ray-head", ".rules[1].verbs[0]", "t/role.yaml", 12),
    ]
    assert result.findings[1].message == 'rule 1 grants "*" in verbs'


def test_cluster_role_from_any_source_is_checked(run_check: Callable[..., CheckRun]) -> None:
    text = ROLE.replace("kind: Role", "kind: ClusterRole").replace("  namespace: kuberay\n", "")
    files = {"t/clusterrole.yaml": text.format(resources="rayclusters", verbs="get")}
    files["t/clusterrole.yaml"] = files["t/clusterrole.yaml"].replace('[""]', '["*"]')
    assert run_check("rbac-wildcard", files).rows() == [
        ("rbac-wildcard", "ray-head", ".rules[0].apiGroups[0]", "t/clusterrole.yaml", 6)
    ]
