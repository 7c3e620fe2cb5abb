from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from tests.builders import Body, deployment, issues, netpol, raycluster, to_yaml
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


NODE_LOCAL = [{"ipBlock": {"cidr": "169.254.20.10/32"}}]
HEAD = "RayCluster/apps/rc head group headgroup"


def _peer_row(namespace: str = "kube-system", labels: str = "k8s-app=kube-dns") -> Any:
    return (
        f"{CHECK}[peer]",
        "NetworkPolicy/egress",
        ".spec.egress[0].to",
        f"{HEAD}: egress rule opens port 53 but its `to` does not reach kube-dns "
        f'({labels} in namespace "{namespace}")',
    )


def test_a_listed_dns_cidr_counts_as_kube_dns() -> None:
    pol = _egress(NODE_LOCAL, BOTH)
    assert issues(CHECK, raycluster(), pol) == [_peer_row()]
    for cidrs in (
        ["169.254.20.10/32"],
        ["169.254.20.10"],
        ["not-a-cidr", "169.254.20.10/32"],
        ["10.0.0.0/8", "169.254.20.10/32"],
    ):
        assert issues(CHECK, raycluster(), pol, options={"dns_cidrs": cidrs}) == [], cidrs


def test_a_listed_cidr_is_compared_as_a_network() -> None:
    pol = _egress([{"ipBlock": {"cidr": "10.0.0.0/24"}}], BOTH)
    assert issues(CHECK, raycluster(), pol, options={"dns_cidrs": ["10.0.0.7/24"]}) == []
    assert issues(CHECK, raycluster(), pol, options={"dns_cidrs": ["10.0.0.0/25"]}) == [_peer_row()]


def test_every_peer_of_the_rule_is_compared_with_the_listed_cidrs() -> None:
    peers = [
        {"podSelector": {"matchLabels": {"app": "x"}}},
        {"ipBlock": {"cidr": "bogus"}},
        {"ipBlock": {"cidr": "10.1.0.0/16"}},
        *NODE_LOCAL,
    ]
    options = {"dns_cidrs": ["169.254.20.10/32"]}
    assert issues(CHECK, raycluster(), _egress(peers, BOTH), options=options) == []


def test_an_unlisted_cidr_is_not_kube_dns() -> None:
    peers = [{"ipBlock": {"cidr": "bogus"}}, {"ipBlock": {"cidr": "10.1.0.0/16"}}]
    options = {"dns_cidrs": ["169.254.20.10/32"]}
    assert issues(CHECK, raycluster(), _egress(peers, BOTH), options=options) == [_peer_row()]


def test_udp_only_is_reported_at_the_ports() -> None:
    assert issues(CHECK, raycluster(), _egress(KUBE_DNS, [{"protocol": "UDP", "port": 53}])) == [
        (
            f"{CHECK}[protocol]",
            "NetworkPolicy/egress",
            ".spec.egress[0].ports",
            f"{HEAD}: egress to kube-dns allows UDP 53 but not TCP 53",
        )
    ]


def test_a_port_range_reaching_53_counts() -> None:
    ranges = [
        {"protocol": "UDP", "port": 50, "endPort": 53},
        {"protocol": "TCP", "port": 53, "endPort": 60},
    ]
    assert issues(CHECK, raycluster(), _egress(KUBE_DNS, ranges)) == []
    short = [{"protocol": "UDP", "port": 50, "endPort": 52}, {"protocol": "TCP", "port": 54}]
    assert issues(CHECK, raycluster(), _egress(KUBE_DNS, short)) == [
        (
            f"{CHECK}[missing]",
            "RayCluster/rc",
            ".spec.headGroupSpec.template",
            f'{HEAD}: egress is restricted by NetworkPolicy "egress" but no rule allows '
            "UDP 53 and TCP 53",
        ),
        (
            f"{CHECK}[missing]",
            "RayCluster/rc",
            ".spec.workerGroupSpecs[0].template",
            "RayCluster/apps/rc worker group cpu: egress is restricted by NetworkPolicy "
            '"egress" but no rule allows UDP 53 and TCP 53',
        ),
    ]


