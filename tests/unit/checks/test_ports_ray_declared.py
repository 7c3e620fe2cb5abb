from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.builders import (
    Body,
    Ports,
    head_group,
    issues,
    raycluster,
    rayservice,
    to_yaml,
    worker_group,
)
from tests.conftest import CheckRun

CHECK = "ports-ray-declared"
HEAD = ".spec.headGroupSpec.template.spec.containers[0]"
RS_HEAD = ".spec.rayClusterConfig.headGroupSpec.template.spec.containers[0]"
KUBERAY_PORTS = [(6379, "gcs-server"), (10001, "client"), (8265, "dashboard"), (8080, "metrics")]
AGENT = (52365, "dashboard-agent")


def _cluster(
    head_ports: Ports = (*KUBERAY_PORTS, AGENT),
    head_params: dict[str, str] | None = None,
    worker_params: dict[str, str] | None = None,
) -> Body:
    """Every Ray listener declared under the name KubeRay gives it, unless overridden."""
    return raycluster(
        head=head_group(ports=head_ports, params=head_params or {"dashboard-host": "0.0.0.0"}),
        workers=[worker_group(ports=[(8080, "metrics"), AGENT], params=worker_params)],
    )


def _renamed(name: str, new: str) -> Ports:
    return [(n, new if p == name else p) for n, p in (*KUBERAY_PORTS, AGENT)]


def test_every_ray_listener_declared_under_kuberay_names_passes() -> None:
    assert issues(CHECK, _cluster()) == []


def test_a_misnamed_ray_port_is_reported_at_its_name(run_check: Callable[..., CheckRun]) -> None:
    tree = {"t/raycluster.yaml": to_yaml(_cluster(head_ports=_renamed("dashboard", "dash")))}
    assert run_check(CHECK, tree).rows() == [
        (f"{CHECK}[name]", "rc", f"{HEAD}.ports[2].name", "t/raycluster.yaml", 20)
    ]


@pytest.mark.parametrize(
    ("cluster", "issue"),
    [
        (
            _cluster(head_ports=KUBERAY_PORTS),
            (
                f"{CHECK}[undeclared]",
                "RayCluster/rc",
                f"{HEAD}.ports",
                "head group headgroup: Ray listens on dashboard-agent-listen-port (KubeRay "
                'default 52365) but the Ray container "ray-head" declares no containerPort 52365',
            ),
        ),
        (
            _cluster(head_params={"dashboard-port": "9265"}),
            (
                f"{CHECK}[number]",
                "RayCluster/rc",
                ".spec.headGroupSpec.rayStartParams.dashboard-port",
                'head group headgroup: port "dashboard" is 8265 but Ray listens on '
                "dashboard-port 9265",
            ),
        ),
        (
            _cluster(worker_params={"node-manager-port": "12345"}),
            (
                f"{CHECK}[undeclared]",
                "RayCluster/rc",
                ".spec.workerGroupSpecs[0].rayStartParams.node-manager-port",
                "worker group cpu: Ray listens on node-manager-port 12345 but the Ray container "
                '"ray-worker" declares no containerPort 12345',
            ),
        ),
    ],
    ids=["default-port-undeclared", "named-port-other-number", "param-undeclared"],
)
def test_ray_listener_not_declared_as_kuberay_expects_is_reported(
    cluster: Body, issue: tuple[str, ...]
) -> None:
    assert issues(CHECK, cluster) == [issue]


@pytest.mark.parametrize("name", ["gcs-server", "client"])
def test_ports_kuberay_never_looks_up_may_have_any_name(name: str) -> None:
    assert issues(CHECK, _cluster(head_ports=_renamed(name, "ray-port"))) == []


SERVE_ENV = "RAY_SERVE_DEFAULT_HTTP_PORT"


def _service(config_port: int | None = 8001, env_port: str | None = "8001") -> Body:
    """A RayService whose head declares serve on 8001 (Serve's own port by config and env)."""
    port = f"\n  port: {config_port}" if config_port else ""
    env = [{"name": SERVE_ENV, "value": env_port}] if env_port else None
    return rayservice(
        head=head_group(ports=[*KUBERAY_PORTS, AGENT, (8001, "serve")], ray={"env": env}),
        serveConfigV2=f"http_options:\n  host: 0.0.0.0{port}\napplications: []\n",
    )


@pytest.mark.parametrize(
    "service",
    [_service(), _service(env_port="8002"), _service(config_port=None)],
    ids=["config-and-env-agree", "config-port-wins-over-env", "env-port-without-config-port"],
)
def test_serve_port_where_serve_listens_passes(service: Body) -> None:
    assert issues(CHECK, service) == []


# KubeRay points the serve Service and the Serve readiness probe at the port named "serve";
# Serve listens on serveConfigV2 http_options.port, else on the head's
# RAY_SERVE_DEFAULT_HTTP_PORT, else on 8000.


def test_serve_port_declared_elsewhere_than_the_env_port_is_reported_at_the_env(
    run_check: Callable[..., CheckRun],
) -> None:
    tree = {"t/rayservice.yaml": to_yaml(_service(config_port=None, env_port="8002"))}
    assert run_check(CHECK, tree).rows() == [
        (f"{CHECK}[number]", "rs", f"{RS_HEAD}.env[0].value", "t/rayservice.yaml", 30)
    ]


@pytest.mark.parametrize(
    ("service", "field", "listens"),
    [
        (_service(config_port=8002), ".spec.serveConfigV2", "serveConfigV2 http_options.port 8002"),
        (
            _service(config_port=None, env_port=None),
            f"{RS_HEAD}.ports[5].containerPort",
            "serve port (KubeRay default 8000)",
        ),
    ],
    ids=["config-port-moved", "serve-default-8000"],
)
def test_serve_port_declared_elsewhere_than_serve_listens_is_reported(
    service: Body, field: str, listens: str
) -> None:
    message = f'head group headgroup: port "serve" is 8001 but Ray listens on {listens}'
    assert issues(CHECK, service) == [(f"{CHECK}[number]", "RayService/rs", field, message)]
