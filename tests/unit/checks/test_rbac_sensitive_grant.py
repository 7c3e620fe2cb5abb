from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.builders import Body, issues, role, to_yaml
from tests.conftest import CheckRun

CHECK = "rbac-sensitive-grant"


def _role(resources: list[str], verbs: list[str], group: str = "", cluster: bool = True) -> Body:
    """kuberay-operator: read pods and services, and `verbs` on `resources` of `group`."""
    rules = [
        {"apiGroups": [""], "resources": ["pods", "services"], "verbs": ["get", "list", "watch"]},
        {"apiGroups": [group], "resources": resources, "verbs": verbs},
    ]
    return role("kuberay-operator", rules, namespace=None if cluster else "kuberay")


def test_reading_pods_and_writing_configmaps_passes() -> None:
    assert issues(CHECK, _role(["configmaps"], ["get", "list", "create"])) == []


def test_the_operator_may_read_secrets_by_default() -> None:
    assert issues(CHECK, _role(["secrets"], ["create", "get", "list", "watch"])) == []


def test_creating_secrets_without_reading_them_passes() -> None:
    assert issues(CHECK, _role(["secrets"], ["create", "delete"], cluster=False)) == []


def test_a_role_reading_secrets_is_an_error(run_check: Callable[..., CheckRun]) -> None:
    reader = _role(["secrets"], ["get", "list"], cluster=False)
    result = run_check(CHECK, {"t/role.yaml": to_yaml(reader)})
    assert result.rows() == [
        (f"{CHECK}[secrets-read]", "kuberay-operator", ".rules[1].resources[0]", "t/role.yaml", 19)
    ]
    assert result.findings[0].message == (
        'rule 1 grants "secrets" (get, list): whoever holds Role "kuberay-operator" reads every '
        "Secret (tokens, passwords) in its scope"
    )


RBAC = "rbac.authorization.k8s.io"


@pytest.mark.parametrize(
    ("resources", "verbs", "group", "variant", "field", "grants"),
    [
        (
            ["pods/exec"],
            ["create", "get"],
            "",
            "pods-exec",
            ".rules[1].resources[0]",
            '"pods/exec": {who} runs commands in any pod in its scope',
        ),
        (
            ["pods/attach"],
            ["create"],
            "",
            "pods-attach",
            ".rules[1].resources[0]",
            '"pods/attach": {who} attaches to any running container in its scope',
        ),
        (
            ["nodes/proxy"],
            ["get"],
            "",
            "nodes-proxy",
            ".rules[1].resources[0]",
            '"nodes/proxy": {who} reaches the kubelet API of every node',
        ),
        (
            ["serviceaccounts/token"],
            ["create"],
            "",
            "serviceaccount-token",
            ".rules[1].resources[0]",
            '"serviceaccounts/token" (create): {who} mints tokens for any ServiceAccount in its '
            "scope",
        ),
        (
            ["users", "groups"],
            ["impersonate"],
            "",
            "impersonate",
            ".rules[1].verbs[0]",
            '"impersonate": {who} acts as any user, group or ServiceAccount',
        ),
        (
            ["clusterroles"],
            ["get", "escalate"],
            RBAC,
            "escalate",
            ".rules[1].verbs[1]",
            '"escalate": {who} writes roles with rights it does not hold',
        ),
        (
            ["clusterroles"],
            ["bind"],
            RBAC,
            "bind",
            ".rules[1].verbs[0]",
            '"bind": {who} binds roles with rights it does not hold',
        ),
    ],
    ids=["pods-exec", "pods-attach", "nodes-proxy", "token", "impersonate", "escalate", "bind"],
)
def test_an_escalation_path_in_a_cluster_role_is_an_error(
    resources: list[str], verbs: list[str], group: str, variant: str, field: str, grants: str
) -> None:
    message = "rule 1 grants " + grants.format(who='whoever holds ClusterRole "kuberay-operator"')
    assert issues(CHECK, _role(resources, verbs, group)) == [
        (f"{CHECK}[{variant}]", "ClusterRole/kuberay-operator", field, message)
    ]


def test_the_allowed_option_replaces_the_default() -> None:
    allowed = [{"role": "Role/kuberay/*", "grants": ["pods-exec"], "reason": "debugging in dev"}]
    assert issues(CHECK, _role(["secrets"], ["watch"]), options={"allowed": allowed}) == [
        (
            f"{CHECK}[secrets-read]",
            "ClusterRole/kuberay-operator",
            ".rules[1].resources[0]",
            'rule 1 grants "secrets" (watch): whoever holds ClusterRole "kuberay-operator" reads '
            "every Secret (tokens, passwords) in its scope",
        )
    ]
