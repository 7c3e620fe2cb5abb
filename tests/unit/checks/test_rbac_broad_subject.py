from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conftest import CheckRun

BINDING = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: {kind}
metadata:
  name: ray-readers
{namespace}roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: {role}
subjects:
  - kind: ServiceAccount
    name: ray-head
    namespace: kuberay
  - kind: {subject_kind}
    apiGroup: rbac.authorization.k8s.io
    name: {subject}
"""
IN_KUBERAY = "  namespace: kuberay\n"


def binding(
    subject: str,
    kind: str = "RoleBinding",
    role: str = "view",
    subject_kind: str = "Group",
) -> dict[str, str]:
    namespace = IN_KUBERAY if kind == "RoleBinding" else ""
    text = BINDING.format(
        kind=kind, namespace=namespace, role=role, subject=subject, subject_kind=subject_kind
    )
    return {f"t/{kind.lower()}.yaml": text}


def test_named_service_account_and_team_group_pass(run_check: Callable[..., CheckRun]) -> None:
    assert run_check("rbac-broad-subject", binding("kuberay-developers")).rows() == []


def test_cluster_admin_for_every_authenticated_user_is_an_error(
    run_check: Callable[..., CheckRun],
) -> None:
    files = binding("system:authenticated", kind="ClusterRoleBinding", role="cluster-admin")
    result = run_check("rbac-broad-subject", files)
    assert result.rows() == [
        (
            "rbac-broad-subject",
            "ray-readers",
            ".subjects[1].name",
            "t/clusterrolebinding.yaml",
            15,
        )
    ]
    assert result.findings[0].message == (
        'ClusterRoleBinding grants ClusterRole "cluster-admin" cluster-wide to '
        '"system:authenticated": every authenticated user and ServiceAccount'
    )


@pytest.mark.parametrize(
    ("subject_kind", "subject"),
    [
        ("Group", "system:unauthenticated"),
        ("User", "system:anonymous"),
        ("Group", "system:serviceaccounts"),
        ("Group", "system:serviceaccounts:kuberay"),
    ],
    ids=["unauthenticated", "anonymous", "every-service-account", "namespace-accounts"],
)
def test_a_role_bound_to_a_built_in_broad_subject_is_an_error(
    run_check: Callable[..., CheckRun], subject_kind: str, subject: str
) -> None:
    files = binding(subject, subject_kind=subject_kind)
    assert run_check("rbac-broad-subject", files).rows() == [
        ("rbac-broad-subject", "ray-readers", ".subjects[1].name", "t/rolebinding.yaml", 16)
    ]
