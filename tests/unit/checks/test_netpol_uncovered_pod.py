from __future__ import annotations

from collections.abc import Callable

from tests.conftest import CheckRun

CHECK = "netpol-uncovered-pod"

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

DEFAULT_DENY = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny
  namespace: kuberay
spec:
  podSelector: {}
  policyTypes:
    - Ingress
    - Egress
"""

INTRA_CLUSTER = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: intra-cluster
  namespace: kuberay
spec:
  podSelector:
    matchLabels:
      ray.io/is-ray-node: "yes"
  policyTypes:
    - Ingress
    - Egress
  ingress:
    - from:
        - podSelector:
            matchLabels:
              ray.io/is-ray-node: "yes"
  egress:
    - to:
        - podSelector:
            matchLabels:
              ray.io/is-ray-node: "yes"
"""

HEAD_INGRESS = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: head-ingress
  namespace: kuberay
spec:
  podSelector:
    matchLabels:
      ray.io/node-type: head
  ingress:
    - ports:
        - port: 10001
"""

DNS_ONLY = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: egress-dns
  namespace: kuberay
spec:
  podSelector: {}
  policyTypes:
    - Egress
  egress:
    - ports:
        - protocol: UDP
          port: 53
        - protocol: TCP
          port: 53
"""


def test_ray_pods_selected_by_an_allow_policy_pass(run_check: Callable[..., CheckRun]) -> None:
    result = run_check(
        CHECK,
        {
            "t/raycluster.yaml": RAYCLUSTER,
            "t/networkpolicy-default-deny.yaml": DEFAULT_DENY,
            "t/networkpolicy-intra-cluster.yaml": INTRA_CLUSTER,
        },
    )
    assert result.rows() == []


def test_without_default_deny_nothing_is_required(run_check: Callable[..., CheckRun]) -> None:
    result = run_check(
        CHECK, {"t/raycluster.yaml": RAYCLUSTER, "t/networkpolicy-head.yaml": HEAD_INGRESS}
    )
    assert result.rows() == []


def test_ray_group_no_allow_policy_selects_is_cut_off(run_check: Callable[..., CheckRun]) -> None:
    result = run_check(
        CHECK,
        {
            "t/raycluster.yaml": RAYCLUSTER,
            "t/networkpolicy-default-deny.yaml": DEFAULT_DENY,
            "t/networkpolicy-head-ingress.yaml": HEAD_INGRESS,
            "t/networkpolicy-egress-dns.yaml": DNS_ONLY,
        },
    )
    # ingress: the head is covered, the workers are not; egress: DNS-only does not count
    assert result.rows() == [
        (f"{CHECK}[egress]", "rc", ".spec.headGroupSpec", "t/raycluster.yaml", 7),
        (f"{CHECK}[egress]", "rc", ".spec.workerGroupSpecs[0]", "t/raycluster.yaml", 15),
        (f"{CHECK}[ingress]", "rc", ".spec.workerGroupSpecs[0]", "t/raycluster.yaml", 15),
    ]
    assert result.findings[2].message == (
        "RayCluster/kuberay/rc worker group cpu: ingress is denied by default-deny "
        'NetworkPolicy "default-deny" and no other NetworkPolicy selecting it allows ingress'
    )
