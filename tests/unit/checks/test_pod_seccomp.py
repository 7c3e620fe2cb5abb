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
