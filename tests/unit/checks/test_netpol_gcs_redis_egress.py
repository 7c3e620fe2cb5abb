from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.builders import Body, issues, netpol, raycluster, to_yaml
from tests.conftest import CheckRun

CHECK = "netpol-gcs-redis-egress"
SERVICE = "redis-master.platform-services.svc.cluster.local:6379"
DENY_EGRESS = netpol("deny", types=["Egress"])


def _namespace(name: str) -> dict[str, Any]:
    return {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": name}}}


PLATFORM = _namespace("platform-services")


def _cluster(address: str) -> Body:
    """A head-only RayCluster whose GCS fault tolerance stores in Redis at `address`."""
    return raycluster(workers=[], gcsFaultToleranceOptions={"redisAddress": address})


def _allow(peer: dict[str, Any], port: int = 6379) -> Body:
    """Egress of the head to `peer` on TCP `port`."""
    return netpol(
        "redis",
        selector={"matchLabels": {"ray.io/node-type": "head"}},
        types=["Egress"],
        egress=[{"to": [peer], "ports": [{"protocol": "TCP", "port": port}]}],
    )


def _cut_off(address: str, towards: str) -> tuple[str, str, str, str]:
    return (
        CHECK,
        "RayCluster/rc",
        ".spec.gcsFaultToleranceOptions.redisAddress",
        f"the head of RayCluster apps/rc cannot reach its GCS Redis {address}: no egress rule of "
        f"deny, redis allows TCP {towards}",
    )


def test_a_head_without_egress_restrictions_passes() -> None:
    assert issues(CHECK, _cluster(SERVICE)) == []


@pytest.mark.parametrize(
    ("address", "peer"),
    [
        (SERVICE, PLATFORM),
        ("redis://redis.platform-services:6379", PLATFORM),
        ("10.0.0.5:6379", {"ipBlock": {"cidr": "10.0.0.0/24"}}),
        ("redis:6379", {"podSelector": {"matchLabels": {"app": "redis"}}}),
    ],
    ids=["service-fqdn", "scheme-short-name", "ip", "same-namespace"],
)
def test_an_egress_rule_to_the_redis_namespace_or_address_passes(
    address: str, peer: dict[str, Any]
) -> None:
    assert issues(CHECK, _cluster(address), DENY_EGRESS, _allow(peer)) == []


def test_denied_egress_to_redis_is_reported_at_the_address(
    run_check: Callable[..., CheckRun],
) -> None:
    tree = {"t/raycluster.yaml": to_yaml(_cluster(SERVICE)), "t/policy.yaml": to_yaml(DENY_EGRESS)}
    result = run_check(CHECK, tree)
    assert result.rows() == [
        (CHECK, "rc", ".spec.gcsFaultToleranceOptions.redisAddress", "t/raycluster.yaml", 15)
    ]
    assert result.findings[0].message == (
        f"the head of RayCluster apps/rc cannot reach its GCS Redis {SERVICE}: no egress "
        "rule of deny allows TCP 6379 to namespace platform-services"
    )


def test_a_rule_on_another_port_does_not_count() -> None:
    assert issues(CHECK, _cluster(SERVICE), DENY_EGRESS, _allow(PLATFORM, port=6380)) == [
        _cut_off(SERVICE, "6379 to namespace platform-services")
    ]


def test_a_rule_to_another_namespace_does_not_count() -> None:
    assert issues(CHECK, _cluster(SERVICE), DENY_EGRESS, _allow(_namespace("monitoring"))) == [
        _cut_off(SERVICE, "6379 to namespace platform-services")
    ]


def test_an_ip_outside_the_allowed_block_does_not_count() -> None:
    block = _allow({"ipBlock": {"cidr": "10.0.0.0/24"}})
    assert issues(CHECK, _cluster("10.1.0.5:6379"), DENY_EGRESS, block) == [
        _cut_off("10.1.0.5:6379", "6379 to address 10.1.0.5")
    ]


def test_a_dns_name_outside_the_cluster_is_not_read_as_a_namespace() -> None:
    example = _allow(_namespace("example"))
    assert issues(CHECK, _cluster("redis.example.com:6379"), DENY_EGRESS, example) == []
