from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from tests.builders import Body, head_group, issues, netpol, raycluster, to_yaml, worker_group
from tests.conftest import CheckRun

CHECK = "netpol-ray-ports"
NODE_PORTS = {
    "node-manager-port": "8301",
    "object-manager-port": "8302",
    "runtime-env-agent-port": "8303",
    "dashboard-agent-grpc-port": "8304",
    "dashboard-agent-listen-port": "8305",
    "metrics-export-port": "8081",
    "min-worker-port": "8310",
    "max-worker-port": "8600",
}
HEAD_PORTS = {"port": "6380", "dashboard-port": "8266", "ray-client-server-port": "10002"}
RAY_NODES = {"matchLabels": {"ray.io/is-ray-node": "yes"}}


def _cluster(unset: str = "") -> Body:
    """Every Ray port set, but the workers' `unset` param."""
    worker_params = {k: v for k, v in NODE_PORTS.items() if k != unset}
    return raycluster(
        head=head_group(ports=[(6380, "gcs-server")], params={**HEAD_PORTS, **NODE_PORTS}),
        workers=[worker_group(params=worker_params)],
    )


def _ports(end: int = 8600) -> list[dict[str, Any]]:
    """Ports of one rule; `gcs-server` is the head container's named port 6380."""
    return [
        {"port": "gcs-server"},
        {"port": 8266},
        {"port": 10002},
        {"port": 8081},
        {"port": 8301, "endPort": end},
    ]


def _intra_cluster(
    end: int = 8600, ingress_peer: Mapping[str, Any] = RAY_NODES, egress: bool = True
) -> Body:
    return netpol(
        "intra-cluster",
        selector=RAY_NODES,
        types=["Ingress", "Egress"] if egress else ["Ingress"],
        ingress=[{"from": [{"podSelector": dict(ingress_peer)}], "ports": _ports(end)}],
        egress=[{"to": [{"podSelector": RAY_NODES}], "ports": _ports()}] if egress else (),
    )


def test_all_ray_ports_allowed_both_ways_pass() -> None:
    assert issues(CHECK, _cluster(), _intra_cluster()) == []


def test_no_networkpolicy_means_nothing_is_restricted() -> None:
    assert issues(CHECK, _cluster()) == []


def test_partly_allowed_worker_port_range_is_reported_per_direction(
    run_check: Callable[..., CheckRun],
) -> None:
    tree = {
        "t/raycluster.yaml": to_yaml(_cluster()),
        "t/networkpolicy.yaml": to_yaml(_intra_cluster(end=8500)),
    }
    result = run_check(CHECK, tree)
    row = (CHECK, "intra-cluster", ".spec.ingress[0].ports", "t/networkpolicy.yaml", 18)
    assert result.rows() == [row, row]
    assert sorted(f.message for f in result.findings) == [
        'RayCluster apps/rc: head → worker group "cpu": TCP 8310-8600 '
        "(min-worker-port..max-worker-port) (8501-8600 blocked) is not allowed by the ingress "
        'rules of the destination\'s NetworkPolicies ("intra-cluster")',
        'RayCluster apps/rc: worker group "cpu" → head: TCP 8310-8600 '
        "(min-worker-port..max-worker-port) (8501-8600 blocked) is not allowed by the ingress "
        'rules of the destination\'s NetworkPolicies ("intra-cluster")',
    ]


def test_missing_gcs_port_on_the_egress_side_points_at_the_egress_rule() -> None:
    egress_only = netpol(
        "worker-egress",
        selector={"matchLabels": {"ray.io/node-type": "worker"}},
        types=["Egress"],
        egress=[
            {
                "to": [{"podSelector": {"matchLabels": {"ray.io/node-type": "head"}}}],
                "ports": [{"port": 8266}],
            }
        ],
    )
    assert issues(CHECK, _cluster(), egress_only) == [
        (
            CHECK,
            "NetworkPolicy/worker-egress",
            ".spec.egress[0].ports",
            'RayCluster apps/rc: worker group "cpu" → head: TCP 6380 (port) is not allowed by '
            'the egress rules of the source\'s NetworkPolicies ("worker-egress")',
        )
    ]


def test_no_rule_admitting_the_peer_is_reported_at_the_ray_group(
    run_check: Callable[..., CheckRun],
) -> None:
    other = {"matchLabels": {"app": "other"}}
    tree = {
        "t/raycluster.yaml": to_yaml(_cluster()),
        "t/networkpolicy.yaml": to_yaml(_intra_cluster(ingress_peer=other, egress=False)),
    }
    assert run_check(CHECK, tree).rows() == [
        (CHECK, "rc", ".spec.headGroupSpec", "t/raycluster.yaml", 7),
        (CHECK, "rc", ".spec.workerGroupSpecs[0]", "t/raycluster.yaml", 29),
    ]


def test_unset_random_port_needs_a_rule_without_ports() -> None:
    assert issues(CHECK, _cluster(unset="node-manager-port"), _intra_cluster()) == [
        (
            CHECK,
            "NetworkPolicy/intra-cluster",
            ".spec.ingress[0].ports",
            'RayCluster apps/rc: head → worker group "cpu": node-manager-port (unset: Ray picks '
            "a random port) is not allowed by the ingress rules of the destination's "
            'NetworkPolicies ("intra-cluster")',
        )
    ]


