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
    rayStartParams: {}
    template:
      spec:
        containers:
          - name: ray-head
            image: rayproject/ray:2.55.1
"""
POLICY = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: intra
  namespace: kuberay
spec:
  podSelector:
    matchLabels:
      ray.io/cluster: rc
  policyTypes: [Ingress]
  ingress:
    - from:
        - podSelector:
            matchLabels:
              ray.io/is-ray-node: "yes"
{pin}      ports:
        - protocol: TCP
          port: 6379
"""


def test_policy_pinned_to_one_cluster_and_generated_token_pass(
    run_check: Callable[..., CheckRun],
) -> None:
    files = {
        "t/raycluster.yaml": RAYCLUSTER,
        "t/networkpolicy.yaml": POLICY.format(pin="              ray.io/cluster: rc\n"),
    }
    assert run_check("ray-cluster-isolation", files).rows() == []


def test_peer_of_any_ray_cluster_is_reported(run_check: Callable[..., CheckRun]) -> None:
    files = {"t/raycluster.yaml": RAYCLUSTER, "t/networkpolicy.yaml": POLICY.format(pin="")}
    assert run_check("ray-cluster-isolation", files).rows() == [
        (
            "ray-cluster-isolation[netpol]",
            "intra",
            ".spec.ingress[0].from[0].podSelector",
            "t/networkpolicy.yaml",
            13,
        )
    ]


def test_token_secret_not_named_after_its_cluster_is_reported(
    run_check: Callable[..., CheckRun],
) -> None:
    text = RAYCLUSTER.replace(
        "    mode: token\n", "    mode: token\n    secretName: ray-auth-token\n"
    )
    assert run_check("ray-cluster-isolation", {"t/raycluster.yaml": text}).rows() == [
        (
            "ray-cluster-isolation[token]",
            "rc",
            ".spec.authOptions.secretName",
            "t/raycluster.yaml",
            9,
        )
    ]


def test_submitter_token_from_another_secret_is_reported(
    run_check: Callable[..., CheckRun],
) -> None:
    job = """\
apiVersion: ray.io/v1
kind: RayJob
metadata:
  name: job
  namespace: kuberay
spec:
  entrypoint: python x.py
  submitterPodTemplate:
    spec:
      restartPolicy: Never
      containers:
        - name: submitter
          image: rayproject/ray:2.55.1
          env:
            - name: RAY_AUTH_TOKEN
              valueFrom:
                secretKeyRef: {name: ray-auth-token, key: auth_token}
  rayClusterSpec:
    authOptions:
      mode: token
    headGroupSpec:
      rayStartParams: {}
      template:
        spec:
          containers:
            - name: ray-head
              image: rayproject/ray:2.55.1
"""
    assert run_check("ray-cluster-isolation", {"t/rayjob.yaml": job}).rows() == [
        (
            "ray-cluster-isolation[token]",
            "job",
            ".spec.submitterPodTemplate.spec.containers[0].env[0]",
            "t/rayjob.yaml",
            15,
        )
    ]
