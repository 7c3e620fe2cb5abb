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
  name: {name}
  namespace: kuberay
spec:
  podSelector:
    matchLabels:
      ray.io/node-type: head
  policyTypes: [Egress]
  egress:
    - to:
        - ipBlock:
            cidr: {cidr}
      ports:
        - port: 443
"""
DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
  namespace: kuberay
spec:
  selector:
    matchLabels: {app: x}
  template:
    metadata:
      labels: {app: x}
    spec:
      containers:
        - name: x
          image: nginx:1
"""


def policy(name: str, cidr: str) -> str:
    return POLICY.format(name=name, cidr=cidr)


def test_the_api_server_endpoint_passes(run_check: Callable[..., CheckRun]) -> None:
    files = {"t/rc.yaml": RAYCLUSTER, "t/np.yaml": policy("api", "10.0.0.10/32")}
    assert run_check("netpol-egress-broad", files).rows() == []


def test_the_whole_internet_is_reported_at_the_rule(run_check: Callable[..., CheckRun]) -> None:
    files = {"t/rc.yaml": RAYCLUSTER, "t/np.yaml": policy("api", "0.0.0.0/0")}
    assert run_check("netpol-egress-broad", files).rows() == [
        ("netpol-egress-broad[internet]", "api", ".spec.egress[0].to", "t/np.yaml", 12)
    ]


def test_a_range_split_over_two_policies_is_the_whole(run_check: Callable[..., CheckRun]) -> None:
    files = {
        "t/rc.yaml": RAYCLUSTER,
        "t/a.yaml": policy("low", "0.0.0.0/1"),
        "t/b.yaml": policy("high", "128.0.0.0/1"),
    }
    got = run_check("netpol-egress-broad", files).rows()
    assert sorted((r[0], r[1]) for r in got) == [
        ("netpol-egress-broad[internet]", "high"),
        ("netpol-egress-broad[internet]", "low"),
    ]
    private = {"t/rc.yaml": RAYCLUSTER, "t/a.yaml": policy("low", "10.0.0.0/8")}
    assert run_check("netpol-egress-broad", private).rows() == []


def test_ipv6_everything_and_an_except_that_keeps_the_internet(
    run_check: Callable[..., CheckRun],
) -> None:
    v6 = {"t/rc.yaml": RAYCLUSTER, "t/np.yaml": policy("v6", "::/0")}
    assert [r[0] for r in run_check("netpol-egress-broad", v6).rows()] == [
        "netpol-egress-broad[internet]"
    ]
    carved = policy("x", "0.0.0.0/0").replace(
        "cidr: 0.0.0.0/0\n", "cidr: 0.0.0.0/0\n            except: [10.0.0.0/8]\n"
    )
    files = {"t/rc.yaml": RAYCLUSTER, "t/np.yaml": carved}
    assert [r[0] for r in run_check("netpol-egress-broad", files).rows()] == [
        "netpol-egress-broad[internet]"
    ]


def test_a_rule_without_to_allows_every_destination(run_check: Callable[..., CheckRun]) -> None:
    open_rule = policy("open", "10.0.0.1/32").replace(
        "    - to:\n        - ipBlock:\n            cidr: 10.0.0.1/32\n      ports:", "    - ports:"
    )
    files = {"t/rc.yaml": RAYCLUSTER, "t/np.yaml": open_rule}
    got = run_check("netpol-egress-broad", files).rows()
    assert [(r[0], r[2]) for r in got] == [("netpol-egress-broad[internet]", ".spec.egress[0]")]
    assert "every destination" in run_check("netpol-egress-broad", files).findings[0].message


def test_the_metadata_address_is_reported(run_check: Callable[..., CheckRun]) -> None:
    files = {"t/rc.yaml": RAYCLUSTER, "t/np.yaml": policy("md", "169.254.0.0/16")}
    assert [r[0] for r in run_check("netpol-egress-broad", files).rows()] == [
        "netpol-egress-broad[metadata]"
    ]
    carved = policy("md", "169.254.0.0/16").replace(
        "cidr: 169.254.0.0/16\n",
        "cidr: 169.254.0.0/16\n            except: [169.254.169.254/32, 169.254.170.23/32]\n",
    )
    assert (
        run_check("netpol-egress-broad", {"t/rc.yaml": RAYCLUSTER, "t/np.yaml": carved}).rows()
        == []
    )


def test_pods_other_than_ray_and_the_operator_are_not_judged(
    run_check: Callable[..., CheckRun],
) -> None:
    other = policy("web", "0.0.0.0/0").replace("ray.io/node-type: head", "app: x")
    files = {"t/app.yaml": DEPLOYMENT, "t/np.yaml": other}
    assert run_check("netpol-egress-broad", files).rows() == []


def test_most_of_the_internet_and_sloppy_cidrs_count(run_check: Callable[..., CheckRun]) -> None:
    for cidrs in (["0.0.0.0/1", "128.0.0.0/2", "192.0.0.0/3"], ["2000::/3"], ["00.0.0.0/0"]):
        files = {"t/rc.yaml": RAYCLUSTER}
        files.update({f"t/np{i}.yaml": policy(f"p{i}", c) for i, c in enumerate(cidrs)})
        got = {r[0] for r in run_check("netpol-egress-broad", files).rows()}
        assert got == {"netpol-egress-broad[internet]"}, cidrs


def test_eks_pod_identity_is_a_metadata_address(run_check: Callable[..., CheckRun]) -> None:
    files = {"t/rc.yaml": RAYCLUSTER, "t/np.yaml": policy("pi", "169.254.170.23/32")}
    assert [r[0] for r in run_check("netpol-egress-broad", files).rows()] == [
        "netpol-egress-broad[metadata]"
    ]
