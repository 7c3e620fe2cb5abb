from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.builders import Body, binding, issues, service_account, to_yaml
from tests.conftest import CheckRun

CHECK = "rbac-broad-subject"


def _binding(
    subject: str, cluster_wide: bool = False, role: str = "view", subject_kind: str = "Group"
) -> Body:
    """ray-readers: `role` for the ray-head ServiceAccount and `subject`."""
    subjects = [
        service_account("ray-head", "kuberay"),
        {"kind": subject_kind, "apiGroup": "rbac.authorization.k8s.io", "name": subject},
    ]
    return binding(
        "ray-readers", "ClusterRole", role, subjects, None if cluster_wide else "kuberay"
    )


def test_named_service_account_and_team_group_pass() -> None:
    assert issues(CHECK, _binding("kuberay-developers")) == []


def test_cluster_admin_for_every_authenticated_user_is_an_error(
    run_check: Callable[..., CheckRun],
) -> None:
    admin = _binding("system:authenticated", cluster_wide=True, role="cluster-admin")
    result = run_check(CHECK, {"t/clusterrolebinding.yaml": to_yaml(admin)})
    assert result.rows() == [
        (CHECK, "ray-readers", ".subjects[1].name", "t/clusterrolebinding.yaml", 15)
    ]
    assert result.findings[0].message == (
        'ClusterRoleBinding grants ClusterRole "cluster-admin" cluster-wide to '
        '"system:authenticated": every authenticated user and ServiceAccount'
    )


@pytest.mark.parametrize(
    ("subject_kind", "subject", "who"),
    [
        ("Group", "system:unauthenticated", "every unauthenticated request"),
        ("User", "system:anonymous", "anonymous requests"),
        ("Group", "system:serviceaccounts", "every ServiceAccount of every namespace"),
        ("Group", "system:serviceaccounts:kuberay", 'every ServiceAccount of namespace "kuberay"'),
    ],
    ids=["unauthenticated", "anonymous", "every-service-account", "namespace-accounts"],
)
def test_a_role_bound_to_a_built_in_broad_subject_is_an_error(
    subject_kind: str, subject: str, who: str
) -> None:
    message = f'RoleBinding grants ClusterRole "view" in namespace "kuberay" to "{subject}": {who}'
    assert issues(CHECK, _binding(subject, subject_kind=subject_kind)) == [
        (CHECK, "RoleBinding/ray-readers", ".subjects[1].name", message)
    ]


def test_a_role_binding_without_namespace_grants_in_default() -> None:
    everyone = _binding("system:authenticated")
    del everyone["metadata"]["namespace"]
    assert issues(CHECK, everyone) == [
        (
            CHECK,
            "RoleBinding/ray-readers",
            ".subjects[1].name",
            'RoleBinding grants ClusterRole "view" in namespace "default" to '
            '"system:authenticated": every authenticated user and ServiceAccount',
        )
    ]


def test_a_binding_without_role_ref_is_still_reported() -> None:
    everyone = _binding("system:serviceaccounts")
    del everyone["roleRef"]
    assert issues(CHECK, everyone) == [
        (
            CHECK,
            "RoleBinding/ray-readers",
            ".subjects[1].name",
            'RoleBinding grants role "" in namespace "kuberay" to "system:serviceaccounts": '
            "every ServiceAccount of every namespace",
        )
    ]


def test_subjects_without_a_string_name_and_the_bare_prefix_are_not_broad() -> None:
    odd = _binding("system:serviceaccounts:")
    odd["subjects"] += [{"kind": "Group"}, {"kind": "Group", "name": 5}, "system:authenticated"]
    assert issues(CHECK, odd) == []
