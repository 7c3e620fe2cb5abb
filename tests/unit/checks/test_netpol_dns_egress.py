from __future__ import annotations

from collections.abc import Callable

from tests.conftest import CheckRun

CHECK = "netpol-dns-egress"

RAYCLUSTER = """\
apiVersion: ray.io/v1
kind: RayCluster
metadata:
  name: rc
  namespace: kuberay
spec:
  headGroupSpec:
    rayStartParams: {}
    template:
      spec:
        containers:
          - name: ray-head
            image: rayproject/ray:2.46.0
  workerGroupSpecs:
    - groupName: cpu
      minReplicas: 1
      maxReplicas: 2
      rayStartParams: {}
      template:
        spec:
          containers:
            - name: ray-worker
              image: rayproject/ray:2.46.0
"""

HEADER = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: egress
  namespace: kuberay
spec:
  podSelector: {}
  policyTypes:
    - Egress
  egress:
"""

KUBE_DNS = """\
    - to:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: kube-system
          podSelector:
            matchLabels:
              k8s-app: kube-dns
"""

BOTH = """\
      ports:
        - protocol: UDP
          port: 53
        - protocol: TCP
          port: 53
"""


def test_dns_to_kube_dns_on_udp_and_tcp_passes(run_check: Callable[..., CheckRun]) -> None:
    named = "      ports:\n        - protocol: UDP\n          port: dns\n        - port: dns-tcp\n"
    files = {"t/raycluster.yaml": RAYCLUSTER, "t/networkpolicy.yaml": HEADER + KUBE_DNS + BOTH}
    assert run_check(CHECK, files).rows() == []
    files["t/networkpolicy.yaml"] = HEADER + KUBE_DNS + named
    assert run_check(CHECK, files).rows() == []


def test_pods_without_egress_restriction_need_nothing(run_check: Callable[..., CheckRun]) -> None:
    assert run_check(CHECK, {"t/raycluster.yaml": RAYCLUSTER}).rows() == []


def test_port_53_without_protocol_is_tcp_only(run_check: Callable[..., CheckRun]) -> None:
    tcp_only = "      ports:\n        - port: 53\n"
    result = run_check(
        CHECK,
        {"t/raycluster.yaml": RAYCLUSTER, "t/networkpolicy.yaml": HEADER + KUBE_DNS + tcp_only},
    )
    assert result.rows() == [
        (f"{CHECK}[protocol]", "egress", ".spec.egress[0].ports", "t/networkpolicy.yaml", 18)
    ]
    assert result.findings[0].message == (
        "RayCluster/kuberay/rc head group headgroup: egress to kube-dns allows TCP 53 but not "
        "UDP 53"
    )


def test_port_53_towards_another_namespace_is_a_finding(
    run_check: Callable[..., CheckRun],
) -> None:
    elsewhere = (
        "    - to:\n"
        "        - namespaceSelector:\n"
        "            matchLabels:\n"
        "              kubernetes.io/metadata.name: monitoring\n"
    )
    result = run_check(
        CHECK,
        {"t/raycluster.yaml": RAYCLUSTER, "t/networkpolicy.yaml": HEADER + elsewhere + BOTH},
    )
    assert result.rows() == [
        (f"{CHECK}[peer]", "egress", ".spec.egress[0].to", "t/networkpolicy.yaml", 11)
    ]


def test_no_dns_rule_is_reported_at_each_pod_template(run_check: Callable[..., CheckRun]) -> None:
    https = (
        "    - to:\n        - ipBlock:\n            cidr: 0.0.0.0/0\n"
        "      ports:\n        - port: 443\n"
    )
    result = run_check(
        CHECK, {"t/raycluster.yaml": RAYCLUSTER, "t/networkpolicy.yaml": HEADER + https}
    )
    assert result.rows() == [
        (f"{CHECK}[missing]", "rc", ".spec.headGroupSpec.template", "t/raycluster.yaml", 9),
        (
            f"{CHECK}[missing]",
            "rc",
            ".spec.workerGroupSpecs[0].template",
            "t/raycluster.yaml",
            19,
        ),
    ]
