from __future__ import annotations

from collections.abc import Callable

from tests.conftest import CheckRun

CHECK = "netpol-ray-ports"

RAYCLUSTER = """\
apiVersion: ray.io/v1
kind: RayCluster
metadata:
  name: rc
  namespace: kuberay
spec:
  headGroupSpec:
    rayStartParams:
      port: "6380"
      dashboard-port: "8266"
      ray-client-server-port: "10002"
      node-manager-port: "8301"
      object-manager-port: "8302"
      runtime-env-agent-port: "8303"
      dashboard-agent-grpc-port: "8304"
      dashboard-agent-listen-port: "8305"
      metrics-export-port: "8081"
      min-worker-port: "8310"
      max-worker-port: "8600"
    template:
      spec:
        containers:
          - name: ray-head
            image: rayproject/ray:2.46.0
            ports:
              - name: gcs-server
                containerPort: 6380
  workerGroupSpecs:
    - groupName: cpu
      minReplicas: 1
      maxReplicas: 2
      rayStartParams:
        node-manager-port: "8301"
        object-manager-port: "8302"
        runtime-env-agent-port: "8303"
        dashboard-agent-grpc-port: "8304"
        dashboard-agent-listen-port: "8305"
        metrics-export-port: "8081"
        min-worker-port: "8310"
        max-worker-port: "8600"
      template:
        spec:
          containers:
            - name: ray-worker
              image: rayproject/ray:2.46.0
"""

# Ports of one rule; `gcs-server` is the head container's named port 6380.
PORTS = """\
      ports:
        - port: gcs-server
        - port: 8266
        - port: 10002
        - port: 8081
        - port: 8301
          endPort: {end}
"""

PEER = """\
        - podSelector:
            matchLabels:
              ray.io/is-ray-node: "yes"
"""


def intra_cluster(end: int = 8600, ingress_peer: str = PEER, egress: bool = True) -> str:
    text = (
        "apiVersion: networking.k8s.io/v1\n"
        "kind: NetworkPolicy\n"
        "metadata:\n"
        "  name: intra-cluster\n"
        "  namespace: kuberay\n"
        "spec:\n"
        "  podSelector:\n"
        "    matchLabels:\n"
        '      ray.io/is-ray-node: "yes"\n'
        "  policyTypes:\n"
        "    - Ingress\n" + ("    - Egress\n" if egress else "") + "  ingress:\n"
        "    - from:\n" + ingress_peer + PORTS.format(end=end)
    )
    if egress:
        text += "  egress:\n    - to:\n" + PEER + PORTS.format(end=8600)
    return text


def test_all_ray_ports_allowed_both_ways_pass(run_check: Callable[..., CheckRun]) -> None:
    result = run_check(
        CHECK, {"t/raycluster.yaml": RAYCLUSTER, "t/networkpolicy.yaml": intra_cluster()}
    )
    assert result.rows() == []


def test_no_networkpolicy_means_nothing_is_restricted(run_check: Callable[..., CheckRun]) -> None:
    assert run_check(CHECK, {"t/raycluster.yaml": RAYCLUSTER}).rows() == []


def test_partly_allowed_worker_port_range_is_reported_per_direction(
    run_check: Callable[..., CheckRun],
) -> None:
    result = run_check(
        CHECK, {"t/raycluster.yaml": RAYCLUSTER, "t/networkpolicy.yaml": intra_cluster(end=8500)}
    )
    row = (CHECK, "intra-cluster", ".spec.ingress[0].ports", "t/networkpolicy.yaml", 18)
    assert result.rows() == [row, row]
    assert sorted(f.message for f in result.findings) == [
        'RayCluster kuberay/rc: head → worker group "cpu": TCP 8310-8600 '
        "(min-worker-port..max-worker-port) (8501-8600 blocked) is not allowed by the ingress "
        'rules of the destination\'s NetworkPolicies ("intra-cluster")',
        'RayCluster kuberay/rc: worker group "cpu" → head: TCP 8310-8600 '
        "(min-worker-port..max-worker-port) (8501-8600 blocked) is not allowed by the ingress "
        'rules of the destination\'s NetworkPolicies ("intra-cluster")',
    ]


def test_missing_gcs_port_on_the_egress_side_points_at_the_egress_rule(
    run_check: Callable[..., CheckRun],
) -> None:
    egress_only = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: worker-egress
  namespace: kuberay
spec:
  podSelector:
    matchLabels:
      ray.io/node-type: worker
  policyTypes:
    - Egress
  egress:
    - to:
        - podSelector:
            matchLabels:
              ray.io/node-type: head
      ports:
        - port: 8266
"""
    result = run_check(
        CHECK, {"t/raycluster.yaml": RAYCLUSTER, "t/networkpolicy.yaml": egress_only}
    )
    assert result.rows() == [
        (CHECK, "worker-egress", ".spec.egress[0].ports", "t/networkpolicy.yaml", 17)
    ]
    assert 'worker group "cpu" → head: TCP 6380 (port)' in result.findings[0].message


def test_no_rule_admitting_the_peer_is_reported_at_the_ray_group(
    run_check: Callable[..., CheckRun],
) -> None:
    other = """\
        - podSelector:
            matchLabels:
              app: other
"""
    result = run_check(
        CHECK,
        {
            "t/raycluster.yaml": RAYCLUSTER,
            "t/networkpolicy.yaml": intra_cluster(ingress_peer=other, egress=False),
        },
    )
    assert result.rows() == [
        (CHECK, "rc", ".spec.headGroupSpec", "t/raycluster.yaml", 7),
        (CHECK, "rc", ".spec.workerGroupSpecs[0]", "t/raycluster.yaml", 29),
    ]


def test_unset_random_port_needs_a_rule_without_ports(run_check: Callable[..., CheckRun]) -> None:
    cluster = RAYCLUSTER.replace('        node-manager-port: "8301"\n', "")
    result = run_check(
        CHECK, {"t/raycluster.yaml": cluster, "t/networkpolicy.yaml": intra_cluster()}
    )
    assert result.rows() == [
        (CHECK, "intra-cluster", ".spec.ingress[0].ports", "t/networkpolicy.yaml", 18)
    ]
    assert "node-manager-port (unset: Ray picks a random port)" in result.findings[0].message
