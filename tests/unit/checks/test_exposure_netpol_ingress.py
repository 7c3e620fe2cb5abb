from __future__ import annotations

from collections.abc import Callable

from tests.conftest import CheckRun

RAYCLUSTER = """\
apiVersion: ray.io/v1
kind: RayCluster
metadata:
  name: rc
  namespace: kuberay
spec:
  authOptions:
    mode: token
  headGroupSpec:
    rayStartParams:
      ray-client-server-port: "10002"
    template:
      spec:
        containers:
          - name: ray-head
            image: rayproject/ray:2.52.0
            ports:
              - name: dashboard
                containerPort: 8265
"""

POLICY = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: ray-head-ingress
  namespace: kuberay
spec:
  podSelector:
    matchLabels:
      ray.io/node-type: head
  policyTypes: [Ingress]
  ingress:
{rules}
"""
FROM_CLIENTS = """\
    - from:
        - namespaceSelector:
            matchLabels:
              kuberay.io/ray-client: "true"
      ports:
        - port: 10002
        - port: dashboard"""
ANY_TO_METRICS = """\
    - ports:
        - port: 8080"""
OPEN_TO_WORLD = """\
    - from:
        - ipBlock:
            cidr: 0.0.0.0/0
            except: [169.254.169.254/32]
      ports:
        - port: dashboard
    - ports:
        - port: 10000
          endPort: 10010"""


def test_rules_limited_by_source_or_to_other_ports_pass(
    run_check: Callable[..., CheckRun],
) -> None:
    files = {
        "t/raycluster.yaml": RAYCLUSTER,
        "t/networkpolicy.yaml": POLICY.format(rules=FROM_CLIENTS + "\n" + ANY_TO_METRICS),
    }
    assert run_check("exposure-netpol-ingress", files).rows() == []


def test_any_address_block_and_missing_from_are_errors(
    run_check: Callable[..., CheckRun],
) -> None:
    files = {
        "t/raycluster.yaml": RAYCLUSTER,
        "t/networkpolicy.yaml": POLICY.format(rules=OPEN_TO_WORLD),
    }
    result = run_check("exposure-netpol-ingress", files)
    assert result.rows() == [
        (
            "exposure-netpol-ingress",
            "ray-head-ingress",
            ".spec.ingress[0].from[0].ipBlock.cidr",
            "t/networkpolicy.yaml",
            14,
        ),
        (
            "exposure-netpol-ingress",
            "ray-head-ingress",
            ".spec.ingress[1]",
            "t/networkpolicy.yaml",
            18,
        ),
    ]
    assert [f.message for f in result.findings] == [
        "ingress rule 0 allows ipBlock 0.0.0.0/0 to the dashboard port 8265 of "
        "RayCluster kuberay/rc head group headgroup",
        "ingress rule 1 allows any source (no from) to the Ray client port 10002 of "
        "RayCluster kuberay/rc head group headgroup",
    ]


def test_allow_all_policy_on_every_port_is_an_error_even_with_token_auth(
    run_check: Callable[..., CheckRun],
) -> None:
    files = {
        "t/raycluster.yaml": RAYCLUSTER,
        "t/networkpolicy.yaml": POLICY.format(rules="    - {}"),
    }
    result = run_check("exposure-netpol-ingress", files)
    assert result.rows() == [
        (
            "exposure-netpol-ingress",
            "ray-head-ingress",
            ".spec.ingress[0]",
            "t/networkpolicy.yaml",
            12,
        )
    ]
    assert result.findings[0].message == (
        "ingress rule 0 allows any source (no from) to the GCS port 6379, Serve port 8000, "
        "dashboard port 8265, Ray client port 10002 of RayCluster kuberay/rc head group headgroup"
    )


FROM_ALL_NAMESPACES = """\
    - from:
        - namespaceSelector: {}
      ports:
        - port: 10002
    - from:
        - namespaceSelector: {}
          podSelector:
            matchLabels:
              app.kubernetes.io/name: prometheus
      ports:
        - port: 8080"""


def test_every_namespace_to_a_ray_port_is_an_error(run_check: Callable[..., CheckRun]) -> None:
    files = {
        "t/raycluster.yaml": RAYCLUSTER,
        "t/networkpolicy.yaml": POLICY.format(rules=FROM_ALL_NAMESPACES),
    }
    result = run_check("exposure-netpol-ingress", files)
    assert result.rows() == [
        (
            "exposure-netpol-ingress[all-namespaces]",
            "ray-head-ingress",
            ".spec.ingress[0].from[0].namespaceSelector",
            "t/networkpolicy.yaml",
            13,
        )
    ]
    assert result.findings[0].message == (
        "ingress rule 0 allows every pod of every namespace (namespaceSelector: {}) to the Ray "
        "client port 10002 of RayCluster kuberay/rc head group headgroup"
    )
