from __future__ import annotations

from collections.abc import Callable

from tests.builders import Body, container, head_group, issues, pod, raycluster, to_yaml
from tests.conftest import CheckRun

CHECK = "pod-capabilities"


def _cluster(autoscaler_drop: str, *head_add: str) -> Body:
    """An autoscaling head-only RayCluster whose head drops ALL and adds `head_add`."""
    caps = {"capabilities": {"drop": ["ALL"], "add": list(head_add)}}
    return raycluster(
        head=head_group(ray={"securityContext": caps}),
        workers=[],
        enableInTreeAutoscaling=True,
        autoscalerOptions={"securityContext": {"capabilities": {"drop": [autoscaler_drop]}}},
    )


def test_drop_all_and_net_bind_service_pass() -> None:
    assert issues(CHECK, _cluster("ALL", "NET_BIND_SERVICE")) == []


def test_added_capability_and_partial_drop_are_errors(
    run_check: Callable[..., CheckRun],
) -> None:
    cluster = _cluster("NET_RAW", "NET_BIND_SERVICE", "SYS_ADMIN")
    result = run_check(CHECK, {"t/raycluster.yaml": to_yaml(cluster)})
    assert result.rows() == [
        (
            CHECK,
            "rc",
            ".spec.headGroupSpec.template.spec.containers[0].securityContext.capabilities.add[1]",
            "t/raycluster.yaml",
            20,
        ),
        (
            CHECK,
            "rc",
            ".spec.autoscalerOptions.securityContext.capabilities.drop",
            "t/raycluster.yaml",
            25,
        ),
    ]
    assert result.findings[0].message == (
        'container "ray-head" of the head group headgroup: adds capability "SYS_ADMIN"; '
        "only NET_BIND_SERVICE is allowed"
    )


def test_container_without_security_context_is_reported_at_the_container() -> None:
    debug = pod("debug", containers=[container("shell")])
    assert issues(CHECK, debug) == [
        (
            CHECK,
            "Pod/debug",
            ".spec.containers[0]",
            'container "shell" of the pod template: capabilities.drop does not include "ALL"',
        )
    ]
