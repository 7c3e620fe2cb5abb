from __future__ import annotations

from collections.abc import Callable

from tests.conftest import CheckRun

CHECK = "netpol-default-deny"

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
"""

DEFAULT_DENY = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: ray-default-deny
  namespace: kuberay
spec:
  podSelector: {}
  policyTypes:
"""
BOTH = "    - Ingress\n    - Egress\n"
EGRESS_ONLY = "    - Egress\n"
EXEMPT_T = "checks:\n  netpol-default-deny:\n    options:\n      exempt_targets: [t]\n"


def tree(policy: str | None) -> dict[str, str]:
    files = {"t/raycluster.yaml": RAYCLUSTER}
    if policy is not None:
        files["t/networkpolicy-ray-default-deny.yaml"] = policy
    return files


def test_default_deny_for_ingress_and_egress_passes(run_check: Callable[..., CheckRun]) -> None:
    assert run_check(CHECK, tree(DEFAULT_DENY + BOTH)).rows() == []


def test_ray_namespace_without_default_deny_is_an_error_per_direction(
    run_check: Callable[..., CheckRun],
) -> None:
    result = run_check(CHECK, tree(None))
    assert result.rows() == [
        ("netpol-default-deny[egress]", "rc", ".metadata.namespace", "t/raycluster.yaml", 5),
        ("netpol-default-deny[ingress]", "rc", ".metadata.namespace", "t/raycluster.yaml", 5),
    ]
    assert result.findings[1].message == (
        'namespace "kuberay" holds Ray pods (RayCluster/kuberay/rc head group headgroup) but no '
        "NetworkPolicy denies ingress by default (podSelector: {}, Ingress in policyTypes, no "
        "ingress rules)"
    )


def test_an_egress_only_default_deny_is_an_error_at_its_policy_types(
    run_check: Callable[..., CheckRun],
) -> None:
    result = run_check(CHECK, tree(DEFAULT_DENY + EGRESS_ONLY))
    assert result.rows() == [
        (
            "netpol-default-deny[ingress]",
            "ray-default-deny",
            ".spec.policyTypes",
            "t/networkpolicy-ray-default-deny.yaml",
            8,
        )
    ]


def test_an_allow_all_rule_in_the_default_deny_is_an_error_at_the_rules(
    run_check: Callable[..., CheckRun],
) -> None:
    policy = DEFAULT_DENY + BOTH + "  ingress:\n    - {}\n"
    assert run_check(CHECK, tree(policy)).rows() == [
        (
            "netpol-default-deny[ingress]",
            "ray-default-deny",
            ".spec.ingress",
            "t/networkpolicy-ray-default-deny.yaml",
            11,
        )
    ]


def test_an_exempt_target_relies_on_another_unit_default_deny(
    run_check: Callable[..., CheckRun],
) -> None:
    assert run_check(CHECK, tree(None), config_extra=EXEMPT_T).rows() == []


def test_an_exempt_target_own_default_deny_must_cover_both_directions(
    run_check: Callable[..., CheckRun],
) -> None:
    result = run_check(CHECK, tree(DEFAULT_DENY + EGRESS_ONLY), config_extra=EXEMPT_T)
    assert [(r[0], r[2]) for r in result.rows()] == [
        ("netpol-default-deny[ingress]", ".spec.policyTypes")
    ]
