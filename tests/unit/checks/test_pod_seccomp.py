from __future__ import annotations

from collections.abc import Callable

from tests.builders import (
    Body,
    container,
    cronjob,
    deployment,
    head_group,
    issues,
    raycluster,
    to_yaml,
)
from tests.conftest import CheckRun

CHECK = "pod-seccomp"


def _seccomp(kind: str, **profile: str) -> dict[str, object]:
    return {"seccompProfile": {"type": kind, **profile}}


def _cluster(autoscaler: str) -> Body:
    """A head-only autoscaling RayCluster whose pod runs RuntimeDefault."""
    return raycluster(
        head=head_group(securityContext=_seccomp("RuntimeDefault")),
        workers=[],
        enableInTreeAutoscaling=True,
        autoscalerOptions={"securityContext": _seccomp(autoscaler)},
    )


def test_pod_level_runtime_default_passes() -> None:
    assert issues(CHECK, _cluster("RuntimeDefault")) == []


def test_unconfined_autoscaler_sidecar_overrides_the_pod_profile(
    run_check: Callable[..., CheckRun],
) -> None:
    result = run_check(CHECK, {"t/raycluster.yaml": to_yaml(_cluster("Unconfined"))})
    assert result.rows() == [
        (
            CHECK,
            "rc",
            ".spec.autoscalerOptions.securityContext.seccompProfile.type",
            "t/raycluster.yaml",
            21,
        )
    ]


def test_a_container_without_profile_is_reported_when_the_pod_has_none() -> None:
    web = container(
        "web",
        securityContext=_seccomp("Localhost", localhostProfile="profiles/web.json"),
    )
    assert issues(CHECK, deployment("web", containers=[web, container("helper")])) == [
        (
            CHECK,
            "Deployment/web",
            ".spec.template.spec.containers[1]",
            'container "helper" of the pod template sets no seccompProfile and the pod does not '
            "either",
        )
    ]


def test_unconfined_pod_profile_is_an_error() -> None:
    nightly = cronjob("nightly", securityContext=_seccomp("Unconfined"))
    assert issues(CHECK, nightly) == [
        (
            CHECK,
            "CronJob/nightly",
            ".spec.jobTemplate.spec.template.spec.securityContext.seccompProfile.type",
            'the pod template sets seccompProfile.type "Unconfined"; expected RuntimeDefault or '
            "Localhost",
        )
    ]


def test_no_profile_anywhere_is_one_finding_at_the_pod() -> None:
    web = deployment("web", containers=[container("web"), container("helper")])
    assert issues(CHECK, web) == [
        (
            CHECK,
            "Deployment/web",
            ".spec.template.spec",
            "the pod template sets no seccompProfile (neither the pod nor any container)",
        )
    ]


def test_an_empty_pod_security_context_is_located_at_it() -> None:
    web = deployment("web", securityContext={"runAsNonRoot": True})
    assert [row[2] for row in issues(CHECK, web)] == [".spec.template.spec.securityContext"]


def test_a_pod_profile_covers_containers_without_one() -> None:
    for kind in ("RuntimeDefault", "Localhost"):
        web = deployment("web", containers=[container("web")], securityContext=_seccomp(kind))
        assert issues(CHECK, web) == []


def test_every_container_with_its_own_profile_passes_without_a_pod_profile() -> None:
    pods = [container(n, securityContext=_seccomp("RuntimeDefault")) for n in ("a", "b")]
    assert issues(CHECK, deployment("web", containers=pods)) == []


def test_an_unconfined_container_under_a_good_pod_profile_is_reported_at_its_type() -> None:
    pods = [container("web"), container("debug", securityContext=_seccomp("Unconfined"))]
    web = deployment("web", containers=pods, securityContext=_seccomp("RuntimeDefault"))
    assert issues(CHECK, web) == [
        (
            CHECK,
            "Deployment/web",
            ".spec.template.spec.containers[1].securityContext.seccompProfile.type",
            'container "debug" of the pod template sets seccompProfile.type "Unconfined"; '
            "expected RuntimeDefault or Localhost",
        )
    ]


def test_an_unconfined_pod_with_bare_containers_is_reported_once() -> None:
    web = deployment("web", containers=[container("web")], securityContext=_seccomp("Unconfined"))
    assert [row[2] for row in issues(CHECK, web)] == [
        ".spec.template.spec.securityContext.seccompProfile.type"
    ]


def test_every_container_missing_beside_one_set_is_reported() -> None:
    pods = [
        container("a"),
        container("b", securityContext=_seccomp("RuntimeDefault")),
        container("c"),
    ]
    assert [(row[2], row[3]) for row in issues(CHECK, deployment("web", containers=pods))] == [
        (
            ".spec.template.spec.containers[0]",
            'container "a" of the pod template sets no seccompProfile and the pod does not either',
        ),
        (
            ".spec.template.spec.containers[2]",
            'container "c" of the pod template sets no seccompProfile and the pod does not either',
        ),
    ]


def test_findings_are_located_at_the_deepest_field_that_exists() -> None:
    pod_empty = deployment("a", containers=[container("a")], securityContext={"seccompProfile": {}})
    partial = container("b", securityContext={"seccompProfile": {"localhostProfile": "p.json"}})
    other = container("c", securityContext={"runAsNonRoot": True})
    ok = container("d", securityContext=_seccomp("RuntimeDefault"))
    found = issues(CHECK, pod_empty, deployment("b", containers=[partial, other, ok]))
    assert [(row[1], row[2]) for row in found] == [
        ("Deployment/a", ".spec.template.spec.securityContext.seccompProfile"),
        ("Deployment/b", ".spec.template.spec.containers[0].securityContext.seccompProfile"),
        ("Deployment/b", ".spec.template.spec.containers[1].securityContext"),
    ]


def test_every_pod_is_judged_after_a_compliant_one() -> None:
    good = deployment("good", securityContext=_seccomp("RuntimeDefault"))
    assert [row[1] for row in issues(CHECK, good, deployment("bad"))] == ["Deployment/bad"]
