from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.builders import (
    Body,
    container,
    deployment,
    head_group,
    issues,
    raycluster,
    to_yaml,
)
from tests.conftest import CheckRun

CHECK = "ports-duplicate"
HEAD_PORTS = [(6379, "gcs-server"), (10001, "client"), (8265, "dashboard"), (8080, "metrics")]
HEAD = ".spec.headGroupSpec.template.spec"


def _cluster(sidecar_port: int = 9000, **params: str) -> Body:
    """A head declaring KubeRay's ports, with a sidecar listening on `sidecar_port`."""
    sidecar = container("sidecar", [sidecar_port], image="busybox:1.36")
    params = params or {"dashboard-host": "0.0.0.0"}
    return raycluster(head=head_group(sidecar, ports=HEAD_PORTS, params=params))


def _web(protocol: str | None = "UDP") -> Body:
    proxy_port: dict[str, object] = {"containerPort": 8080}
    if protocol:
        proxy_port["protocol"] = protocol
    return deployment(
        "web",
        containers=[
            container("app", [8080], image="nginx:1.27"),
            container("proxy", [proxy_port], image="envoyproxy/envoy:v1.31.0"),
        ],
    )


def test_distinct_listeners_pass() -> None:
    assert issues(CHECK, _cluster(), _web()) == []


def test_a_container_port_shared_in_a_ray_pod_is_reported_at_the_port(
    run_check: Callable[..., CheckRun],
) -> None:
    result = run_check(CHECK, {"t/raycluster.yaml": to_yaml(_cluster(sidecar_port=8080))})
    assert result.rows() == [
        (
            f"{CHECK}[container]",
            "rc",
            f"{HEAD}.containers[1].ports[0].containerPort",
            "t/raycluster.yaml",
            27,
        )
    ]


@pytest.mark.parametrize(
    ("cluster", "issue"),
    [
        (
            _cluster(**{"dashboard-port": "8080"}),
            (
                f"{CHECK}[ray-params]",
                "RayCluster/rc",
                ".spec.headGroupSpec.rayStartParams.dashboard-port",
                "head group headgroup: dashboard-port 8080 is the port of metrics-export-port "
                "(KubeRay default 8080)",
            ),
        ),
        (
            _cluster(sidecar_port=52365),
            (
                f"{CHECK}[sidecar]",
                "RayCluster/rc",
                f"{HEAD}.containers[1].ports[0].containerPort",
                'head group headgroup: containerPort 52365 of container "sidecar" is also opened '
                "by Ray: dashboard-agent-listen-port (KubeRay default 52365)",
            ),
        ),
    ],
    ids=["two-ray-params", "sidecar-on-ray-default-port"],
)
def test_shared_port_in_a_ray_pod_is_reported(cluster: Body, issue: tuple[str, ...]) -> None:
    assert issues(CHECK, cluster) == [issue]


def test_same_port_and_protocol_in_two_containers_of_a_deployment_is_reported() -> None:
    assert issues(CHECK, _web(protocol=None)) == [
        (
            f"{CHECK}[container]",
            "Deployment/web",
            ".spec.template.spec.containers[1].ports[0].containerPort",
            'containerPort 8080/TCP of container "proxy" is already a containerPort of '
            'container "app"',
        )
    ]
