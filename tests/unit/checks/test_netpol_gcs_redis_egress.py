from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.builders import Body, issues, netpol, raycluster, rayjob, to_yaml
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


def _denied(address: str, towards: str, label: str = "RayCluster apps/rc") -> str:
    """The message when only the default deny restricts the head's egress."""
    return (
        f"the head of {label} cannot reach its GCS Redis {address}: no egress rule of deny "
        f"allows TCP {towards}"
    )


def _row(message: str, kind: str = "RayCluster/rc", spec: str = ".spec") -> tuple[str, ...]:
    return (CHECK, kind, f"{spec}.gcsFaultToleranceOptions.redisAddress", message)


@pytest.mark.parametrize(
    ("address", "towards"),
    [
        ("rediss://redis.platform-services:6380/0", "6380 to namespace platform-services"),
        ("redis://:secret@10.0.0.5:6379", "6379 to address 10.0.0.5"),
        ("redis://user:p@ss@10.0.0.5:6379", "6379 to address 10.0.0.5"),
        ("10.0.0.5", "6379 to address 10.0.0.5"),
        ("redis.platform-services", "6379 to namespace platform-services"),
        ("[fd00::5]:6379", "6379 to address fd00::5"),
        ("redis:6379", "6379 to namespace apps"),
    ],
    ids=[
        "scheme-and-db",
        "password",
        "password-with-at",
        "no-port",
        "no-port-name",
        "ipv6",
        "bare",
    ],
)
def test_the_host_and_port_are_read_from_the_address(address: str, towards: str) -> None:
    """The scheme, credentials (up to the last `@`) and db path are not the host; the
    port defaults to 6379; a bare name is a Service of the cluster's own namespace."""
    assert issues(CHECK, _cluster(address), DENY_EGRESS) == [_row(_denied(address, towards))]


def test_a_bracketed_ipv6_address_is_judged_by_ip_blocks() -> None:
    block = _allow({"ipBlock": {"cidr": "fd00::/64"}})
    assert issues(CHECK, _cluster("[fd00::5]:6379"), DENY_EGRESS, block) == []


def test_a_bare_name_without_a_namespace_is_in_the_default_namespace() -> None:
    cluster = _cluster("redis:6379")
    del cluster["metadata"]["namespace"]
    deny = netpol("deny", namespace="default", types=["Egress"])
    assert issues(CHECK, cluster, deny) == [
        _row(_denied("redis:6379", "6379 to namespace default", "RayCluster default/rc"))
    ]


def test_an_ip_block_with_host_bits_is_read_as_its_network() -> None:
    block = _allow({"ipBlock": {"cidr": "10.0.0.7/24"}})
    assert issues(CHECK, _cluster("10.0.0.5:6379"), DENY_EGRESS, block) == []


def test_an_unreadable_ip_block_allows_nothing() -> None:
    block = _allow({"ipBlock": {"cidr": "not-a-cidr"}})
    assert issues(CHECK, _cluster("10.0.0.5:6379"), DENY_EGRESS, block) == [
        _cut_off("10.0.0.5:6379", "6379 to address 10.0.0.5")
    ]


def test_an_any_address_block_reaches_a_service_name() -> None:
    block = _allow({"ipBlock": {"cidr": "0.0.0.0/0"}})
    assert issues(CHECK, _cluster(SERVICE), DENY_EGRESS, block) == []


def test_a_namespace_selector_does_not_reach_an_ip_address() -> None:
    namespace = _allow(_namespace("apps"))
    assert issues(CHECK, _cluster("10.0.0.5:6379"), DENY_EGRESS, namespace) == [
        _cut_off("10.0.0.5:6379", "6379 to address 10.0.0.5")
    ]


def test_a_pod_selector_alone_reaches_only_the_policy_namespace() -> None:
    pods = _allow({"podSelector": {"matchLabels": {"app": "redis"}}})
    assert issues(CHECK, _cluster(SERVICE), DENY_EGRESS, pods) == [
        _cut_off(SERVICE, "6379 to namespace platform-services")
    ]


