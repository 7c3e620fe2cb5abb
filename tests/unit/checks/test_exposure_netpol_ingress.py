from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from tests.builders import Body, head_group, issues, netpol, raycluster, to_yaml
from tests.conftest import CheckRun

CHECK = "exposure-netpol-ingress"
RAYCLUSTER = raycluster(
    head=head_group(ports=[(8265, "dashboard")], params={"ray-client-server-port": "10002"}),
    workers=[],
    authOptions={"mode": "token"},
)
HEAD = "RayCluster apps/rc head group headgroup"


def _policy(*rules: Mapping[str, Any]) -> Body:
    return netpol(
        "ray-head-ingress",
        selector={"matchLabels": {"ray.io/node-type": "head"}},
        types=["Ingress"],
        ingress=rules,
    )


def _rule(peers: Sequence[Mapping[str, Any]], *ports: Mapping[str, Any]) -> dict[str, Any]:
    return {"from": list(peers), "ports": list(ports)}


def test_rules_limited_by_source_or_to_other_ports_pass() -> None:
    clients = {"namespaceSelector": {"matchLabels": {"kuberay.io/ray-client": "true"}}}
    from_clients = _rule([clients], {"port": 10002}, {"port": "dashboard"})
    any_to_metrics = {"ports": [{"port": 8080}]}
    assert issues(CHECK, RAYCLUSTER, _policy(from_clients, any_to_metrics)) == []


def test_any_address_block_and_missing_from_are_errors(
    run_check: Callable[..., CheckRun],
) -> None:
    world = {"ipBlock": {"cidr": "0.0.0.0/0", "except": ["169.254.169.254/32"]}}
    open_to_world = _policy(
        _rule([world], {"port": "dashboard"}), {"ports": [{"port": 10000, "endPort": 10010}]}
    )
    tree = {
        "t/raycluster.yaml": to_yaml(RAYCLUSTER),
        "t/networkpolicy.yaml": to_yaml(open_to_world),
    }
    result = run_check(CHECK, tree)
    assert result.rows() == [
        (
            CHECK,
            "ray-head-ingress",
            ".spec.ingress[0].from[0].ipBlock.cidr",
            "t/networkpolicy.yaml",
            15,
        ),
        (CHECK, "ray-head-ingress", ".spec.ingress[1]", "t/networkpolicy.yaml", 20),
    ]
    assert [f.message for f in result.findings] == [
        f"ingress rule 0 allows ipBlock 0.0.0.0/0 to the dashboard port 8265 of {HEAD}",
        f"ingress rule 1 allows any source (no from) to the Ray client port 10002 of {HEAD}",
    ]


def test_allow_all_policy_on_every_port_is_an_error_even_with_token_auth() -> None:
    assert issues(CHECK, RAYCLUSTER, _policy({})) == [
        (
            CHECK,
            "NetworkPolicy/ray-head-ingress",
            ".spec.ingress[0]",
            "ingress rule 0 allows any source (no from) to the GCS port 6379, Serve port 8000, "
            f"dashboard port 8265, Ray client port 10002 of {HEAD}",
        )
    ]


def test_every_namespace_to_a_ray_port_is_an_error() -> None:
    prometheus = {"matchLabels": {"app.kubernetes.io/name": "prometheus"}}
    policy = _policy(
        _rule([{"namespaceSelector": {}}], {"port": 10002}),
        _rule([{"namespaceSelector": {}, "podSelector": prometheus}], {"port": 8080}),
    )
    assert issues(CHECK, RAYCLUSTER, policy) == [
        (
            f"{CHECK}[all-namespaces]",
            "NetworkPolicy/ray-head-ingress",
            ".spec.ingress[0].from[0].namespaceSelector",
            "ingress rule 0 allows every pod of every namespace (namespaceSelector: {}) to the Ray "
            f"client port 10002 of {HEAD}",
        )
    ]
