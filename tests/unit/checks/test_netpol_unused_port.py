from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from kuberay_gitops.findings import Severity
from tests.builders import (
    Body,
    Ports,
    container,
    deployment,
    head_group,
    issues,
    netpol,
    raycluster,
    to_yaml,
)
from tests.conftest import CheckRun

CHECK = "netpol-unused-port"
RAYCLUSTER = raycluster(
    head=head_group(ports=[(8081, "metrics")], params={"dashboard-port": "8266"}),
    workerGroupSpecs=[],
)


def _policy(*ports: Mapping[str, Any]) -> Body:
    return netpol(
        "head-ingress",
        selector={"matchLabels": {"ray.io/node-type": "head"}},
        types=["Ingress"],
        ingress=[{"ports": list(ports)}],
    )


def test_ports_the_head_exposes_or_listens_on_pass() -> None:
    # named container port, rayStartParams port, KubeRay default client port, a range
    policy = _policy(
        {"port": "metrics"}, {"port": 8266}, {"port": 10001}, {"port": 8000, "endPort": 8100}
    )
    assert issues(CHECK, RAYCLUSTER, policy) == []


def test_ingress_port_no_selected_pod_exposes_is_a_warning(
    run_check: Callable[..., CheckRun],
) -> None:
    policy = _policy({"port": "metrcs"}, {"port": 9999}, {"protocol": "UDP", "port": 8081})
    tree = {"t/raycluster.yaml": to_yaml(RAYCLUSTER), "t/networkpolicy.yaml": to_yaml(policy)}
    result = run_check(CHECK, tree)
    assert result.rows() == [
        (CHECK, "head-ingress", ".spec.ingress[0].ports[0].port", "t/networkpolicy.yaml", 14),
        (CHECK, "head-ingress", ".spec.ingress[0].ports[1].port", "t/networkpolicy.yaml", 15),
        (CHECK, "head-ingress", ".spec.ingress[0].ports[2].port", "t/networkpolicy.yaml", 17),
    ]
    assert {f.severity for f in result.findings} == {Severity.WARNING}
    assert result.findings[0].message == (
        'ingress port "metrcs"/TCP is not exposed by any of the 1 pod template(s) the policy '
        'selects; their TCP container ports: "metrics"'
    )


WEB_PORTS: Ports = [8443, 8080, {"containerPort": 53, "name": "dns", "protocol": "UDP"}]


def _web(name: str = "web") -> Body:
    """A Deployment listening on TCP 8443 and 8080 (unnamed) and UDP 53 named dns."""
    return deployment(name, labels={"app": "web"}, containers=[container("web", WEB_PORTS)])


def _web_policy(*rules: Mapping[str, Any], name: str = "web") -> Body:
    return netpol(
        name, selector={"matchLabels": {"app": "web"}}, types=["Ingress"], ingress=list(rules)
    )


def _unused(shown: str, listed: str, at: str = "[0].ports[0]", pods: int = 1) -> Any:
    proto = shown.rsplit("/", 1)[1]
    return (
        CHECK,
        "NetworkPolicy/web",
        f".spec.ingress{at}.port",
        f"ingress port {shown} is not exposed by any of the {pods} pod template(s) the policy "
        f"selects; their {proto} container ports: {listed}",
    )


def test_an_unexposed_number_lists_the_container_ports_of_its_protocol_in_order() -> None:
    policy = _web_policy({"ports": [{"port": 9999}]})
    assert issues(CHECK, _web(), policy) == [_unused("9999/TCP", "8080, 8443")]


def test_an_unexposed_name_lists_only_named_ports_of_its_protocol() -> None:
    policy = _web_policy({"ports": [{"port": "https"}]})
    assert issues(CHECK, _web(), policy) == [_unused('"https"/TCP', "none")]


def test_a_name_of_another_protocol_does_not_count() -> None:
    policy = _web_policy({"ports": [{"port": "dns"}, {"port": "dns", "protocol": "UDP"}]})
    assert issues(CHECK, _web(), policy) == [_unused('"dns"/TCP', "none")]


def test_an_unexposed_range_is_shown_as_a_range() -> None:
    policy = _web_policy({"ports": [{"port": 9000, "endPort": 9010}]})
    assert issues(CHECK, _web(), policy) == [_unused("9000-9010/TCP", "8080, 8443")]


def test_an_end_port_equal_to_or_below_the_port_is_the_port_alone() -> None:
    policy = _web_policy(
        {"ports": [{"port": 9000, "endPort": 9000}, {"port": 9001, "endPort": 80}]}
    )
    assert issues(CHECK, _web(), policy) == [
        _unused("9000/TCP", "8080, 8443"),
        _unused("9001/TCP", "8080, 8443", at="[0].ports[1]"),
    ]


def test_a_range_overlapping_a_container_port_passes() -> None:
    policy = _web_policy(
        {"ports": [{"port": 8000, "endPort": 8080}, {"port": 50, "protocol": "UDP"}]}
    )
    assert issues(CHECK, _web(), policy) == [_unused("50/UDP", "53", at="[0].ports[1]")]


def test_every_entry_and_rule_is_checked_after_a_passing_or_skipped_one() -> None:
    policy = _web_policy(
        {"ports": ["8080", {"protocol": "TCP"}, {"port": 8080}, {"port": 9999}]},
        {"ports": [{"port": "http"}]},
    )
    assert issues(CHECK, _web(), policy) == [
        _unused("9999/TCP", "8080, 8443", at="[0].ports[3]"),
        _unused('"http"/TCP', "none", at="[1].ports[0]"),
    ]


def test_the_ports_of_every_selected_pod_count() -> None:
    other = deployment("other", labels={"app": "web"}, containers=[container("x", [(9999, "x")])])
    policy = _web_policy({"ports": [{"port": 9999}, {"port": "x"}, {"port": 7000}]})
    assert issues(CHECK, _web(), other, policy) == [
        _unused("7000/TCP", "8080, 8443, 9999", at="[0].ports[2]", pods=2)
    ]


def test_a_policy_after_one_selecting_nothing_is_checked() -> None:
    nothing = netpol(
        "nothing",
        selector={"matchLabels": {"app": "none"}},
        types=["Ingress"],
        ingress=[{"ports": [{"port": 1}]}],
    )
    policy = _web_policy({"ports": [{"port": 9999}]})
    assert issues(CHECK, nothing, _web(), policy) == [_unused("9999/TCP", "8080, 8443")]


def test_ports_that_are_not_a_list_are_skipped() -> None:
    """`ports: 8080` (a number where the API wants a list) is the schema's business."""
    policy = _web_policy({"ports": 8080}, {"ports": [{"port": 9999}]})
    assert issues(CHECK, _web(), policy) == [_unused("9999/TCP", "8080, 8443", at="[1].ports[0]")]
