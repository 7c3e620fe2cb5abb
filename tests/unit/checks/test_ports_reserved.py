from __future__ import annotations

from collections.abc import Callable

from tests.builders import (
    Body,
    head_group,
    issues,
    raycluster,
    rayservice,
    to_yaml,
    worker_group,
)
from tests.conftest import CheckRun

CHECK = "ports-reserved"
MOVED = {
    "port": "6380",
    "ray-client-server-port": "20001",
    "dashboard-port": "8266",
    "metrics-export-port": "9090",
}


def _cluster(
    gcs: str = "6380", dashboard: int = 8266, worker_params: dict[str, str] | None = None
) -> Body:
    """Ray moved off every reserved port (the head's rayStartParams.port: `gcs`), the head
    declaring where it listens (dashboard: `dashboard`)."""
    ports = [(6380, "gcs-server"), (20001, "client"), (dashboard, "dashboard"), (9090, "metrics")]
    if worker_params is None:
        worker_params = {"metrics-export-port": "9090"}
    return raycluster(
        head=head_group(ports=ports, params={**MOVED, "port": gcs}),
        workers=[worker_group(params=worker_params)],
    )


def test_ray_moved_off_every_reserved_port_passes() -> None:
    assert issues(CHECK, _cluster()) == []


def test_reserved_port_is_reported_at_param_container_port_or_missing_override(
    run_check: Callable[..., CheckRun],
) -> None:
    cluster = _cluster(gcs="8000", dashboard=8265, worker_params={})
    result = run_check(CHECK, {"t/raycluster.yaml": to_yaml(cluster)})
    assert result.rows() == [
        (CHECK, "rc", ".spec.headGroupSpec.rayStartParams.port", "t/raycluster.yaml", 9),
        (
            CHECK,
            "rc",
            ".spec.headGroupSpec.template.spec.containers[0].ports[2].containerPort",
            "t/raycluster.yaml",
            24,
        ),
        (
            f"{CHECK}[implied]",
            "rc",
            ".spec.workerGroupSpecs[0].rayStartParams",
            "t/raycluster.yaml",
            31,
        ),
    ]


def test_reserved_ports_come_from_the_option() -> None:
    assert issues(CHECK, _cluster(), options={"reserved": [9090]}) == [
        (
            CHECK,
            "RayCluster/rc",
            ".spec.headGroupSpec.rayStartParams.metrics-export-port",
            "head group headgroup: rayStartParams metrics-export-port uses port 9090, which the "
            "platform reserves",
        ),
        (
            CHECK,
            "RayCluster/rc",
            ".spec.workerGroupSpecs[0].rayStartParams.metrics-export-port",
            "worker group cpu: rayStartParams metrics-export-port uses port 9090, which the "
            "platform reserves",
        ),
    ]


def test_serve_listening_on_a_reserved_port_is_reported_at_the_serve_config() -> None:
    # The declared "serve" port (8001) is not where Serve listens: serveConfigV2 says 8000.
    service = rayservice(
        head=head_group(ports=[(8001, "serve")], params=MOVED),
        serveConfigV2="http_options:\n  port: 8000\n",
    )
    assert issues(CHECK, service) == [
        (
            CHECK,
            "RayService/rs",
            ".spec.serveConfigV2",
            "head group headgroup: serveConfigV2 http_options.port uses port 8000, which the "
            "platform reserves",
        )
    ]
