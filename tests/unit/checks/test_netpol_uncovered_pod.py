from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.builders import Body, issues, netpol, raycluster, to_yaml
from tests.conftest import CheckRun

CHECK = "netpol-uncovered-pod"
RAY_NODES = {"matchLabels": {"ray.io/is-ray-node": "yes"}}

DEFAULT_DENY = netpol("default-deny")
INTRA_CLUSTER = netpol(
    "intra-cluster",
    selector=RAY_NODES,
    ingress=[{"from": [{"podSelector": RAY_NODES}]}],
    egress=[{"to": [{"podSelector": RAY_NODES}]}],
)
HEAD_INGRESS = netpol(
    "head-ingress",
    selector={"matchLabels": {"ray.io/node-type": "head"}},
    types=None,
    ingress=[{"ports": [{"port": 10001}]}],
)
DNS_ONLY = netpol(
    "egress-dns",
    types=["Egress"],
    egress=[{"ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]}],
)


def test_ray_pods_selected_by_an_allow_policy_pass() -> None:
    assert issues(CHECK, raycluster(), DEFAULT_DENY, INTRA_CLUSTER) == []


def test_without_default_deny_nothing_is_required() -> None:
    assert issues(CHECK, raycluster(), HEAD_INGRESS) == []


def test_ray_group_no_allow_policy_selects_is_cut_off(run_check: Callable[..., CheckRun]) -> None:
    result = run_check(
        CHECK,
        {
            "t/raycluster.yaml": to_yaml(raycluster()),
            "t/networkpolicy-default-deny.yaml": to_yaml(DEFAULT_DENY),
            "t/networkpolicy-head-ingress.yaml": to_yaml(HEAD_INGRESS),
            "t/networkpolicy-egress-dns.yaml": to_yaml(DNS_ONLY),
        },
    )
    # ingress: the head is covered, the workers are not; egress: DNS-only does not count
    assert result.rows() == [
        (f"{CHECK}[egress]", "rc", ".spec.headGroupSpec", "t/raycluster.yaml", 7),
        (f"{CHECK}[egress]", "rc", ".spec.workerGroupSpecs[0]", "t/raycluster.yaml", 15),
        (f"{CHECK}[ingress]", "rc", ".spec.workerGroupSpecs[0]", "t/raycluster.yaml", 15),
    ]
    assert result.findings[2].message == (
        "RayCluster/apps/rc worker group cpu: ingress is denied by default-deny "
        'NetworkPolicy "default-deny" and no other NetworkPolicy selecting it allows ingress'
    )


def _egress(*ports: Any) -> Body:
    """An egress allow-policy for every pod with one rule opening `ports`."""
    return netpol("egress", types=["Egress"], egress=[{"ports": list(ports)}])


def _cut_off(group: str, field: str, direction: str = "egress") -> tuple[str, str, str, str]:
    return (
        f"{CHECK}[{direction}]",
        "RayCluster/rc",
        field,
        f"RayCluster/apps/rc {group}: {direction} is denied by default-deny NetworkPolicy "
        f'"default-deny" and no other NetworkPolicy selecting it allows {direction}',
    )


HEAD_CUT_OFF = _cut_off("head group headgroup", ".spec.headGroupSpec")
EGRESS_DENY = netpol("default-deny", types=["Egress"])


def test_an_egress_rule_opening_more_than_dns_counts() -> None:
    cluster = raycluster(workers=[])
    assert issues(CHECK, cluster, EGRESS_DENY, _egress({"port": 53}, {"port": 443})) == []
    assert issues(CHECK, cluster, EGRESS_DENY, _egress({"port": 53, "endPort": 60})) == []


def test_an_egress_rule_with_an_empty_port_list_opens_every_port() -> None:
    rule = netpol("egress", types=["Egress"], egress=[{"ports": []}])
    assert issues(CHECK, raycluster(workers=[]), EGRESS_DENY, rule) == []


def test_named_dns_ports_are_dns_only() -> None:
    named = _egress({"protocol": "UDP", "port": "dns"}, {"port": "dns-tcp"})
    assert issues(CHECK, raycluster(workers=[]), EGRESS_DENY, named) == [HEAD_CUT_OFF]


def test_a_port_entry_that_cannot_be_read_is_not_taken_for_dns() -> None:
    assert issues(CHECK, raycluster(workers=[]), EGRESS_DENY, _egress({"port": 53}, 53)) == []


def test_a_pod_in_a_namespace_without_default_deny_does_not_end_the_walk() -> None:
    free = raycluster("free", namespace="other", workers=[])
    assert issues(CHECK, free, raycluster(workers=[]), EGRESS_DENY) == [HEAD_CUT_OFF]
