from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from tests.builders import Body, issues, netpol, raycluster, to_yaml
from tests.conftest import CheckRun

CHECK = "netpol-dns-egress"
KUBE_DNS = [
    {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
        "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
    }
]
BOTH = [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]


def _egress(to: Sequence[Mapping[str, Any]], ports: Sequence[Mapping[str, Any]]) -> Body:
    """A NetworkPolicy restricting the egress of every pod to one rule."""
    return netpol("egress", types=["Egress"], egress=[{"to": list(to), "ports": list(ports)}])


def test_dns_to_kube_dns_on_udp_and_tcp_passes() -> None:
    named = [{"protocol": "UDP", "port": "dns"}, {"port": "dns-tcp"}]
    assert issues(CHECK, raycluster(), _egress(KUBE_DNS, BOTH)) == []
    assert issues(CHECK, raycluster(), _egress(KUBE_DNS, named)) == []


def test_pods_without_egress_restriction_need_nothing() -> None:
    assert issues(CHECK, raycluster()) == []


def test_port_53_without_protocol_is_tcp_only(run_check: Callable[..., CheckRun]) -> None:
    tree = {
        "t/raycluster.yaml": to_yaml(raycluster()),
        "t/networkpolicy.yaml": to_yaml(_egress(KUBE_DNS, [{"port": 53}])),
    }
    result = run_check(CHECK, tree)
    assert result.rows() == [
        (f"{CHECK}[protocol]", "egress", ".spec.egress[0].ports", "t/networkpolicy.yaml", 18)
    ]
    assert result.findings[0].message == (
        "RayCluster/apps/rc head group headgroup: egress to kube-dns allows TCP 53 but not UDP 53"
    )


def test_port_53_towards_another_namespace_is_a_finding() -> None:
    monitoring = {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}
    assert issues(CHECK, raycluster(), _egress([{"namespaceSelector": monitoring}], BOTH)) == [
        (
            f"{CHECK}[peer]",
            "NetworkPolicy/egress",
            ".spec.egress[0].to",
            "RayCluster/apps/rc head group headgroup: egress rule opens port 53 but its `to` "
            'does not reach kube-dns (k8s-app=kube-dns in namespace "kube-system")',
        )
    ]


def test_no_dns_rule_is_reported_at_each_pod_template(run_check: Callable[..., CheckRun]) -> None:
    https = _egress([{"ipBlock": {"cidr": "0.0.0.0/0"}}], [{"port": 443}])
    tree = {"t/raycluster.yaml": to_yaml(raycluster()), "t/networkpolicy.yaml": to_yaml(https)}
    assert run_check(CHECK, tree).rows() == [
        (f"{CHECK}[missing]", "rc", ".spec.headGroupSpec.template", "t/raycluster.yaml", 9),
        (f"{CHECK}[missing]", "rc", ".spec.workerGroupSpecs[0].template", "t/raycluster.yaml", 19),
    ]
