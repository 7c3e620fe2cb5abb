from __future__ import annotations

from collections.abc import Callable

from tests.builders import issues, netpol, raycluster, to_yaml
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
