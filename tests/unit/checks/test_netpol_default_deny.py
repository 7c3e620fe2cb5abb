from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

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


def _missing(
    direction: str,
    namespace: str = "apps",
    field: str = ".metadata.namespace",
    ref: str = "RayCluster/apps/rc",
) -> Any:
    word = direction.lower()
    return (
        f"{CHECK}[{word}]",
        "RayCluster/rc",
        field,
        f'namespace "{namespace}" holds Ray pods ({ref} head group headgroup) but no '
        f"NetworkPolicy denies {word} by default (podSelector: {{}}, "
        f"{direction} in policyTypes, no {word} rules)",
    )


def _only(denied: str, field: str, why: str) -> tuple[str, str, str, str]:
    """The finding for the other direction at a default-deny that denies only `denied`."""
    missing = "Egress" if denied == "ingress" else "Ingress"
    return (
        f"{CHECK}[{missing.lower()}]",
        "NetworkPolicy/ray-default-deny",
        field,
        f'namespace "apps" holds Ray pods but has no default-deny for {missing.lower()}: the '
        f'default-deny NetworkPolicy "ray-default-deny" denies only {denied} ({why})',
    )


def test_an_ingress_only_default_deny_is_an_error_at_its_policy_types() -> None:
    assert issues(CHECK, RAYCLUSTER, _deny(["Ingress"])) == [
        _only("ingress", ".spec.policyTypes", "its policyTypes leave out Egress")
    ]


def test_without_policy_types_a_default_deny_denies_only_ingress() -> None:
    """The API server infers Ingress alone for a policy without egress rules."""
    assert issues(CHECK, RAYCLUSTER, netpol("ray-default-deny", types=None)) == [
        _only("ingress", ".spec", "its policyTypes leave out Egress")
    ]


def test_an_egress_rule_in_the_default_deny_is_an_error_at_the_rules() -> None:
    deny = netpol("ray-default-deny", egress=[{"ports": [{"port": 443}]}])
    assert issues(CHECK, RAYCLUSTER, deny) == [
        _only("ingress", ".spec.egress", "its egress rules allow traffic")
    ]


def test_a_policy_selecting_some_pods_is_no_default_deny() -> None:
    heads = netpol("heads", selector={"matchLabels": {"ray.io/node-type": "head"}})
    assert issues(CHECK, RAYCLUSTER, heads) == [_missing("Ingress"), _missing("Egress")]


def test_a_default_deny_of_another_namespace_does_not_count() -> None:
    assert issues(CHECK, RAYCLUSTER, netpol("deny", namespace="other")) == [
        _missing("Ingress"),
        _missing("Egress"),
    ]


def test_a_ray_object_without_a_namespace_is_reported_at_its_metadata() -> None:
    cluster = raycluster(workers=[])
    del cluster["metadata"]["namespace"]
    assert issues(CHECK, cluster) == [
        _missing("Ingress", "default", ".metadata", "RayCluster/rc"),
        _missing("Egress", "default", ".metadata", "RayCluster/rc"),
    ]


def test_exempt_targets_are_globs_or_mappings_naming_the_target() -> None:
    for exempt in (["t*"], [{"target": "t", "reason": "default-deny in overlays/dev"}]):
        assert issues(CHECK, RAYCLUSTER, options={"exempt_targets": exempt}) == [], exempt
    for other in (["apps/*"], [{"target": "u"}], [{"reason": "no target"}], [7]):
        assert issues(CHECK, RAYCLUSTER, options={"exempt_targets": other}) == [
            _missing("Ingress"),
            _missing("Egress"),
        ], other


def test_an_exempt_target_judges_every_namespace_after_one_without_default_deny() -> None:
    other = raycluster("rc", namespace="other", workers=[])
    found = issues(CHECK, other, RAYCLUSTER, _deny(["Egress"]), options=EXEMPT_T)
    assert found == [EGRESS_ONLY]
