from __future__ import annotations

from collections.abc import Callable

from tests.builders import (
    Body,
    container,
    deployment,
    head_group,
    issues,
    raycluster,
    to_yaml,
    worker_group,
)
from tests.conftest import CheckRun

CHECK = "pod-privilege-escalation"
NO_ESCALATION = {"securityContext": {"allowPrivilegeEscalation": False}}


def _cluster(explicit: bool) -> Body:
    """An autoscaling RayCluster; `explicit`: the worker and the autoscaler set false too."""
    return raycluster(
        head=head_group(ray=NO_ESCALATION),
        workers=[worker_group(ray=NO_ESCALATION if explicit else None, min_replicas=0)],
        enableInTreeAutoscaling=True,
        autoscalerOptions=NO_ESCALATION if explicit else None,
    )


def test_explicit_false_everywhere_passes() -> None:
    assert issues(CHECK, _cluster(explicit=True)) == []


def test_unset_worker_and_autoscaler_sidecar_are_errors(
    run_check: Callable[..., CheckRun],
) -> None:
    result = run_check(CHECK, {"t/raycluster.yaml": to_yaml(_cluster(explicit=False))})
    assert result.rows() == [
        (
            CHECK,
            "rc",
            ".spec.workerGroupSpecs[0].template.spec.containers[0]",
            "t/raycluster.yaml",
            24,
        ),
        (CHECK, "rc", ".spec.enableInTreeAutoscaling", "t/raycluster.yaml", 26),
    ]
    assert [f.message for f in result.findings] == [
        'container "ray-worker" of the worker group cpu: '
        "allowPrivilegeEscalation is not set to false",
        "the autoscaler sidecar (autoscalerOptions) of the head group headgroup: "
        "allowPrivilegeEscalation is not set to false",
    ]


def test_true_on_a_deployment_is_an_error() -> None:
    web = container("web", securityContext={"allowPrivilegeEscalation": True})
    assert issues(CHECK, deployment("web", containers=[web])) == [
        (
            CHECK,
            "Deployment/web",
            ".spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation",
            'container "web" of the pod template: allowPrivilegeEscalation is true',
        )
    ]
