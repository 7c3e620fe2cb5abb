from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pytest

from tests.builders import Body, container, deployment, issues, netpol, raycluster, to_yaml
from tests.conftest import CheckRun

CHECK = "netpol-egress-broad"
RAYCLUSTER = raycluster(workers=[])
HEAD = {"matchLabels": {"ray.io/node-type": "head"}}
RAY_HEAD = "RayCluster/apps/rc head group headgroup"


def _policy(
    name: str, cidr: str, selector: dict[str, Any] = HEAD, excepts: Sequence[str] = ()
) -> Body:
    """Egress of the Ray head to `cidr` (an ipBlock, with `excepts` when given) on 443."""
    block: dict[str, Any] = {"cidr": cidr}
    if excepts:
        block["except"] = list(excepts)
    to = [{"ipBlock": block}]
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
    carved = _policy("x", "0.0.0.0/0", excepts=["10.0.0.0/8"])
    assert issues(CHECK, RAYCLUSTER, carved) == [_internet("x", "0.0.0.0/0")]


def test_a_rule_without_to_allows_every_destination() -> None:
    open_rule = netpol("open", selector=HEAD, types=["Egress"], egress=[{"ports": [{"port": 443}]}])
    assert issues(CHECK, RAYCLUSTER, open_rule) == [
        _internet("open", "every destination", ".spec.egress[0]")
    ]


def test_the_metadata_address_is_reported() -> None:
    assert issues(CHECK, RAYCLUSTER, _policy("md", "169.254.0.0/16")) == [_metadata("md")]
    carved = _policy("md", "169.254.0.0/16", excepts=["169.254.169.254/32", "169.254.170.23/32"])
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


RAY_NODES = {"matchLabels": {"ray.io/is-ray-node": "yes"}}
WORKERS = {"matchLabels": {"ray.io/node-type": "worker"}}
RAY_WORKER = "RayCluster/apps/rc worker group cpu"


def _rules(name: str, *rules: Mapping[str, Any], selector: dict[str, Any] = HEAD) -> Body:
    """Egress of the pods `selector` picks by `rules`."""
    return netpol(name, selector=selector, types=["Egress"], egress=list(rules))


def _to(*peers: Any) -> dict[str, Any]:
    return {"to": list(peers), "ports": [{"port": 443}]}


def _block(cidr: str) -> dict[str, Any]:
    return {"ipBlock": {"cidr": cidr}}


def test_exactly_half_of_ipv4_is_the_internet() -> None:
    assert issues(CHECK, RAYCLUSTER, _policy("half", "0.0.0.0/1")) == [
        _internet("half", "0.0.0.0/1")
    ]


def test_only_the_large_blocks_are_reported_when_one_is() -> None:
    pol = _rules(
        "mixed",
        _to(_block("0.0.0.0/1")),
        _to(_block("10.1.0.0/16")),
        _to(_block("192.168.1.0/24")),
    )
    assert issues(CHECK, RAYCLUSTER, pol) == [
        _internet("mixed", "0.0.0.0/1"),
        _internet("mixed", "10.1.0.0/16", ".spec.egress[1].to"),
    ]


def test_peers_that_are_not_readable_blocks_are_skipped() -> None:
    pol = _rules(
        "peers", _to("0.0.0.0/0", {"podSelector": {}}, _block("bogus"), _block("0.0.0.0/0"))
    )
    assert issues(CHECK, RAYCLUSTER, pol) == [_internet("peers", "0.0.0.0/0")]


def test_a_bare_address_is_not_a_cidr_to_the_api_server() -> None:
    assert issues(CHECK, RAYCLUSTER, _policy("md", "169.254.169.254")) == []
    assert issues(CHECK, RAYCLUSTER, _policy("md", "0.0.0.0/")) == []


def test_host_bits_of_a_cidr_are_ignored() -> None:
    assert issues(CHECK, RAYCLUSTER, _policy("md", "169.254.1.1/16")) == [_metadata("md")]


def test_an_except_covering_every_metadata_address_keeps_it_out() -> None:
    covered = _policy("md", "169.254.0.0/16", excepts=["169.254.160.0/20"])
    assert issues(CHECK, RAYCLUSTER, covered) == []
    beside = _policy("md", "169.254.0.0/16", excepts=["169.254.0.0/24"])
    assert issues(CHECK, RAYCLUSTER, beside) == [_metadata("md")]


def test_a_rule_reaching_metadata_after_a_rule_to_everything_is_reported_too() -> None:
    pol = _rules("open", {"ports": [{"port": 443}]}, _to(_block("169.254.169.254/32")))
    assert issues(CHECK, RAYCLUSTER, pol) == [
        _internet("open", "every destination", ".spec.egress[0]"),
        (
            f"{CHECK}[metadata]",
            "NetworkPolicy/open",
            ".spec.egress[1].to",
            f"{RAY_HEAD} may reach the cloud metadata address (node credentials)",
        ),
    ]


def test_a_rule_is_reported_once_for_all_the_pods_it_lets_through() -> None:
    internet = _rules("all", _to(_block("0.0.0.0/1")), selector=RAY_NODES)
    metadata = _rules("md", _to(_block("169.254.169.254/32")), selector=RAY_NODES)
    assert issues(CHECK, raycluster(), internet, metadata) == [
        _internet("all", "0.0.0.0/1"),
        _metadata("md"),
    ]


def test_the_rules_of_a_later_pod_are_reported_after_a_rule_already_reported() -> None:
    internet = _rules("all", _to(_block("0.0.0.0/1")), selector=RAY_NODES)
    more = _rules("workers", _to(_block("128.0.0.0/1")), selector=WORKERS)
    md_all = _rules("md-all", _to(_block("169.254.169.254/32")), selector=RAY_NODES)
    md_workers = _rules("md-workers", _to(_block("169.254.170.23/32")), selector=WORKERS)
    worker_md = f"{RAY_WORKER} may reach the cloud metadata address (node credentials)"
    assert issues(CHECK, raycluster(), internet, more, md_all, md_workers) == [
        _internet("all", "0.0.0.0/1"),
        _metadata("md-all"),
        (
            f"{CHECK}[internet]",
            "NetworkPolicy/workers",
            ".spec.egress[0].to",
            f"{RAY_WORKER} may reach 128.0.0.0/1: with its other egress rules that is the "
            "whole Internet",
        ),
        (f"{CHECK}[metadata]", "NetworkPolicy/md-workers", ".spec.egress[0].to", worker_md),
    ]


def test_a_ray_pod_after_a_pod_that_is_not_judged_is_judged() -> None:
    app = deployment("app", labels={"app": "x"}, containers=[container("x", image="nginx:1")])
    assert issues(CHECK, app, RAYCLUSTER, _policy("v6", "::/0")) == [_internet("v6", "::/0")]
