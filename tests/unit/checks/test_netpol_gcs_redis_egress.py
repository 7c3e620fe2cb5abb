from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conftest import CheckRun

CHECK = "netpol-gcs-redis-egress"
RAYCLUSTER = """\
apiVersion: ray.io/v1
kind: RayCluster
metadata:
  name: rc
  namespace: kuberay
spec:
  gcsFaultToleranceOptions:
    redisAddress: {address}
  headGroupSpec:
    rayStartParams: {{}}
    template:
      spec:
        containers:
          - name: ray-head
            image: rayproject/ray:2.55.1
"""
DENY_EGRESS = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: deny
  namespace: kuberay
spec:
  podSelector: {}
  policyTypes: [Egress]
"""
ALLOW = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: redis
  namespace: kuberay
spec:
  podSelector:
    matchLabels:
      ray.io/node-type: head
  policyTypes: [Egress]
  egress:
    - to:
        - {peer}
      ports:
        - protocol: TCP
          port: {port}
"""
SERVICE = "redis-master.platform-services.svc.cluster.local:6379"
PLATFORM = "namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: platform-services}}"


def _tree(address: str, *policies: str) -> dict[str, str]:
    files = {"t/raycluster.yaml": RAYCLUSTER.format(address=address)}
    files.update({f"t/policy-{i}.yaml": p for i, p in enumerate(policies)})
    return files


def test_a_head_without_egress_restrictions_passes(run_check: Callable[..., CheckRun]) -> None:
    assert run_check(CHECK, _tree(SERVICE)).rows() == []


@pytest.mark.parametrize(
    ("address", "peer"),
    [
        (SERVICE, PLATFORM),
        ("redis://redis.platform-services:6379", PLATFORM),
        ("10.0.0.5:6379", "ipBlock: {cidr: 10.0.0.0/24}"),
        ("redis:6379", "podSelector: {matchLabels: {app: redis}}"),
    ],
    ids=["service-fqdn", "scheme-short-name", "ip", "same-namespace"],
)
def test_an_egress_rule_to_the_redis_namespace_or_address_passes(
    run_check: Callable[..., CheckRun], address: str, peer: str
) -> None:
    tree = _tree(address, DENY_EGRESS, ALLOW.format(peer=peer, port=6379))
    assert run_check(CHECK, tree).rows() == []


def test_denied_egress_to_redis_is_reported_at_the_address(
    run_check: Callable[..., CheckRun],
) -> None:
    result = run_check(CHECK, _tree(SERVICE, DENY_EGRESS))
    assert result.rows() == [
        (CHECK, "rc", ".spec.gcsFaultToleranceOptions.redisAddress", "t/raycluster.yaml", 8)
    ]
    assert result.findings[0].message == (
        f"the head of RayCluster kuberay/rc cannot reach its GCS Redis {SERVICE}: no egress "
        "rule of deny allows TCP 6379 to namespace platform-services"
    )


def test_a_rule_on_another_port_does_not_count(run_check: Callable[..., CheckRun]) -> None:
    tree = _tree(SERVICE, DENY_EGRESS, ALLOW.format(peer=PLATFORM, port=6380))
    assert [r[2] for r in run_check(CHECK, tree).rows()] == [
        ".spec.gcsFaultToleranceOptions.redisAddress"
    ]


def test_a_rule_to_another_namespace_does_not_count(run_check: Callable[..., CheckRun]) -> None:
    other = PLATFORM.replace("platform-services", "monitoring")
    tree = _tree(SERVICE, DENY_EGRESS, ALLOW.format(peer=other, port=6379))
    assert len(run_check(CHECK, tree).rows()) == 1


def test_an_ip_outside_the_allowed_block_does_not_count(
    run_check: Callable[..., CheckRun],
) -> None:
    tree = _tree(
        "10.1.0.5:6379", DENY_EGRESS, ALLOW.format(peer="ipBlock: {cidr: 10.0.0.0/24}", port=6379)
    )
    assert len(run_check(CHECK, tree).rows()) == 1


def test_a_dns_name_outside_the_cluster_is_not_read_as_a_namespace(
    run_check: Callable[..., CheckRun],
) -> None:
    example = PLATFORM.replace("platform-services", "example")
    tree = _tree("redis.example.com:6379", DENY_EGRESS, ALLOW.format(peer=example, port=6379))
    assert run_check(CHECK, tree).rows() == []
