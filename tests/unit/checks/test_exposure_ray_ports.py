from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from kuberay_gitops.findings import Profile, Severity
from tests.builders import (
    Body,
    Ports,
    grades,
    head_group,
    http_route,
    ingress,
    issues,
    raycluster,
    rayservice,
    service,
    to_yaml,
    worker_group,
)
from tests.conftest import CheckRun

CHECK = "exposure-ray-ports"
NO_TOKEN = "without Ray token auth (authOptions.mode is not token)"
Row = tuple[str, str, str, str]


def _cluster(
    token: bool = False,
    service_type: str = "ClusterIP",
    enable_ingress: bool = False,
    host_network: bool = False,
    host_port: int | None = None,
) -> Body:
    """A head-only RayCluster with the dashboard moved to 8266 and exposed as the knobs say."""
    client = {"name": "client", "containerPort": 10001, "hostPort": host_port}
    ports: Ports = [(6379, "gcs-server"), (8266, "dashboard"), client, (8080, "metrics")]
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
        'Ingress backend "other-head-svc" port 8265 looks like the dashboard port 8265 of a Ray '
        "cluster, and that cluster is not in this target: token auth cannot be verified"
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


PLAIN = raycluster(workers=[])  # every Ray port at KubeRay's default, no token auth
RC_HEAD = "RayCluster apps/rc head group headgroup"
TO_HEAD = {"ray.io/cluster": "rc", "ray.io/node-type": "head"}


def _lb(*ports: Mapping[str, Any], namespace: str = "apps", **spec: Any) -> Body:
    """A LoadBalancer Service `ray-public` on the head of rc (`spec` keys override)."""
    args: dict[str, Any] = {"type": "LoadBalancer", **spec}
    return service("ray-public", namespace, TO_HEAD, ports, **args)


def _exposed(what: str, port: str = ".spec.ports[0]", head: str = RC_HEAD) -> list[Row]:
    """The one finding of `_lb`: `what` (e.g. `the dashboard port 8265`) of `head`."""
    text = f"Service with type LoadBalancer exposes the {what} of {head} {NO_TOKEN}"
    return [(f"{CHECK}[service]", "Service/ray-public", port, text)]


def _without_namespace(body: Body) -> Body:
    return {**body, "metadata": {"name": body["metadata"]["name"]}}


def _ingress_to(svc: str, port: str | int, namespace: str = "apps") -> Body:
    return ingress("ray", namespace, paths=[("/", svc, port)])


def _reached(svc: str, port: str | int, what: str, head: str = RC_HEAD) -> list[Row]:
    """The one finding of `_ingress_to(svc, port)`."""
    text = f'Ingress backend "{svc}" port {port} reaches the {what} of {head} {NO_TOKEN}'
    return [(f"{CHECK}[ingress]", "Ingress/ray", ".spec.rules[0].http.paths[0].backend", text)]


def test_a_target_port_is_read_as_a_container_port_name_of_the_pod() -> None:
    head = head_group(ports=[(8265, "web-ui")])
    cluster = raycluster(head=head, workers=[])
    lb = _lb({"port": 80, "targetPort": "web-ui"})
    assert issues(CHECK, cluster, lb) == _exposed("dashboard port 8265")


def test_a_target_port_naming_a_role_but_no_container_port_reaches_nothing() -> None:
    assert issues(CHECK, PLAIN, _lb({"port": 80, "targetPort": "client"})) == []


def test_a_target_port_given_as_a_decimal_string_is_a_number() -> None:
    lb = _lb({"port": 80, "targetPort": "10001"})
    assert issues(CHECK, PLAIN, lb) == _exposed("Ray client port 10001")


def test_a_service_port_without_target_port_targets_its_own_number() -> None:
    assert issues(CHECK, PLAIN, _lb({"port": 10001})) == _exposed("Ray client port 10001")


def test_a_load_balancer_of_another_namespace_selects_no_ray_pod() -> None:
    assert issues(CHECK, PLAIN, _lb({"port": 10001}, namespace="other")) == []


def test_a_service_without_a_namespace_selects_pods_of_default() -> None:
    cluster = _without_namespace(PLAIN)
    lb = _without_namespace(_lb({"port": 10001}))
    head = "RayCluster default/rc head group headgroup"
    assert issues(CHECK, cluster, lb) == _exposed("Ray client port 10001", head=head)


def test_external_ips_on_a_cluster_ip_service_expose_its_ports() -> None:
    external = service("ray-public", selector=TO_HEAD, ports=[10001], externalIPs=["203.0.113.7"])
    assert issues(CHECK, PLAIN, external) == [
        (
            f"{CHECK}[service]",
            "Service/ray-public",
            ".spec.ports[0]",
            f"Service with externalIPs exposes the Ray client port 10001 of {RC_HEAD} {NO_TOKEN}",
        )
    ]


def test_a_cluster_ip_service_is_skipped_and_the_next_one_read() -> None:
    internal = service("ray-internal", selector=TO_HEAD, ports=[10001])
    assert issues(CHECK, PLAIN, internal, _lb({"port": 10001})) == _exposed("Ray client port 10001")


