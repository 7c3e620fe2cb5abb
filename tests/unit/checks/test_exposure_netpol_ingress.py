from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from tests.builders import Body, head_group, issues, netpol, raycluster, to_yaml, worker_group
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


def _dashboard_from(peer: Mapping[str, Any]) -> dict[str, Any]:
    return _rule([peer], {"port": "dashboard"})


def test_an_any_address_block_with_host_bits_is_any_source() -> None:
    block = {"ipBlock": {"cidr": "10.1.2.3/0"}}
    assert issues(CHECK, RAYCLUSTER, _policy(_dashboard_from(block))) == [
        (
            CHECK,
            "NetworkPolicy/ray-head-ingress",
            ".spec.ingress[0].from[0].ipBlock.cidr",
            f"ingress rule 0 allows ipBlock 10.1.2.3/0 to the dashboard port 8265 of {HEAD}",
        )
    ]


def test_narrow_and_unparsable_blocks_pass() -> None:
    narrow = _dashboard_from({"ipBlock": {"cidr": "10.0.0.0/8"}})
    garbage = _dashboard_from({"ipBlock": {"cidr": "anywhere"}})
    assert issues(CHECK, RAYCLUSTER, _policy(narrow, garbage)) == []


def _open_policy(name: str = "open", **overrides: Any) -> Body:
    """Every source to every port of the head, `overrides` as netpol arguments."""
    args: dict[str, Any] = {
        "selector": {"matchLabels": {"ray.io/node-type": "head"}},
        "types": ["Ingress"],
        "ingress": [{"ports": [{"port": 10002}]}],
        **overrides,
    }
    return netpol(name, **args)


CLIENT_OPEN = "ingress rule 0 allows any source (no from) to the Ray client port 10002 of"


def test_policy_types_unset_means_ingress() -> None:
    assert issues(CHECK, RAYCLUSTER, _open_policy(types=None)) == [
        (CHECK, "NetworkPolicy/open", ".spec.ingress[0]", f"{CLIENT_OPEN} {HEAD}")
    ]


def test_policy_types_unset_with_egress_rules_still_means_ingress() -> None:
    policy = _open_policy(types=None, egress=[{"to": [{"podSelector": {}}]}])
    assert issues(CHECK, RAYCLUSTER, policy) == [
        (CHECK, "NetworkPolicy/open", ".spec.ingress[0]", f"{CLIENT_OPEN} {HEAD}")
    ]


def test_an_egress_only_policy_is_skipped_and_the_next_one_read() -> None:
    egress_only = _open_policy("egress-only", types=["Egress"])
    assert issues(CHECK, RAYCLUSTER, egress_only, _open_policy()) == [
        (CHECK, "NetworkPolicy/open", ".spec.ingress[0]", f"{CLIENT_OPEN} {HEAD}")
    ]


def test_a_policy_selecting_no_ray_pod_is_skipped_and_the_next_one_read() -> None:
    web = _open_policy("web", selector={"matchLabels": {"app": "web"}})
    assert issues(CHECK, RAYCLUSTER, web, _open_policy()) == [
        (CHECK, "NetworkPolicy/open", ".spec.ingress[0]", f"{CLIENT_OPEN} {HEAD}")
    ]


def test_a_policy_of_another_namespace_passes() -> None:
    assert issues(CHECK, RAYCLUSTER, _open_policy(namespace="other")) == []


def test_only_the_ray_pods_the_policy_selects_are_reported() -> None:
    cluster = raycluster(workers=[worker_group()], authOptions={"mode": "token"})
    workers = _open_policy(selector={"matchLabels": {"ray.io/node-type": "worker"}}, ingress=[{}])
    assert issues(CHECK, cluster, workers) == [
        (
            CHECK,
            "NetworkPolicy/open",
            ".spec.ingress[0]",
            "ingress rule 0 allows any source (no from) to the Serve port 8000 of RayCluster "
            "apps/rc worker group cpu",
        )
    ]


def test_objects_without_a_namespace_are_in_default() -> None:
    cluster, policy = dict(RAYCLUSTER), _open_policy()
    cluster["metadata"] = {"name": "rc"}
    policy["metadata"] = {"name": "open"}
    assert issues(CHECK, cluster, policy) == [
        (
            CHECK,
            "NetworkPolicy/open",
            ".spec.ingress[0]",
            f"{CLIENT_OPEN} RayCluster default/rc head group headgroup",
        )
    ]


def test_a_udp_entry_covers_no_ray_port_and_later_entries_still_count() -> None:
    rule = {"ports": [{"protocol": "UDP", "port": 8265}, {"port": 10002}]}
    assert issues(CHECK, RAYCLUSTER, _open_policy(ingress=[rule])) == [
        (CHECK, "NetworkPolicy/open", ".spec.ingress[0]", f"{CLIENT_OPEN} {HEAD}")
    ]


def test_a_tcp_entry_without_a_port_covers_every_ray_port() -> None:
    rule = {"ports": [{"protocol": "TCP"}]}
    assert issues(CHECK, RAYCLUSTER, _open_policy(ingress=[rule])) == [
        (
            CHECK,
            "NetworkPolicy/open",
            ".spec.ingress[0]",
            "ingress rule 0 allows any source (no from) to the GCS port 6379, Serve port 8000, "
            f"dashboard port 8265, Ray client port 10002 of {HEAD}",
        )
    ]


def test_an_empty_from_list_is_reported_at_the_from_field() -> None:
    rule = {"from": [], "ports": [{"port": 10002}]}
    assert issues(CHECK, RAYCLUSTER, _open_policy(ingress=[rule])) == [
        (CHECK, "NetworkPolicy/open", ".spec.ingress[0].from", f"{CLIENT_OPEN} {HEAD}")
    ]


def test_labelled_pods_of_every_namespace_on_a_ray_port_are_an_error() -> None:
    peer = {"namespaceSelector": {}, "podSelector": {"matchLabels": {"app": "client"}}}
    assert issues(CHECK, RAYCLUSTER, _policy(_dashboard_from(peer))) == [
        (
            f"{CHECK}[all-namespaces]",
            "NetworkPolicy/ray-head-ingress",
            ".spec.ingress[0].from[0].namespaceSelector",
            "ingress rule 0 allows pods with those labels in every namespace (namespaceSelector: "
            f"{{}}) to the dashboard port 8265 of {HEAD}",
        )
    ]
