from __future__ import annotations

from collections.abc import Callable

from tests.builders import Ports, head_group, issues, raycluster, rayjob, rayservice, to_yaml
from tests.conftest import CheckRun

CHECK = "ray-dashboard-port-name"
DASHBOARD = [(8265, "dashboard")]


def test_dashboard_port_named_dashboard_passes() -> None:
    head = head_group(ports=DASHBOARD)
    # A RayCluster is not submitted to through the dashboard: not checked.
    assert issues(CHECK, rayjob(head=head), rayservice("svc", head=head), raycluster()) == []


def test_a_head_declaring_no_port_gets_kuberays_dashboard_port() -> None:
    # service.go getServicePorts: no declared port, so the head Service has the defaults.
    assert issues(CHECK, rayjob()) == []


def test_misnamed_or_missing_dashboard_port_is_reported(
    run_check: Callable[..., CheckRun],
) -> None:
    metrics_only: Ports = [(8080, "metrics")]
    tree = {
        "t/rayjob.yaml": to_yaml(rayjob(head=head_group(ports=metrics_only))),
        "t/rayservice.yaml": to_yaml(rayservice("svc", head=head_group(ports=[(8265, "dash")]))),
    }
    assert run_check(CHECK, tree).rows() == [
        (
            CHECK,
            "job",
            ".spec.rayClusterSpec.headGroupSpec.template.spec.containers[0].ports",
            "t/rayjob.yaml",
            16,
        ),
        (
            CHECK,
            "svc",
            ".spec.rayClusterConfig.headGroupSpec.template.spec.containers[0].ports[0].name",
            "t/rayservice.yaml",
            16,
        ),
    ]
