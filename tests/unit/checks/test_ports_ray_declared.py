from __future__ import annotations

from collections.abc import Callable

import pytest

from kuberay_gitops.findings import Profile, Severity
from tests.builders import (
    Body,
    Ports,
    grades,
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


# ----------------------------------------------------------------------------- fast path

WORKER = ".spec.workerGroupSpecs[0].template.spec.containers[0]"


def _without(name: str) -> Ports:
    return [(n, p) for n, p in (*KUBERAY_PORTS, AGENT) if p != name]


def test_an_unnamed_port_kuberay_looks_up_is_reported_at_the_port() -> None:
    ports: Ports = [*_without("dashboard"), {"containerPort": 8265}]
    assert issues(CHECK, _cluster(head_ports=ports)) == [
        (
            f"{CHECK}[name]",
            "RayCluster/rc",
            f"{HEAD}.ports[4]",
            "head group headgroup: containerPort 8265 (dashboard-port (KubeRay default 8265)) "
            'is named ""; KubeRay looks it up as "dashboard"',
        )
    ]


def test_a_misnamed_port_message_names_both_names() -> None:
    assert issues(CHECK, _cluster(head_ports=_renamed("metrics", "prom"))) == [
        (
            f"{CHECK}[name]",
            "RayCluster/rc",
            f"{HEAD}.ports[3].name",
            "head group headgroup: containerPort 8080 (metrics-export-port (KubeRay default "
            '8080)) is named "prom"; KubeRay looks it up as "metrics"',
        )
    ]


def test_a_wrong_name_or_number_on_a_looked_up_port_is_correctness_elsewhere_policy() -> None:
    misnamed = _cluster(head_ports=_renamed("dashboard", "dash"))
    moved = _cluster(head_params={"dashboard-port": "9265"})
    gcs_moved = _cluster(head_params={"port": "6380"})
    assert grades(CHECK, misnamed, moved, gcs_moved) == [
        (f"{CHECK}[name]", Severity.ERROR, Profile.CORRECTNESS),
        (f"{CHECK}[number]", Severity.ERROR, Profile.CORRECTNESS),
        (f"{CHECK}[number]", Severity.ERROR, Profile.PLATFORM),
    ]


def test_an_undeclared_named_listener_names_the_expected_port_name() -> None:
    assert issues(CHECK, _cluster(head_ports=_without("client"))) == [
        (
            f"{CHECK}[undeclared]",
            "RayCluster/rc",
            f"{HEAD}.ports",
            "head group headgroup: Ray listens on ray-client-server-port (KubeRay default 10001) "
            'but the Ray container "ray-head" declares no containerPort 10001 named "client"',
        )
    ]


def test_a_udp_port_does_not_declare_a_ray_listener_tcp_in_any_case_does() -> None:
    ports: Ports = [
        {"name": "gcs-server", "containerPort": 6379, "protocol": "TCP"},
        {"name": "client", "containerPort": 10001, "protocol": "UDP"},
        {"name": "dashboard", "containerPort": 8265, "protocol": "tcp"},
        (8080, "metrics"),
        AGENT,
    ]
    assert issues(CHECK, _cluster(head_ports=ports)) == [
        (
            f"{CHECK}[undeclared]",
            "RayCluster/rc",
            f"{HEAD}.ports",
            "head group headgroup: Ray listens on ray-client-server-port (KubeRay default 10001) "
            'but the Ray container "ray-head" declares no containerPort 10001 named "client"',
        )
    ]


def test_a_group_without_containers_is_skipped_and_the_next_still_judged() -> None:
    cluster = raycluster(
        head=head_group(containers=[]),
        workers=[worker_group(ports=[(8080, "metrics")])],
    )
    assert issues(CHECK, cluster) == [
        (
            f"{CHECK}[undeclared]",
            "RayCluster/rc",
            f"{WORKER}.ports",
            "worker group cpu: Ray listens on dashboard-agent-listen-port (KubeRay default "
            '52365) but the Ray container "ray-worker" declares no containerPort 52365',
        )
    ]
