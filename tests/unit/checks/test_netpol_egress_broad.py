from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.builders import Body, container, deployment, issues, netpol, raycluster, to_yaml
from tests.conftest import CheckRun

CHECK = "netpol-egress-broad"
RAYCLUSTER = raycluster(workers=[])
HEAD = {"matchLabels": {"ray.io/node-type": "head"}}
RAY_HEAD = "RayCluster/apps/rc head group headgroup"


def _policy(name: str, cidr: str, selector: dict[str, Any] = HEAD, **block: Any) -> Body:
    """Egress of the Ray head to `cidr` (an ipBlock with `block` keys) on 443."""
    to = [{"ipBlock": {"cidr": cidr, **block}}]
    return netpol(
        name, selector=selector, types=["Egress"], egress=[{"to": to, "ports": [{"port": 443}]}]
    )


def _internet(name: str, reach: str, field: str = ".spec.egress[0].to") -> tuple[str, ...]:
    message = (
        f"{RAY_HEAD} may reach {reach}: with its other egress rules that is the whole Internet"
    )
    return (f"{CHECK}[internet]", f"NetworkPolicy/{name}", field, message)


def _metadata(name: str) -> tuple[str, ...]:
    message = f"{RAY_HEAD} may reach the cloud metadata address (node credentials)"
    return (f"{CHECK}[metadata]", f"NetworkPolicy/{name}", ".spec.egress[0].to", message)


def test_the_api_server_endpoint_passes() -> None:
    assert issues(CHECK, RAYCLUSTER, _policy("api", "10.0.0.10/32")) == []


def test_the_whole_internet_is_reported_at_the_rule(run_check: Callable[..., CheckRun]) -> None:
    files = {"t/rc.yaml": to_yaml(RAYCLUSTER), "t/np.yaml": to_yaml(_policy("api", "0.0.0.0/0"))}
    assert run_check(CHECK, files).rows() == [
        (f"{CHECK}[internet]", "api", ".spec.egress[0].to", "t/np.yaml", 13)
    ]


def test_a_range_split_over_two_policies_is_the_whole() -> None:
    halves = (_policy("low", "0.0.0.0/1"), _policy("high", "128.0.0.0/1"))
    assert issues(CHECK, RAYCLUSTER, *halves) == [
        _internet("low", "0.0.0.0/1"),
        _internet("high", "128.0.0.0/1"),
    ]
    assert issues(CHECK, RAYCLUSTER, _policy("low", "10.0.0.0/8")) == []


def test_ipv6_everything_and_an_except_that_keeps_the_internet() -> None:
    assert issues(CHECK, RAYCLUSTER, _policy("v6", "::/0")) == [_internet("v6", "::/0")]
    carved = _policy("x", "0.0.0.0/0", **{"except": ["10.0.0.0/8"]})
    assert issues(CHECK, RAYCLUSTER, carved) == [_internet("x", "0.0.0.0/0")]


def test_a_rule_without_to_allows_every_destination() -> None:
    open_rule = netpol("open", selector=HEAD, types=["Egress"], egress=[{"ports": [{"port": 443}]}])
    assert issues(CHECK, RAYCLUSTER, open_rule) == [
        _internet("open", "every destination", ".spec.egress[0]")
    ]


def test_the_metadata_address_is_reported() -> None:
    assert issues(CHECK, RAYCLUSTER, _policy("md", "169.254.0.0/16")) == [_metadata("md")]
    carved = _policy(
        "md", "169.254.0.0/16", **{"except": ["169.254.169.254/32", "169.254.170.23/32"]}
    )
    assert issues(CHECK, RAYCLUSTER, carved) == []


def test_pods_other_than_ray_and_the_operator_are_not_judged() -> None:
    app = deployment("app", labels={"app": "x"}, containers=[container("x", image="nginx:1")])
    assert (
        issues(CHECK, app, _policy("web", "0.0.0.0/0", selector={"matchLabels": {"app": "x"}}))
        == []
    )


@pytest.mark.parametrize(
    ("cidrs", "reach"),
    [
        (["0.0.0.0/1", "128.0.0.0/2", "192.0.0.0/3"], ["0.0.0.0/1", "128.0.0.0/2", "192.0.0.0/3"]),
        (["2000::/3"], ["2000::/3"]),
        (["00.0.0.0/0"], ["0.0.0.0/0"]),
    ],
    ids=["most-of-ipv4", "ipv6-global-unicast", "sloppy-cidr"],
)
def test_most_of_the_internet_and_sloppy_cidrs_count(cidrs: list[str], reach: list[str]) -> None:
    policies = [_policy(f"p{i}", c) for i, c in enumerate(cidrs)]
    assert issues(CHECK, RAYCLUSTER, *policies) == [
        _internet(f"p{i}", r) for i, r in enumerate(reach)
    ]


def test_eks_pod_identity_is_a_metadata_address() -> None:
    assert issues(CHECK, RAYCLUSTER, _policy("pi", "169.254.170.23/32")) == [_metadata("pi")]
