from __future__ import annotations

from collections.abc import Callable

from tests.builders import (
    Body,
    container,
    deployment,
    head_group,
    issues,
    job,
    ray_container,
    raycluster,
    to_yaml,
    worker_group,
)
from tests.conftest import CheckRun

CHECK = "pod-run-as-non-root"
NON_ROOT = {"runAsNonRoot": True}


def _cluster(*workers: Body) -> Body:
    """An autoscaling RayCluster whose head pod runs as non-root user 1000."""
    head = head_group(securityContext={**NON_ROOT, "runAsUser": 1000})
    return raycluster(head=head, workers=workers, enableInTreeAutoscaling=True)


def test_pod_level_run_as_non_root_covers_the_autoscaler_sidecar() -> None:
    assert issues(CHECK, _cluster()) == []


def test_a_container_not_covered_by_the_pod_is_reported_alone(
    run_check: Callable[..., CheckRun],
) -> None:
    workers = worker_group(
        "cpu", ray_container("sidecar"), ray={"securityContext": NON_ROOT}, min_replicas=0
    )
    result = run_check(CHECK, {"t/raycluster.yaml": to_yaml(_cluster(workers))})
    assert result.rows() == [
        (
            CHECK,
            "rc",
            ".spec.workerGroupSpecs[0].template.spec.containers[1]",
            "t/raycluster.yaml",
            29,
        )
    ]
    assert result.findings[0].message == (
        'container "sidecar" of the worker group cpu does not set runAsNonRoot: true '
        "and the pod does not either"
    )


def test_run_as_user_zero_and_container_override_to_false_are_errors() -> None:
    web = container("web", securityContext={"runAsNonRoot": False})
    pod_context = {**NON_ROOT, "runAsUser": 0}
    assert issues(CHECK, deployment("web", containers=[web], securityContext=pod_context)) == [
        (
            CHECK,
            "Deployment/web",
            ".spec.template.spec.securityContext.runAsUser",
            "the pod template runs as root: runAsUser is 0",
        ),
        (
            CHECK,
            "Deployment/web",
            ".spec.template.spec.containers[0].securityContext.runAsNonRoot",
            'container "web" of the pod template sets runAsNonRoot: false',
        ),
    ]


def test_no_setting_anywhere_is_one_finding_at_the_pod_spec() -> None:
    once = job("once", containers=[container("a"), container("b")])
    assert issues(CHECK, once) == [
        (
            CHECK,
            "Job/once",
            ".spec.template.spec",
            "the pod template does not set runAsNonRoot: true (neither the pod nor any container)",
        )
    ]