def _ingress_only(name: str, selector: Mapping[str, Any], peer: Mapping[str, Any]) -> Body:
    """Ingress of the pods `selector` picks from `peer` on every Ray port of `_cluster`."""
    rule = {"from": [{"podSelector": dict(peer)}], "ports": _ports()}
    return netpol(name, selector=dict(selector), types=["Ingress"], ingress=[rule])


def _blocked(
    src: str, dst: str, what: str, names: str, ns: str = "apps", side: str = "ingress"
) -> str:
    whose = "destination" if side == "ingress" else "source"
    return (
        f"RayCluster {ns}/rc: {src} → {dst}: {what} is not allowed by the {side} rules of the "
        f"{whose}'s NetworkPolicies ({names})"
    )


def test_an_unrestricted_egress_leaves_the_ingress_rules_to_decide() -> None:
    assert issues(CHECK, _cluster(), _ingress_only("ingress", RAY_NODES, RAY_NODES)) == []


def test_an_ingress_only_policy_is_reported_at_its_rule_ports() -> None:
    """The first port missing per direction, in Ray's order (the GCS port first on the
    head, the metrics export port first on a worker)."""
    rule = {"from": [{"podSelector": RAY_NODES}], "ports": [{"port": 8266}]}
    pol = netpol("ingress", selector=RAY_NODES, types=["Ingress"], ingress=[rule])
    assert issues(CHECK, _cluster(), pol) == [
        (
            CHECK,
            "NetworkPolicy/ingress",
            ".spec.ingress[0].ports",
            _blocked('worker group "cpu"', "head", "TCP 6380 (port)", '"ingress"'),
        ),
        (
            CHECK,
            "NetworkPolicy/ingress",
            ".spec.ingress[0].ports",
            _blocked("head", 'worker group "cpu"', "TCP 8081 (metrics-export-port)", '"ingress"'),
        ),
    ]


def test_every_policy_of_the_side_is_named() -> None:
    heads = {"matchLabels": {"ray.io/node-type": "head"}}
    a = _ingress_only("a", heads, {"matchLabels": {"app": "other"}})
    b = _ingress_only("b", heads, {"matchLabels": {"app": "another"}})
    assert issues(CHECK, _cluster(), a, b) == [
        (
            CHECK,
            "RayCluster/rc",
            ".spec.headGroupSpec",
            _blocked('worker group "cpu"', "head", "TCP 6380 (port)", '"a", "b"'),
        )
    ]


def test_a_random_port_finding_says_to_set_the_port(run_check: Callable[..., CheckRun]) -> None:
    tree = {
        "t/raycluster.yaml": to_yaml(_cluster(unset="node-manager-port")),
        "t/networkpolicy.yaml": to_yaml(_intra_cluster()),
    }
    assert [f.hint for f in run_check(CHECK, tree).findings] == [
        'set node-manager-port in rayStartParams of the worker group "cpu" and allow that '
        "port: a random port can only be allowed by a rule without ports"
    ]


def test_a_fixed_port_finding_has_the_check_hint(run_check: Callable[..., CheckRun]) -> None:
    tree = {
        "t/raycluster.yaml": to_yaml(_cluster()),
        "t/networkpolicy.yaml": to_yaml(_intra_cluster(end=8500)),
    }
    assert {f.hint for f in run_check(CHECK, tree).findings} == {
        "add the port (or range, with endPort) to the ingress rule of the destination's "
        "policy and the egress rule of the source's policy (docs/ports.md lists them)"
    }


def test_a_cluster_without_a_namespace_is_named_in_the_default_namespace() -> None:
    cluster = _cluster()
    del cluster["metadata"]["namespace"]
    deny = netpol("deny", namespace="default", types=["Ingress"])
    assert issues(CHECK, cluster, deny) == [
        (
            CHECK,
            "RayCluster/rc",
            ".spec.headGroupSpec",
            _blocked('worker group "cpu"', "head", "TCP 6380 (port)", '"deny"', ns="default"),
        ),
        (
            CHECK,
            "RayCluster/rc",
            ".spec.workerGroupSpecs[0]",
            _blocked(
                "head", 'worker group "cpu"', "TCP 8081 (metrics-export-port)", '"deny"', "default"
            ),
        ),
    ]


def test_the_pods_of_each_cluster_are_paired_only_with_each_other() -> None:
    """Two clusters each open to itself only: no head reaches the other's workers."""
    own: dict[str, Body] = {}
    for name in ("a", "b"):
        pods = {"matchLabels": {"ray.io/cluster": name}}
        own[name] = _ingress_only(f"only-{name}", pods, pods)
    a, b = (raycluster(n, head=_cluster()["spec"]["headGroupSpec"]) for n in ("a", "b"))
    for cluster in (a, b):
        cluster["spec"]["workerGroupSpecs"] = _cluster()["spec"]["workerGroupSpecs"]
    assert issues(CHECK, a, b, own["a"], own["b"]) == []


def test_a_cluster_without_a_head_is_skipped() -> None:
    headless = raycluster("headless", headGroupSpec=None)
    deny = netpol("deny", types=["Ingress"])
    assert issues(CHECK, headless, _cluster(), deny) == [
        (
            CHECK,
            "RayCluster/rc",
            ".spec.headGroupSpec",
            _blocked('worker group "cpu"', "head", "TCP 6380 (port)", '"deny"'),
        ),
        (
            CHECK,
            "RayCluster/rc",
            ".spec.workerGroupSpecs[0]",
            _blocked("head", 'worker group "cpu"', "TCP 8081 (metrics-export-port)", '"deny"'),
        ),
    ]