def test_protocols_from_several_rules_and_policies_add_up() -> None:
    https = {"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"port": 443}]}
    udp = {"to": KUBE_DNS, "ports": [{"protocol": "UDP", "port": 53}]}
    tcp = {"to": KUBE_DNS, "ports": [{"protocol": "TCP", "port": 53}]}
    first = netpol("a", types=["Egress"], egress=[https, udp])
    second = netpol("b", types=["Egress"], egress=[tcp])
    assert issues(CHECK, raycluster(), first, second) == []


def test_a_rule_without_to_reaches_kube_dns() -> None:
    pol = netpol("egress", types=["Egress"], egress=[{"ports": BOTH}])
    assert issues(CHECK, raycluster(), pol) == []


def test_the_first_rule_to_kube_dns_is_reported_over_other_peers() -> None:
    elsewhere = {"to": [{"ipBlock": {"cidr": "10.1.0.0/16"}}], "ports": BOTH}
    tcp_a = {"to": KUBE_DNS, "ports": [{"protocol": "TCP", "port": 53}]}
    tcp_b = {"to": KUBE_DNS, "ports": [{"port": 53}]}
    pol = netpol("egress", types=["Egress"], egress=[elsewhere, tcp_a, tcp_b])
    assert issues(CHECK, raycluster(), pol) == [
        (
            f"{CHECK}[protocol]",
            "NetworkPolicy/egress",
            ".spec.egress[1].ports",
            f"{HEAD}: egress to kube-dns allows TCP 53 but not UDP 53",
        )
    ]


def test_the_first_rule_elsewhere_is_reported_for_the_peer() -> None:
    a = {"to": [{"ipBlock": {"cidr": "10.1.0.0/16"}}], "ports": [{"protocol": "UDP", "port": 53}]}
    b = {"to": [{"ipBlock": {"cidr": "10.2.0.0/16"}}], "ports": BOTH}
    pol = netpol("egress", types=["Egress"], egress=[{"ports": [{"port": 443}]}, a, b])
    assert issues(CHECK, raycluster(), pol) == [
        (
            f"{CHECK}[peer]",
            "NetworkPolicy/egress",
            ".spec.egress[1].to",
            f"{HEAD}: egress rule opens port 53 but its `to` does not reach kube-dns "
            '(k8s-app=kube-dns in namespace "kube-system")',
        )
    ]


def test_the_missing_finding_names_every_restricting_policy() -> None:
    a = netpol("a", types=["Egress"])
    b = netpol("b", types=["Egress"])
    ingress_only = netpol("c", types=["Ingress"])
    assert issues(CHECK, raycluster(workers=[]), a, b, ingress_only) == [
        (
            f"{CHECK}[missing]",
            "RayCluster/rc",
            ".spec.headGroupSpec.template",
            f'{HEAD}: egress is restricted by NetworkPolicy "a", "b" but no rule allows '
            "UDP 53 and TCP 53",
        )
    ]


def test_kube_dns_labels_come_from_the_options() -> None:
    to = [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "dns"}},
            "podSelector": {"matchLabels": {"app": "coredns", "tier": "dns"}},
        }
    ]
    options = {
        "dns_namespace_labels": {"kubernetes.io/metadata.name": "dns"},
        "dns_pod_labels": {"tier": "dns", "app": "coredns"},
    }
    assert issues(CHECK, raycluster(), _egress(to, BOTH), options=options) == []
    other = {**options, "dns_pod_labels": {"tier": "dns", "app": "node-dns"}}
    assert issues(CHECK, raycluster(), _egress(to, BOTH), options=other) == [
        _peer_row("dns", "app=node-dns, tier=dns")
    ]


def test_the_namespace_of_kube_dns_defaults_to_kube_system() -> None:
    to = [{"namespaceSelector": {"matchLabels": {"team": "dns"}}}]
    options = {"dns_namespace_labels": {"team": "other"}}
    assert issues(CHECK, raycluster(), _egress(to, BOTH), options=options) == [_peer_row()]
    assert (
        issues(
            CHECK,
            raycluster(),
            _egress(to, BOTH),
            options={"dns_namespace_labels": {"team": "dns"}},
        )
        == []
    )


def test_a_rule_cidr_with_host_bits_is_compared_as_its_network() -> None:
    pol = _egress([{"ipBlock": {"cidr": "10.0.0.7/24"}}], BOTH)
    assert issues(CHECK, raycluster(), pol, options={"dns_cidrs": ["10.0.0.0/24"]}) == []


def test_every_pod_is_judged_after_an_unrestricted_or_a_passing_one() -> None:
    free = deployment("free", labels={"app": "free"})
    ok = deployment("ok", labels={"app": "ok"})
    bad = deployment("bad", labels={"app": "bad"})
    ok_pol = netpol(
        "ok", selector={"matchLabels": {"app": "ok"}}, types=["Egress"], egress=[{"ports": BOTH}]
    )
    bad_pol = netpol("bad", selector={"matchLabels": {"app": "bad"}}, types=["Egress"])
    assert issues(CHECK, free, ok, bad, ok_pol, bad_pol) == [
        (
            f"{CHECK}[missing]",
            "Deployment/bad",
            ".spec.template",
            'Deployment/apps/bad: egress is restricted by NetworkPolicy "bad" but no rule allows '
            "UDP 53 and TCP 53",
        )
    ]


def test_a_finding_already_made_does_not_end_the_walk() -> None:
    monitoring = {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}
    other = deployment("web", namespace="other")
    deny = netpol("deny", namespace="other", types=["Egress"])
    found = issues(
        CHECK, raycluster(), _egress([{"namespaceSelector": monitoring}], BOTH), other, deny
    )
    assert found == [
        _peer_row(),
        (
            f"{CHECK}[missing]",
            "Deployment/web",
            ".spec.template",
            'Deployment/other/web: egress is restricted by NetworkPolicy "deny" but no rule '
            "allows UDP 53 and TCP 53",
        ),
    ]


def test_a_pod_selector_alone_reaches_kube_dns_from_its_own_namespace() -> None:
    app = deployment("app", namespace="kube-system")
    to = [{"podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}]
    pol = netpol(
        "egress", namespace="kube-system", types=["Egress"], egress=[{"to": to, "ports": BOTH}]
    )
    assert issues(CHECK, app, pol) == []
