from __future__ import annotations

from collections.abc import Callable

from tests.builders import (
    Ports,
    head_group,
    issues,
    raycluster,
    rayjob,
    rayservice,
    to_yaml,
    worker_group,
)
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


JOB_HEAD = ".spec.rayClusterSpec.headGroupSpec.template.spec.containers[0]"


def _job_head(ports: Ports, **params: str) -> list[tuple[str, str, str, str]]:
    return issues(CHECK, rayjob(head=head_group(ports=ports, params=params)))


def test_the_message_names_the_kind_and_the_head_container() -> None:
    assert _job_head([(8080, "metrics")]) == [
        (
            CHECK,
            "RayJob/job",
            f"{JOB_HEAD}.ports",
            'RayJob head container "ray-head" declares no port named "dashboard"',
        )
    ]


def test_the_misnamed_port_is_found_at_the_dashboard_port_of_ray_start_params() -> None:
    ports: Ports = [(8080, "metrics"), (8266, "dash"), (8265, "other")]
    assert [row[2] for row in _job_head(ports, **{"dashboard-port": "8266"})] == [
        f"{JOB_HEAD}.ports[1].name"
    ]
    assert [row[2] for row in _job_head(ports)] == [f"{JOB_HEAD}.ports[2].name"]


def test_an_unnamed_dashboard_port_is_located_at_its_entry() -> None:
    assert [row[2] for row in _job_head([8080, 8265])] == [f"{JOB_HEAD}.ports[1]"]


def test_worker_groups_are_not_judged() -> None:
    job = rayjob(head=head_group(ports=DASHBOARD), workers=[worker_group(ports=[(8080, "m")])])
    assert issues(CHECK, job) == []
