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


def test_the_messages_name_the_noun_and_every_namespace_sorted() -> None:
    head = service_monitor(
        "ray-head",
        "monitoring",
        selector={"matchLabels": {"ray.io/node-type": "haed"}},
        namespaceSelector={"matchNames": ["zeta", "apps"]},
    )
    assert issues(CHECK, RAYCLUSTER, head, _worker_monitor("wroker")) == [
        (
            CHECK,
            "ServiceMonitor/ray-head",
            ".spec.selector",
            'selector matches no Service in namespace "apps", "zeta" of this target',
        ),
        (
            CHECK,
            "PodMonitor/ray-workers",
            ".spec.selector",
            'selector matches no pod in namespace "apps" of this target',
        ),
    ]


def test_a_monitor_of_any_namespace_says_so() -> None:
    anywhere = pod_monitor(
        "ray-workers",
        "monitoring",
        selector={"matchLabels": {"ray.io/node-type": "wroker"}},
        namespaceSelector={"any": True},
    )
    assert [row[3] for row in issues(CHECK, RAYCLUSTER, anywhere)] == [
        "selector matches no pod in any namespace of this target"
    ]
    found = pod_monitor(
        "ray-workers",
        "monitoring",
        selector={"matchLabels": {"ray.io/node-type": "worker"}},
        namespaceSelector={"any": True},
    )
    assert issues(CHECK, RAYCLUSTER, found) == []