def test_a_load_balancer_on_the_serve_port_is_platform_policy_and_on_gcs_correctness() -> None:
    lb = _lb({"port": 8000}, {"port": 6379})
    assert grades(CHECK, PLAIN, lb) == [
        (f"{CHECK}[service]", Severity.ERROR, Profile.PLATFORM),
        (f"{CHECK}[service]", Severity.ERROR, Profile.CORRECTNESS),
    ]


def test_a_load_balancer_head_service_spec_type_is_an_error() -> None:
    head = {**head_group(), "headService": {"spec": {"type": "LoadBalancer"}}}
    assert issues(CHECK, raycluster(head=head, workers=[])) == [
        (
            f"{CHECK}[head-service-type]",
            "RayCluster/rc",
            ".spec.headGroupSpec.headService.spec.type",
            "the head Service of RayCluster apps/rc is of type LoadBalancer: dashboard, client and "
            f"GCS ports are reachable from outside {NO_TOKEN}",
        )
    ]


def test_an_ingress_default_backend_on_the_head_service_is_an_error() -> None:
    default = {"service": {"name": "rc-head-svc", "port": {"number": 8265}}}
    ing = ingress("ray", defaultBackend=default, rules=None)
    assert issues(CHECK, PLAIN, ing) == [
        (
            f"{CHECK}[ingress]",
            "Ingress/ray",
            ".spec.defaultBackend",
            f'Ingress backend "rc-head-svc" port 8265 reaches the dashboard port 8265 of '
            f"{RC_HEAD} {NO_TOKEN}",
        )
    ]


def test_head_service_ports_that_are_no_ray_port_pass() -> None:
    ing = ingress("ray", paths=[("/a", "rc-head-svc", "http"), ("/b", "rc-head-svc", 8080)])
    assert issues(CHECK, PLAIN, ing) == []


def test_a_custom_head_service_name_is_the_head_service() -> None:
    head = {**head_group(), "headService": {"metadata": {"name": "ray-dash"}}}
    cluster = raycluster(head=head, workers=[])
    assert issues(CHECK, cluster, _ingress_to("ray-dash", 8265)) == _reached(
        "ray-dash", 8265, "dashboard port 8265"
    )


def test_a_rayservice_head_service_reaches_its_head() -> None:
    assert issues(CHECK, rayservice("llm"), _ingress_to("llm-head-svc", 8265)) == _reached(
        "llm-head-svc", 8265, "dashboard port 8265", "RayService apps/llm head group headgroup"
    )


def test_a_serve_service_reaches_no_dashboard_of_head_or_worker() -> None:
    llm = rayservice("llm", workers=[worker_group()])
    assert issues(CHECK, llm, _ingress_to("llm-serve-svc", "dashboard")) == []


def test_a_head_service_reaches_the_cluster_of_its_own_namespace() -> None:
    elsewhere = raycluster(namespace="other", workers=[])
    assert issues(CHECK, elsewhere, PLAIN, _ingress_to("rc-head-svc", 8265)) == _reached(
        "rc-head-svc", 8265, "dashboard port 8265"
    )


def test_a_head_service_name_in_a_namespace_without_the_cluster_is_unverified() -> None:
    assert issues(CHECK, PLAIN, _ingress_to("rc-head-svc", 8265, namespace="team")) == [
        (
            f"{CHECK}[ingress]",
            "Ingress/ray",
            ".spec.rules[0].http.paths[0].backend",
            'Ingress backend "rc-head-svc" port 8265 looks like the dashboard port 8265 of a Ray '
            "cluster, and that cluster is not in this target: token auth cannot be verified",
        )
    ]


def test_an_ingress_without_a_namespace_reaches_the_cluster_of_default() -> None:
    cluster = _without_namespace(PLAIN)
    ing = _without_namespace(_ingress_to("rc-head-svc", 8265))
    head = "RayCluster default/rc head group headgroup"
    assert issues(CHECK, cluster, ing) == _reached("rc-head-svc", 8265, "dashboard port 8265", head)


DASH_SVC = service(
    "ray-dash",
    selector=TO_HEAD,
    ports=[
        {"name": "ui", "port": 80, "targetPort": "dashboard"},
        {"name": "client", "port": 81, "targetPort": 10001},
    ],
)


def test_a_backend_port_number_picks_that_port_of_a_rendered_service() -> None:
    head = head_group(ports=[(8265, "dashboard")])
    cluster = raycluster(head=head, workers=[])
    assert issues(CHECK, cluster, DASH_SVC, _ingress_to("ray-dash", 80)) == _reached(
        "ray-dash", 80, "dashboard port 8265"
    )


def test_a_backend_port_name_picks_that_port_of_a_rendered_service() -> None:
    head = head_group(ports=[(8265, "dashboard")])
    cluster = raycluster(head=head, workers=[])
    assert issues(CHECK, cluster, DASH_SVC, _ingress_to("ray-dash", "client")) == _reached(
        "ray-dash", "client", "Ray client port 10001"
    )


