from __future__ import annotations

from collections.abc import Callable

from tests.conftest import CheckRun

CLUSTER_ROLE = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: {name}
rules:
  - apiGroups: [ray.io]
    resources: [rayclusters]
    verbs: [get]
"""
BINDING = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: ray-reader
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: ray-reader
subjects:
  - kind: ServiceAccount
    name: dashboard
    namespace: kuberay
"""


def test_the_operator_cluster_role_is_allowed_by_default(
    run_check: Callable[..., CheckRun],
) -> None:
    files = {"t/clusterrole.yaml": CLUSTER_ROLE.format(name="kuberay-operator")}
    assert run_check("rbac-cluster-scoped", files).rows() == []


def test_unlisted_cluster_role_and_binding_are_errors(run_check: Callable[..., CheckRun]) -> None:
    files = {
        "t/clusterrole.yaml": CLUSTER_ROLE.format(name="ray-reader"),
        "t/clusterrolebinding.yaml": BINDING,
    }
    result = run_check("rbac-cluster-scoped", files)
    assert result.rows() == [
        ("rbac-cluster-scoped", "ray-reader", ".metadata.name", "t/clusterrole.yaml", 4),
        ("rbac-cluster-scoped", "ray-reader", ".metadata.name", "t/clusterrolebinding.yaml", 4),
    ]
    assert result.findings[0].message == (
        'ClusterRole "ray-reader" is cluster-scoped and not in the allowed list'
    )


def test_config_extends_the_list_with_a_reason(run_check: Callable[..., CheckRun]) -> None:
    files = {
        "t/clusterrole.yaml": CLUSTER_ROLE.format(name="ray-reader"),
        "t/clusterrolebinding.yaml": BINDING,
    }
    config = (
        "checks:\n  rbac-cluster-scoped:\n    options:\n      allowed:\n"
        "        - kuberay-operator\n"
        "        - name: ray-reader\n"
        "          reason: the dashboard lists RayClusters in every namespace\n"
    )
    assert run_check("rbac-cluster-scoped", files, config_extra=config).rows() == []
