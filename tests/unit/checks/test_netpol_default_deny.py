from __future__ import annotations

from collections.abc import Callable, Sequence

from tests.builders import Body, issues, netpol, raycluster, to_yaml
from tests.conftest import CheckRun

CHECK = "netpol-default-deny"
RAYCLUSTER = raycluster(workers=[])
EXEMPT_T = {"exempt_targets": ["t"]}
EGRESS_ONLY = (
    f"{CHECK}[ingress]",
    "NetworkPolicy/ray-default-deny",
    ".spec.policyTypes",
    'namespace "apps" holds Ray pods but has no default-deny for ingress: the default-deny '
    'NetworkPolicy "ray-default-deny" denies only egress (its policyTypes leave out Ingress)',
)


def _deny(
    types: Sequence[str] = ("Ingress", "Egress"), ingress: Sequence[dict[str, object]] = ()
) -> Body:
    return netpol("ray-default-deny", types=types, ingress=ingress)


def test_default_deny_for_ingress_and_egress_passes() -> None:
    assert issues(CHECK, RAYCLUSTER, _deny()) == []


def test_ray_namespace_without_default_deny_is_an_error_per_direction(
    run_check: Callable[..., CheckRun],
) -> None:
    result = run_check(CHECK, {"t/raycluster.yaml": to_yaml(RAYCLUSTER)})
    assert result.rows() == [
        (f"{CHECK}[egress]", "rc", ".metadata.namespace", "t/raycluster.yaml", 5),
        (f"{CHECK}[ingress]", "rc", ".metadata.namespace", "t/raycluster.yaml", 5),
    ]
    assert result.findings[1].message == (
        'namespace "apps" holds Ray pods (RayCluster/apps/rc head group headgroup) but no '
        "NetworkPolicy denies ingress by default (podSelector: {}, Ingress in policyTypes, no "
        "ingress rules)"
    )


def test_an_egress_only_default_deny_is_an_error_at_its_policy_types() -> None:
    assert issues(CHECK, RAYCLUSTER, _deny(["Egress"])) == [EGRESS_ONLY]


def test_an_allow_all_rule_in_the_default_deny_is_an_error_at_the_rules(
    run_check: Callable[..., CheckRun],
) -> None:
    tree = {
        "t/raycluster.yaml": to_yaml(RAYCLUSTER),
        "t/networkpolicy-ray-default-deny.yaml": to_yaml(_deny(ingress=[{}])),
    }
    assert run_check(CHECK, tree).rows() == [
        (
            f"{CHECK}[ingress]",
            "ray-default-deny",
            ".spec.ingress",
            "t/networkpolicy-ray-default-deny.yaml",
            11,
        )
    ]


def test_an_exempt_target_relies_on_another_unit_default_deny() -> None:
    assert issues(CHECK, RAYCLUSTER, options=EXEMPT_T) == []


def test_an_exempt_target_own_default_deny_must_cover_both_directions() -> None:
    assert issues(CHECK, RAYCLUSTER, _deny(["Egress"]), options=EXEMPT_T) == [EGRESS_ONLY]
