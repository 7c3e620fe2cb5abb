from __future__ import annotations

from collections.abc import Callable

from tests.builders import (
    Body,
    head_group,
    http_route,
    ingress,
    issues,
    raycluster,
    rayservice,
    service,
    to_yaml,
)
from tests.conftest import CheckRun

CHECK = "exposure-ray-ports"
NO_TOKEN = "without Ray token auth (authOptions.mode is not token)"


def _cluster(
    token: bool = False,
    service_type: str = "ClusterIP",
    enable_ingress: bool = False,
    host_network: bool = False,
    host_port: int | None = None,
) -> Body:
    """A head-only RayCluster with the dashboard moved to 8266 and exposed as the knobs say."""
    client = {"name": "client", "containerPort": 10001, "hostPort": host_port}
    ports = [(6379, "gcs-server"), (8266, "dashboard"), client, (8080, "metrics")]
    head = head_group(ports=ports, params={"dashboard-port": "8266"}, hostNetwork=host_network)
    return raycluster(
        head={"serviceType": service_type, "enableIngress": enable_ingress, **head},
        workers=[],
        rayVersion="2.52.0",
        authOptions={"mode": "token", "secretName": "ray-auth-token"} if token else None,
    )


LB_SERVICE = service(
    "ray-public",
    selector={"ray.io/cluster": "rc", "ray.io/node-type": "head"},
    ports=[
        {"name": "metrics", "port": 8080},
        {"name": "dash", "port": 80, "targetPort": "dashboard"},
    ],
    type="LoadBalancer",
)
TO_DASHBOARD = ("/", "rc-head-svc", "dashboard")
INGRESS = ingress("ray", paths=[TO_DASHBOARD, ("/other", "other-head-svc", 8265)])
HTTPROUTE = http_route("ray", backends=[("web", 80), ("rc-head-svc", 10001)])


def test_cluster_ip_only_passes() -> None:
    assert issues(CHECK, _cluster()) == []


def test_token_auth_allows_every_exposure() -> None:
    exposed = _cluster(
        True, "LoadBalancer", enable_ingress=True, host_network=True, host_port=10001
    )
    assert issues(CHECK, exposed, LB_SERVICE, ingress("ray", paths=[TO_DASHBOARD]), HTTPROUTE) == []


def test_load_balancer_service_on_the_dashboard_is_an_error() -> None:
    assert issues(CHECK, _cluster(), LB_SERVICE) == [
        (
            f"{CHECK}[service]",
            "Service/ray-public",
            ".spec.ports[1]",
            "Service with type LoadBalancer exposes the dashboard port 8266 of RayCluster apps/rc "
            f"head group headgroup {NO_TOKEN}",
        )
    ]


def test_head_service_type_and_enable_ingress_are_errors() -> None:
    assert issues(CHECK, _cluster(service_type="NodePort", enable_ingress=True)) == [
        (
            f"{CHECK}[head-service-type]",
            "RayCluster/rc",
            ".spec.headGroupSpec.serviceType",
            "the head Service of RayCluster apps/rc is of type NodePort: dashboard, client and GCS "
            f"ports are reachable from outside {NO_TOKEN}",
        ),
        (
            f"{CHECK}[enable-ingress]",
            "RayCluster/rc",
            ".spec.headGroupSpec.enableIngress",
            "enableIngress makes KubeRay expose the dashboard of RayCluster apps/rc through an "
            f"Ingress {NO_TOKEN}",
        ),
    ]


def test_ingress_and_route_backends_on_ray_ports_are_errors(
    run_check: Callable[..., CheckRun],
) -> None:
    files = {
        "t/raycluster.yaml": to_yaml(_cluster()),
        "t/ingress.yaml": to_yaml(INGRESS),
        "t/httproute.yaml": to_yaml(HTTPROUTE),
    }
    result = run_check(CHECK, files)
    assert result.rows() == [
        (f"{CHECK}[gateway-route]", "ray", ".spec.rules[0].backendRefs[1]", "t/httproute.yaml", 13),
        (f"{CHECK}[ingress]", "ray", ".spec.rules[0].http.paths[0].backend", "t/ingress.yaml", 13),
        (f"{CHECK}[ingress]", "ray", ".spec.rules[0].http.paths[1].backend", "t/ingress.yaml", 20),
    ]
    assert result.findings[2].message == (
        'Ingress backend "other-head-svc" port 8265 looks like a Ray dashboard port 8265, and its '
        "cluster is not in this target: token auth cannot be verified"
    )


def test_host_port_and_host_network_on_ray_pods_are_errors() -> None:
    assert issues(CHECK, _cluster(host_network=True, host_port=10001)) == [
        (
            f"{CHECK}[host-network]",
            "RayCluster/rc",
            ".spec.headGroupSpec.template.spec.hostNetwork",
            "hostNetwork puts the Ray ports of RayCluster apps/rc head group headgroup on the "
            f"node's addresses {NO_TOKEN}",
        ),
        (
            f"{CHECK}[host-port]",
            "RayCluster/rc",
            ".spec.headGroupSpec.template.spec.containers[0].ports[2].hostPort",
            "hostPort 10001 publishes the Ray client port 10001 of RayCluster apps/rc head group "
            f"headgroup on the node {NO_TOKEN}",
        ),
    ]


def _llm(serve_type: str | None = None, token: bool = False) -> Body:
    """A RayService, with a custom serveService of `serve_type` when given."""
    return rayservice(
        "llm",
        cluster={"authOptions": {"mode": "token"}} if token else None,
        serveService={"spec": {"type": serve_type}} if serve_type else None,
    )


def test_ingress_to_a_rayservice_serve_service_is_an_error() -> None:
    to_serve = ingress("ray", paths=[("/", "llm-serve-svc", "serve")])
    assert issues(CHECK, _llm(), to_serve) == [
        (
            f"{CHECK}[ingress]",
            "Ingress/ray",
            ".spec.rules[0].http.paths[0].backend",
            'Ingress backend "llm-serve-svc" port serve reaches the Serve port 8000 of RayService '
            f"apps/llm head group headgroup {NO_TOKEN}",
        )
    ]


def test_a_cluster_ip_serve_service_passes() -> None:
    assert issues(CHECK, _llm("ClusterIP")) == []


def test_a_load_balancer_serve_service_with_token_auth_passes() -> None:
    assert issues(CHECK, _llm("LoadBalancer", token=True)) == []


def test_a_load_balancer_serve_service_without_token_auth_is_an_error() -> None:
    assert issues(CHECK, _llm("LoadBalancer")) == [
        (
            f"{CHECK}[serve-service-type]",
            "RayService/llm",
            ".spec.serveService.spec.type",
            "the Serve Service of RayService apps/llm is of type LoadBalancer: the Serve port is "
            f"reachable from outside {NO_TOKEN}",
        )
    ]


def test_a_load_balancer_serve_service_is_platform_policy_only(
    run_check: Callable[..., CheckRun],
) -> None:
    files = {"t/rayservice.yaml": to_yaml(_llm("LoadBalancer"))}
    assert run_check(CHECK, files, profile="correctness").rows() == []


def test_a_load_balancer_on_the_dashboard_is_correctness(
    run_check: Callable[..., CheckRun],
) -> None:
    files = {"t/raycluster.yaml": to_yaml(_cluster()), "t/service.yaml": to_yaml(LB_SERVICE)}
    result = run_check(CHECK, files, profile="correctness")
    assert result.rows() == [
        (f"{CHECK}[service]", "ray-public", ".spec.ports[1]", "t/service.yaml", 13)
    ]