def test_a_later_rule_of_the_same_policy_may_allow_redis() -> None:
    rules = [
        {"to": [_namespace("monitoring")], "ports": [{"port": 6379}]},
        {"to": [PLATFORM], "ports": [{"port": 6379}]},
    ]
    policy = netpol("redis", types=["Egress"], egress=rules)
    assert issues(CHECK, _cluster(SERVICE), policy) == []


def test_a_named_port_is_not_resolved_against_pods_outside_the_repository() -> None:
    named = netpol(
        "redis",
        types=["Egress"],
        egress=[{"to": [PLATFORM], "ports": [{"protocol": "TCP", "port": "redis"}]}],
    )
    assert issues(CHECK, _cluster(SERVICE), DENY_EGRESS, named) == [
        _cut_off(SERVICE, "6379 to namespace platform-services")
    ]


def test_a_restricted_worker_does_not_matter_only_the_head() -> None:
    workers = netpol(
        "deny", selector={"matchLabels": {"ray.io/node-type": "worker"}}, types=["Egress"]
    )
    cluster = raycluster(gcsFaultToleranceOptions={"redisAddress": SERVICE})
    assert issues(CHECK, cluster, workers) == []


def test_every_cluster_is_judged_by_its_own_head() -> None:
    free = raycluster("free", namespace="other")  # no fault tolerance, egress unrestricted
    fault_tolerant: dict[str, Any] = {"gcsFaultToleranceOptions": {"redisAddress": SERVICE}}
    spare = raycluster("spare", namespace="other", **fault_tolerant)  # egress unrestricted
    headless = raycluster("headless", headGroupSpec=None, **fault_tolerant)  # no head pod
    outside = raycluster("outside", gcsFaultToleranceOptions={"redisAddress": "redis.example.com"})
    unreadable = raycluster("port", gcsFaultToleranceOptions={"redisAddress": "redis:x"})
    found = issues(
        CHECK, free, spare, headless, outside, unreadable, _cluster(SERVICE), DENY_EGRESS
    )
    assert found == [_row(_denied(SERVICE, "6379 to namespace platform-services"))]


def test_the_cluster_of_a_rayjob_is_judged_at_its_cluster_spec() -> None:
    job = rayjob(cluster={"gcsFaultToleranceOptions": {"redisAddress": SERVICE}})
    assert issues(CHECK, job, DENY_EGRESS) == [
        _row(
            _denied(SERVICE, "6379 to namespace platform-services", "RayJob apps/job"),
            "RayJob/job",
            ".spec.rayClusterSpec",
        )
    ]


def test_an_address_carved_out_of_the_block_is_not_reached() -> None:
    carved = _allow({"ipBlock": {"cidr": "10.0.0.0/16", "except": ["10.0.0.0/24"]}})
    assert issues(CHECK, _cluster("10.0.0.5:6379"), DENY_EGRESS, carved) == [
        _cut_off("10.0.0.5:6379", "6379 to address 10.0.0.5")
    ]
    assert issues(CHECK, _cluster("10.0.1.5:6379"), DENY_EGRESS, carved) == []


def test_a_block_with_an_unreadable_except_allows_nothing() -> None:
    block = _allow({"ipBlock": {"cidr": "10.0.0.0/16", "except": ["bogus"]}})
    assert issues(CHECK, _cluster("10.0.1.5:6379"), DENY_EGRESS, block) == [
        _cut_off("10.0.1.5:6379", "6379 to address 10.0.1.5")
    ]


def test_an_ipv4_any_address_block_does_not_reach_an_ipv6_address() -> None:
    v4 = _allow({"ipBlock": {"cidr": "0.0.0.0/0"}})
    assert issues(CHECK, _cluster("[fd00::5]:6379"), DENY_EGRESS, v4) == [
        _cut_off("[fd00::5]:6379", "6379 to address fd00::5")
    ]
    v6 = _allow({"ipBlock": {"cidr": "::/0"}})
    assert issues(CHECK, _cluster("[fd00::5]:6379"), DENY_EGRESS, v6) == []


def test_a_narrow_block_is_not_taken_to_reach_a_service() -> None:
    block = _allow({"ipBlock": {"cidr": "10.0.0.0/8"}})
    assert issues(CHECK, _cluster(SERVICE), DENY_EGRESS, block) == [
        _cut_off(SERVICE, "6379 to namespace platform-services")
    ]
