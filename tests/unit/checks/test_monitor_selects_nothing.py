from __future__ import annotations

from collections.abc import Callable

from tests.builders import (
    Body,
    head_group,
    issues,
    pod_monitor,
    raycluster,
    service_monitor,
    to_yaml,
)
from tests.conftest import CheckRun

CHECK = "monitor-selects-nothing"
RAYCLUSTER = raycluster(head=head_group(ports=[(8080, "metrics")]))


def _head_monitor(namespace: str) -> Body:
    """Selects KubeRay's generated head Service rc-head-svc (not in the rendered output)."""
    selector = {
        "matchLabels": {"ray.io/node-type": "head"},
        "matchExpressions": [{"key": "ray.io/cluster", "operator": "Exists"}],
    }
    return service_monitor(
        "ray-head",
        "monitoring",
        selector=selector,
        namespaceSelector={"matchNames": [namespace]},
    )


def _worker_monitor(node_type: str) -> Body:
    return pod_monitor("ray-workers", selector={"matchLabels": {"ray.io/node-type": node_type}})


def test_monitors_selecting_the_kuberay_head_service_and_workers_pass() -> None:
    assert issues(CHECK, RAYCLUSTER, _head_monitor("apps"), _worker_monitor("worker")) == []


def test_monitors_selecting_nothing_are_errors(run_check: Callable[..., CheckRun]) -> None:
    result = run_check(
        CHECK,
        {
            "t/raycluster.yaml": to_yaml(RAYCLUSTER),
            "t/servicemonitor.yaml": to_yaml(_head_monitor("aps")),
            "t/podmonitor.yaml": to_yaml(_worker_monitor("wroker")),
        },
    )
    assert result.rows() == [
        (CHECK, "ray-workers", ".spec.selector", "t/podmonitor.yaml", 7),
        (CHECK, "ray-head", ".spec.selector", "t/servicemonitor.yaml", 7),
    ]
    assert result.findings[1].message == (
        'selector matches no Service in namespace "aps" of this target'
    )
