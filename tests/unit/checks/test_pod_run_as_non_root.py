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


def _row(
    name: str, field: str, message: str, kind: str = "Deployment"
) -> tuple[str, str, str, str]:
    return (CHECK, f"{kind}/{name}", field, message)


SPEC = ".spec.template.spec"


def test_pod_level_run_as_non_root_covers_every_container() -> None:
    web = deployment("web", containers=[container("a"), container("b")], securityContext=NON_ROOT)
    assert issues(CHECK, web) == []


def test_every_container_setting_run_as_non_root_passes_without_the_pod() -> None:
    cs = [container("a", securityContext=NON_ROOT), container("b", securityContext=NON_ROOT)]
    assert issues(CHECK, deployment("web", containers=cs)) == []


def test_a_non_zero_run_as_user_is_not_root() -> None:
    a = container("a", securityContext={**NON_ROOT, "runAsUser": 1})
    web = deployment("web", containers=[a], securityContext={**NON_ROOT, "runAsUser": 1})
    assert issues(CHECK, web) == []


def test_container_run_as_user_zero_is_reported_at_the_container() -> None:
    a = container("a", securityContext={"runAsUser": 0})
    assert issues(CHECK, deployment("web", containers=[a], securityContext=NON_ROOT)) == [
        _row(
            "web",
            f"{SPEC}.containers[0].securityContext.runAsUser",
            'container "a" of the pod template runs as root: runAsUser is 0',
        )
    ]


def test_pod_run_as_non_root_false_is_reported_once_at_the_pod() -> None:
    web = deployment(
        "web", containers=[container("a"), container("b")], securityContext={"runAsNonRoot": False}
    )
    assert issues(CHECK, web) == [
        _row(
            "web",
            f"{SPEC}.securityContext.runAsNonRoot",
            "the pod template sets runAsNonRoot: false",
        )
    ]


def test_only_the_uncovered_containers_are_reported_each_at_its_own() -> None:
    cs = [container("a"), container("b", securityContext=NON_ROOT), container("c")]
    message = (
        'container "{}" of the pod template does not set runAsNonRoot: true '
        "and the pod does not either"
    )
    assert issues(CHECK, deployment("web", containers=cs)) == [
        _row("web", f"{SPEC}.containers[0]", message.format("a")),
        _row("web", f"{SPEC}.containers[2]", message.format("c")),
    ]


def test_a_container_false_is_not_also_reported_as_missing() -> None:
    cs = [container("a", securityContext={"runAsNonRoot": False}), container("b")]
    assert issues(CHECK, deployment("web", containers=cs)) == [
        _row(
            "web",
            f"{SPEC}.containers[0].securityContext.runAsNonRoot",
            'container "a" of the pod template sets runAsNonRoot: false',
        ),
        _row(
            "web",
            f"{SPEC}.containers[1]",
            'container "b" of the pod template does not set runAsNonRoot: true '
            "and the pod does not either",
        ),
    ]


def test_a_string_true_is_not_run_as_non_root() -> None:
    web = deployment(
        "web",
        containers=[container("a", securityContext={"runAsNonRoot": "true"})],
        securityContext={"runAsNonRoot": "false"},
    )
    assert issues(CHECK, web) == [
        _row(
            "web",
            f"{SPEC}.securityContext.runAsNonRoot",
            "the pod template does not set runAsNonRoot: true (neither the pod nor any container)",
        )
    ]


def test_every_pod_template_is_judged_after_a_reported_one() -> None:
    bad = deployment("a", securityContext={"runAsNonRoot": False})
    none = deployment("b")
    partial = deployment("c", containers=[container("x"), container("y", securityContext=NON_ROOT)])
    last = deployment("d")
    assert issues(CHECK, bad, none, partial, last) == [
        _row(
            "a", f"{SPEC}.securityContext.runAsNonRoot", "the pod template sets runAsNonRoot: false"
        ),
        _row(
            "b",
            SPEC,
            "the pod template does not set runAsNonRoot: true (neither the pod nor any container)",
        ),
        _row(
            "c",
            f"{SPEC}.containers[0]",
            'container "x" of the pod template does not set runAsNonRoot: true '
            "and the pod does not either",
        ),
        _row(
            "d",
            SPEC,
            "the pod template does not set runAsNonRoot: true (neither the pod nor any container)",
        ),
    ]


def test_run_as_user_zero_on_pod_and_container_with_run_as_non_root_false_everywhere() -> None:
    a = container("a", securityContext={"runAsUser": 0, "runAsNonRoot": False})
    web = deployment("web", containers=[a], securityContext={"runAsUser": 0, "runAsNonRoot": False})
    assert issues(CHECK, web) == [
        _row(
            "web",
            f"{SPEC}.securityContext.runAsUser",
            "the pod template runs as root: runAsUser is 0",
        ),
        _row(
            "web",
            f"{SPEC}.securityContext.runAsNonRoot",
            "the pod template sets runAsNonRoot: false",
        ),
        _row(
            "web",
            f"{SPEC}.containers[0].securityContext.runAsUser",
            'container "a" of the pod template runs as root: runAsUser is 0',
        ),
        _row(
            "web",
            f"{SPEC}.containers[0].securityContext.runAsNonRoot",
            'container "a" of the pod template sets runAsNonRoot: false',
        ),
    ]


def test_a_container_value_other_than_true_is_reported_at_its_run_as_non_root() -> None:
    cs = [
        container("a", securityContext={"runAsNonRoot": "true"}),
        container("b", securityContext=NON_ROOT),
    ]
    assert issues(CHECK, deployment("web", containers=cs)) == [
        _row(
            "web",
            f"{SPEC}.containers[0].securityContext.runAsNonRoot",
            'container "a" of the pod template does not set runAsNonRoot: true '
            "and the pod does not either",
        )
    ]
