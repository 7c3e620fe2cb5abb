from __future__ import annotations

from collections.abc import Callable

from kuberay_gitops.findings import Severity
from tests.conftest import CheckRun

CHECK = "netpol-unused-port"

RAYCLUSTER = """\
apiVersion: ray.io/v1
kind: RayCluster
metadata:
  name: rc
  namespace: kuberay
spec:
  headGroupSpec:
    rayStartParams:
      dashboard-port: "8266"
    template:
      spec:
        containers:
          - name: ray-head
            image: rayproject/ray:2.46.0
            ports:
              - name: metrics
                containerPort: 8081
  workerGroupSpecs: []
"""

POLICY = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: head-ingress
  namespace: kuberay
spec:
  podSelector:
    matchLabels:
      ray.io/node-type: head
  policyTypes:
    - Ingress
  ingress:
    - ports:
"""


def test_ports_the_head_exposes_or_listens_on_pass(run_check: Callable[..., CheckRun]) -> None:
    # named container port, rayStartParams port, KubeRay default client port, a range
    ports = (
        "        - port: metrics\n        - port: 8266\n        - port: 10001\n"
        "        - port: 8000\n          endPort: 8100\n"
    )
    result = run_check(
        CHECK, {"t/raycluster.yaml": RAYCLUSTER, "t/networkpolicy.yaml": POLICY + ports}
    )
    assert result.rows() == []


def test_ingress_port_no_selected_pod_exposes_is_a_warning(
    run_check: Callable[..., CheckRun],
) -> None:
    ports = (
        "        - port: metrcs\n"
        "        - port: 9999\n"
        "        - protocol: UDP\n          port: 8081\n"
    )
    result = run_check(
        CHECK, {"t/raycluster.yaml": RAYCLUSTER, "t/networkpolicy.yaml": POLICY + ports}
    )
    assert result.rows() == [
        (CHECK, "head-ingress", ".spec.ingress[0].ports[0].port", "t/networkpolicy.yaml", 14),
        (CHECK, "head-ingress", ".spec.ingress[0].ports[1].port", "t/networkpolicy.yaml", 15),
        (CHECK, "head-ingress", ".spec.ingress[0].ports[2].port", "t/networkpolicy.yaml", 17),
    ]
    assert {f.severity for f in result.findings} == {Severity.WARNING}
    assert result.findings[0].message == (
        'ingress port "metrcs"/TCP is not exposed by any of the 1 pod template(s) the policy '
        'selects; their TCP container ports: "metrics"'
    )
