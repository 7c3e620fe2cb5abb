from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conftest import CheckRun

ROLE = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: {kind}
metadata:
  name: kuberay-operator
{namespace}rules:
  - apiGroups: [""]
    resources: [pods, services]
    verbs: [get, list, watch]
  - apiGroups: [{group}]
    resources: [{resource}]
    verbs: [{verbs}]
"""


def role(resource: str, verbs: str, group: str = '""', kind: str = "ClusterRole") -> dict[str, str]:
    namespace = "  namespace: kuberay\n" if kind == "Role" else ""
    text = ROLE.format(kind=kind, namespace=namespace, group=group, resource=resource, verbs=verbs)
    return {f"t/{kind.lower()}.yaml": text}


def test_reading_pods_and_writing_configmaps_passes(run_check: Callable[..., CheckRun]) -> None:
    files = role("configmaps", "get, list, create")
    assert run_check("rbac-sensitive-grant", files).rows() == []


def test_the_operator_may_read_secrets_by_default(run_check: Callable[..., CheckRun]) -> None:
    files = role("secrets", "create, get, list, watch")
    assert run_check("rbac-sensitive-grant", files).rows() == []


def test_creating_secrets_without_reading_them_passes(run_check: Callable[..., CheckRun]) -> None:
    files = role("secrets", "create, delete", kind="Role")
    assert run_check("rbac-sensitive-grant", files).rows() == []


def test_a_role_reading_secrets_is_an_error(run_check: Callable[..., CheckRun]) -> None:
    result = run_check("rbac-sensitive-grant", role("secrets", "get, list", kind="Role"))
    assert result.rows() == [
        (
            "rbac-sensitive-grant[secrets-read]",
            "kuberay-operator",
            ".rules[1].resources[0]",
            "t/role.yaml",
            11,
        )
    ]
    assert result.findings[0].message == (
        'rule 1 grants "secrets" (get, list): whoever holds Role "kuberay-operator" reads every '
        "Secret (tokens, passwords) in its scope"
    )


@pytest.mark.parametrize(
    ("resource", "verbs", "group", "variant", "field"),
    [
        ("pods/exec", "create, get", '""', "pods-exec", ".rules[1].resources[0]"),
        ("pods/attach", "create", '""', "pods-attach", ".rules[1].resources[0]"),
        ("nodes/proxy", "get", '""', "nodes-proxy", ".rules[1].resources[0]"),
        ("serviceaccounts/token", "create", '""', "serviceaccount-token", ".rules[1].resources[0]"),
        ("users, groups", "impersonate", '""', "impersonate", ".rules[1].verbs[0]"),
        (
            "clusterroles",
            "get, escalate",
            "rbac.authorization.k8s.io",
            "escalate",
            ".rules[1].verbs[1]",
        ),
        ("clusterroles", "bind", "rbac.authorization.k8s.io", "bind", ".rules[1].verbs[0]"),
    ],
    ids=["pods-exec", "pods-attach", "nodes-proxy", "token", "impersonate", "escalate", "bind"],
)
def test_an_escalation_path_in_a_cluster_role_is_an_error(
    run_check: Callable[..., CheckRun],
    resource: str,
    verbs: str,
    group: str,
    variant: str,
    field: str,
) -> None:
    line = 10 if field.startswith(".rules[1].resources") else 11
    assert run_check("rbac-sensitive-grant", role(resource, verbs, group)).rows() == [
        (f"rbac-sensitive-grant[{variant}]", "kuberay-operator", field, "t/clusterrole.yaml", line)
    ]


def test_the_allowed_option_replaces_the_default(run_check: Callable[..., CheckRun]) -> None:
    config = (
        "checks:\n  rbac-sensitive-grant:\n    options:\n      allowed:\n"
        '        - role: "Role/kuberay/*"\n          grants: [pods-exec]\n'
        "          reason: debugging in dev\n"
    )
    result = run_check("rbac-sensitive-grant", role("secrets", "watch"), config_extra=config)
    assert result.rows() == [
        (
            "rbac-sensitive-grant[secrets-read]",
            "kuberay-operator",
            ".rules[1].resources[0]",
            "t/clusterrole.yaml",
            10,
        )
    ]