def test_a_backend_names_no_service_of_default_from_another_namespace() -> None:
    cluster, svc = _without_namespace(PLAIN), _without_namespace(DASH_SVC)
    assert issues(CHECK, cluster, svc, _ingress_to("ray-dash", 81)) == []


def test_a_rendered_service_without_a_namespace_is_found_from_default() -> None:
    cluster, svc = _without_namespace(PLAIN), _without_namespace(DASH_SVC)
    ing = _without_namespace(_ingress_to("ray-dash", 81))
    head = "RayCluster default/rc head group headgroup"
    assert issues(CHECK, cluster, svc, ing) == _reached(
        "ray-dash", 81, "Ray client port 10001", head
    )


def test_an_unknown_serve_service_looks_like_a_serve_port_and_is_platform_policy() -> None:
    ing = _ingress_to("gone-serve-svc", 8000)
    assert issues(CHECK, ing) == [
        (
            f"{CHECK}[ingress]",
            "Ingress/ray",
            ".spec.rules[0].http.paths[0].backend",
            'Ingress backend "gone-serve-svc" port 8000 looks like the Serve port 8000 of a Ray '
            "cluster, and that cluster is not in this target: token auth cannot be verified",
        )
    ]
    assert grades(CHECK, ing) == [(f"{CHECK}[ingress]", Severity.ERROR, Profile.PLATFORM)]


def test_an_unknown_head_service_on_a_role_name_is_correctness() -> None:
    ing = _ingress_to("gone-head-svc", "dashboard")
    assert issues(CHECK, ing) == [
        (
            f"{CHECK}[ingress]",
            "Ingress/ray",
            ".spec.rules[0].http.paths[0].backend",
            'Ingress backend "gone-head-svc" port dashboard looks like the dashboard port 8265 of '
            "a Ray cluster, and that cluster is not in this target: token auth cannot be verified",
        )
    ]
    assert grades(CHECK, ing) == [(f"{CHECK}[ingress]", Severity.ERROR, Profile.CORRECTNESS)]


def test_ingress_to_the_serve_port_is_platform_policy_and_to_the_dashboard_correctness() -> None:
    ing = ingress("ray", paths=[("/", "llm-serve-svc", "serve"), ("/d", "llm-head-svc", 8265)])
    assert grades(CHECK, rayservice("llm"), ing) == [
        (f"{CHECK}[ingress]", Severity.ERROR, Profile.PLATFORM),
        (f"{CHECK}[ingress]", Severity.ERROR, Profile.CORRECTNESS),
    ]


def _route(*refs: Mapping[str, Any], namespace: str = "apps") -> Body:
    """An HTTPRoute whose one rule has these backendRefs as given."""
    route = http_route("ray", namespace)
    route["spec"]["rules"] = [{"backendRefs": [dict(r) for r in refs]}]
    return route


def _routed(j: int, what: str) -> list[Row]:
    text = f'HTTPRoute backend "rc-head-svc" port 10001 reaches the {what} of {RC_HEAD} {NO_TOKEN}'
    return [(f"{CHECK}[gateway-route]", "HTTPRoute/ray", f".spec.rules[0].backendRefs[{j}]", text)]


CLIENT_REF = {"name": "rc-head-svc", "port": 10001}


def test_backend_refs_of_another_group_or_kind_are_skipped() -> None:
    other_group = {**CLIENT_REF, "group": "multicluster.example.io"}
    other_kind = {**CLIENT_REF, "kind": "ServiceImport"}
    route = _route(other_group, other_kind, CLIENT_REF)
    assert issues(CHECK, PLAIN, route) == _routed(2, "Ray client port 10001")


def test_a_backend_ref_without_a_name_is_skipped() -> None:
    route = _route({"port": 10001}, CLIENT_REF)
    assert issues(CHECK, PLAIN, route) == _routed(1, "Ray client port 10001")


def test_a_backend_ref_namespace_is_where_the_service_is() -> None:
    route = _route({**CLIENT_REF, "namespace": "apps"}, namespace="gateway")
    assert issues(CHECK, PLAIN, route) == _routed(0, "Ray client port 10001")


def test_a_host_port_on_the_serve_port_is_platform_policy() -> None:
    serve = {"name": "serve", "containerPort": 8000, "hostPort": 8000}
    cluster = raycluster(head=head_group(ports=[serve]), workers=[])
    assert grades(CHECK, cluster) == [(f"{CHECK}[host-port]", Severity.ERROR, Profile.PLATFORM)]


def test_an_unknown_head_service_on_the_client_port_names_ray_once() -> None:
    assert issues(CHECK, _ingress_to("gone-head-svc", 10001)) == [
        (
            f"{CHECK}[ingress]",
            "Ingress/ray",
            ".spec.rules[0].http.paths[0].backend",
            'Ingress backend "gone-head-svc" port 10001 looks like the Ray client port 10001 of a '
            "Ray cluster, and that cluster is not in this target: token auth cannot be verified",
        )
    ]
