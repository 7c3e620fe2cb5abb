from __future__ import annotations

from collections.abc import Callable

from tests.conftest import CheckRun

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: kuberay-operator
  namespace: kuberay-system
spec:
  template:
    spec:
      serviceAccountName: kuberay-operator
      containers:
        - name: kuberay-operator
          image: quay.io/kuberay/operator:v1.7.0
          args: [--watch-namespace=kuberay]
"""
CLUSTERROLE = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: kuberay-operator
rules:
  - apiGroups: [""]
    resources: [pods, services]
    verbs: [create, get]
  - apiGroups: [ray.io]
    resources: [rayclusters]
    verbs: [get]
"""
BINDING = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: {kind}
metadata:
  name: kuberay-operator
  {namespace}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: kuberay-operator
subjects:
  - kind: ServiceAccount
    name: kuberay-operator
    namespace: kuberay-system
"""
CRB = BINDING.format(kind="ClusterRoleBinding", namespace="")
RB = BINDING.format(kind="RoleBinding", namespace="namespace: kuberay")


def test_a_cluster_wide_binding_of_a_namespace_watching_operator_is_reported(
    run_check: Callable[..., CheckRun],
) -> None:
    tree = {"t/deploy.yaml": DEPLOYMENT, "t/role.yaml": CLUSTERROLE, "t/crb.yaml": CRB}
    result = run_check("rbac-operator-scope", tree)
    assert result.rows() == [
        ("rbac-operator-scope", "kuberay-operator", ".subjects[0]", "t/crb.yaml", 11)
    ]
    assert "pods, services in every namespace" in result.findings[0].message


def test_a_rolebinding_in_the_watched_namespace_passes(
    run_check: Callable[..., CheckRun],
) -> None:
    tree = {"t/deploy.yaml": DEPLOYMENT, "t/role.yaml": CLUSTERROLE, "t/rb.yaml": RB}
    assert run_check("rbac-operator-scope", tree).rows() == []


def test_an_operator_watching_every_namespace_is_not_judged(
    run_check: Callable[..., CheckRun],
) -> None:
    all_namespaces = DEPLOYMENT.replace("args: [--watch-namespace=kuberay]", "args: []")
    tree = {"t/deploy.yaml": all_namespaces, "t/role.yaml": CLUSTERROLE, "t/crb.yaml": CRB}
    assert run_check("rbac-operator-scope", tree).rows() == []


def test_a_cluster_role_without_secrets_pods_or_services_passes(
    run_check: Callable[..., CheckRun],
) -> None:
    narrow = CLUSTERROLE.replace("resources: [pods, services]", "resources: [events]")
    tree = {"t/deploy.yaml": DEPLOYMENT, "t/role.yaml": narrow, "t/crb.yaml": CRB}
    assert run_check("rbac-operator-scope", tree).rows() == []


def test_a_wildcard_grant_counts_and_other_subjects_do_not(
    run_check: Callable[..., CheckRun],
) -> None:
    wildcard = CLUSTERROLE.replace('apiGroups: [""]', 'apiGroups: ["*"]').replace(
        "resources: [pods, services]", 'resources: ["*"]'
    )
    other = CRB.replace(
        "    name: kuberay-operator\n    namespace", "    name: someone\n    namespace"
    )
    tree = {"t/deploy.yaml": DEPLOYMENT, "t/role.yaml": wildcard, "t/crb.yaml": other}
    assert run_check("rbac-operator-scope", tree).rows() == []
    tree["t/crb.yaml"] = CRB
    assert [r[2] for r in run_check("rbac-operator-scope", tree).rows()] == [".subjects[0]"]


def test_a_role_whose_rules_are_not_in_the_repository_counts_as_everything(
    run_check: Callable[..., CheckRun],
) -> None:
    admin = CRB.replace("  name: kuberay-operator\nsubjects", "  name: cluster-admin\nsubjects")
    result = run_check("rbac-operator-scope", {"t/deploy.yaml": DEPLOYMENT, "t/crb.yaml": admin})
    assert [r[2] for r in result.rows()] == [".subjects[0]"]
    assert "whatever ClusterRole cluster-admin grants" in result.findings[0].message


def test_a_group_holding_the_operator_account_counts(run_check: Callable[..., CheckRun]) -> None:
    group = CRB.replace(
        "  - kind: ServiceAccount\n    name: kuberay-operator\n    namespace: kuberay-system\n",
        "  - kind: Group\n    name: system:serviceaccounts:kuberay-system\n"
        "    apiGroup: rbac.authorization.k8s.io\n",
    )
    tree = {"t/deploy.yaml": DEPLOYMENT, "t/role.yaml": CLUSTERROLE, "t/crb.yaml": group}
    assert [r[2] for r in run_check("rbac-operator-scope", tree).rows()] == [".subjects[0]"]
    other = group.replace("system:serviceaccounts:kuberay-system", "system:serviceaccounts:web")
    tree["t/crb.yaml"] = other
    assert run_check("rbac-operator-scope", tree).rows() == []
