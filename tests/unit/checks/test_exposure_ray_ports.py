from __future__ import annotations

from collections.abc import Callable

from tests.conftest import CheckRun

RAYCLUSTER = """\
apiVersion: ray.io/v1
kind: RayCluster
metadata:
  name: rc
  namespace: kuberay
spec:
  rayVersion: "2.52.0"
{auth}
  headGroupSpec:
    serviceType: {service_type}
    enableIngress: {ingress}
    rayStartParams:
      dashboard-port: "8266"
    template:
      spec:
        hostNetwork: {host_network}
        containers:
          - name: ray-head
            image: rayproject/ray:2.52.0
            ports:
              - name: gcs-server
                containerPort: 6379
              - name: dashboard
                containerPort: 8266
              - name: client
                containerPort: 10001
                hostPort: {host_port}
              - name: metrics
                containerPort: 8080
"""
TOKEN_AUTH = "  authOptions:\n    mode: token\n    secretName: ray-auth-token"


def cluster(auth: str = "", service_type: str = "ClusterIP", **kw: str) -> str:
    values = {"ingress": "false", "host_network": "false", "host_port": "null"} | kw
    return RAYCLUSTER.format(auth=auth, service_type=service_type, **values)


LB_SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: ray-public
  namespace: kuberay
spec:
  type: LoadBalancer
  selector:
    ray.io/cluster: rc
    ray.io/node-type: head
  ports:
    - name: metrics
      port: 8080
    - name: dash
      port: 80
      targetPort: dashboard
"""
INGRESS = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: ray
  namespace: kuberay
spec:
  rules:
    - host: ray.example.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: rc-head-svc
                port:
                  name: dashboard
          - path: /other
            pathType: Prefix
            backend:
              service:
                name: other-head-svc
                port:
                  number: 8265
"""
HTTPROUTE = """\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: ray
  namespace: kuberay
spec:
  parentRefs:
    - name: public
  rules:
    - backendRefs:
        - name: web
          port: 80
        - name: rc-head-svc
          port: 10001
"""


def test_cluster_ip_only_passes(run_check: Callable[..., CheckRun]) -> None:
    assert run_check("exposure-ray-ports", {"t/raycluster.yaml": cluster()}).rows() == []


def test_token_auth_allows_every_exposure(run_check: Callable[..., CheckRun]) -> None:
    files = {
        "t/raycluster.yaml": cluster(
            TOKEN_AUTH, "LoadBalancer", ingress="true", host_network="true", host_port="10001"
        ),
        "t/service.yaml": LB_SERVICE,
        "t/ingress.yaml": INGRESS.split("          - path: /other", maxsplit=1)[0],
        "t/httproute.yaml": HTTPROUTE,
    }
    assert run_check("exposure-ray-ports", files).rows() == []


def test_load_balancer_service_on_the_dashboard_is_an_error(
    run_check: Callable[..., CheckRun],
) -> None:
    files = {"t/raycluster.yaml": cluster(), "t/service.yaml": LB_SERVICE}
    result = run_check("exposure-ray-ports", files)
    assert result.rows() == [
        ("exposure-ray-ports[service]", "ray-public", ".spec.ports[1]", "t/service.yaml", 14)
    ]
    assert result.findings[0].message == (
        "Service with type LoadBalancer exposes the dashboard port 8266 of RayCluster kuberay/rc "
        "head group headgroup without Ray token auth (authOptions.mode is not token)"
    )


def test_head_service_type_and_enable_ingress_are_errors(
    run_check: Callable[..., CheckRun],
) -> None:
    files = {"t/raycluster.yaml": cluster("", "NodePort", ingress="true")}
    assert run_check("exposure-ray-ports", files).rows() == [
        (
            "exposure-ray-ports[head-service-type]",
            "rc",
            ".spec.headGroupSpec.serviceType",
            "t/raycluster.yaml",
            10,
        ),
        (
            "exposure-ray-ports[enable-ingress]",
            "rc",
            ".spec.headGroupSpec.enableIngress",
            "t/raycluster.yaml",
            11,
        ),
    ]


def test_ingress_and_route_backends_on_ray_ports_are_errors(
    run_check: Callable[..., CheckRun],
) -> None:
    files = {
        "t/raycluster.yaml": cluster(),
        "t/ingress.yaml": INGRESS,
        "t/httproute.yaml": HTTPROUTE,
    }
    result = run_check("exposure-ray-ports", files)
    assert result.rows() == [
        (
            "exposure-ray-ports[gateway-route]",
            "ray",
            ".spec.rules[0].backendRefs[1]",
            "t/httproute.yaml",
            13,
        ),
        (
            "exposure-ray-ports[ingress]",
            "ray",
            ".spec.rules[0].http.paths[0].backend",
            "t/ingress.yaml",
            13,
        ),
        (
            "exposure-ray-ports[ingress]",
            "ray",
            ".spec.rules[0].http.paths[1].backend",
            "t/ingress.yaml",
            20,
        ),
    ]
    assert result.findings[2].message == (
        'Ingress backend "other-head-svc" port 8265 looks like a Ray dashboard port 8265, and its '
        "cluster is not in this target: token auth cannot be verified"
    )


def test_host_port_and_host_network_on_ray_pods_are_errors(
    run_check: Callable[..., CheckRun],
) -> None:
    files = {"t/raycluster.yaml": cluster(host_network="true", host_port="10001")}
    assert run_check("exposure-ray-ports", files).rows() == [
        (
            "exposure-ray-ports[host-network]",
            "rc",
            ".spec.headGroupSpec.template.spec.hostNetwork",
            "t/raycluster.yaml",
            16,
        ),
        (
            "exposure-ray-ports[host-port]",
            "rc",
            ".spec.headGroupSpec.template.spec.containers[0].ports[2].hostPort",
            "t/raycluster.yaml",
            27,
        ),
    ]


RAYSERVICE = """\
apiVersion: ray.io/v1
kind: RayService
metadata:
  name: llm
  namespace: kuberay
spec:
  rayClusterConfig:
    headGroupSpec:
      rayStartParams: {}
      template:
        spec:
          containers:
            - name: ray-head
              image: rayproject/ray:2.52.0
"""


def test_ingress_to_a_rayservice_serve_service_is_an_error(
    run_check: Callable[..., CheckRun],
) -> None:
    ingress = INGRESS.split("          - path: /other", maxsplit=1)[0].replace(
        "rc-head-svc", "llm-serve-svc"
    )
    files = {
        "t/rayservice.yaml": RAYSERVICE,
        "t/ingress.yaml": ingress.replace("dashboard", "serve"),
    }
    result = run_check("exposure-ray-ports", files)
    assert result.rows() == [
        (
            "exposure-ray-ports[ingress]",
            "ray",
            ".spec.rules[0].http.paths[0].backend",
            "t/ingress.yaml",
            13,
        )
    ]
    assert result.findings[0].message == (
        'Ingress backend "llm-serve-svc" port serve reaches the Serve port 8000 of RayService '
        "kuberay/llm head group headgroup without Ray token auth (authOptions.mode is not token)"
    )


def serve_service(service_type: str, auth: str = "") -> str:
    """RAYSERVICE with a custom serveService of that type (and authOptions when given)."""
    head = RAYSERVICE.replace(
        "spec:\n  rayClusterConfig:\n",
        f"spec:\n  serveService:\n    spec:\n      type: {service_type}\n  rayClusterConfig:\n",
    )
    return head.replace("  rayClusterConfig:\n", "  rayClusterConfig:\n" + auth, 1)


def test_a_cluster_ip_serve_service_passes(run_check: Callable[..., CheckRun]) -> None:
    files = {"t/rayservice.yaml": serve_service("ClusterIP")}
    assert run_check("exposure-ray-ports", files).rows() == []


def test_a_load_balancer_serve_service_with_token_auth_passes(
    run_check: Callable[..., CheckRun],
) -> None:
    auth = "    authOptions:\n      mode: token\n"
    files = {"t/rayservice.yaml": serve_service("LoadBalancer", auth)}
    assert run_check("exposure-ray-ports", files).rows() == []


def test_a_load_balancer_serve_service_without_token_auth_is_an_error(
    run_check: Callable[..., CheckRun],
) -> None:
    result = run_check("exposure-ray-ports", {"t/rayservice.yaml": serve_service("LoadBalancer")})
    assert result.rows() == [
        (
            "exposure-ray-ports[serve-service-type]",
            "llm",
            ".spec.serveService.spec.type",
            "t/rayservice.yaml",
            9,
        )
    ]
    assert result.findings[0].message == (
        "the Serve Service of RayService kuberay/llm is of type LoadBalancer: the Serve port is "
        "reachable from outside without Ray token auth (authOptions.mode is not token)"
    )


def test_a_load_balancer_serve_service_is_platform_policy_only(
    run_check: Callable[..., CheckRun],
) -> None:
    files = {"t/rayservice.yaml": serve_service("LoadBalancer")}
    assert run_check("exposure-ray-ports", files, profile="correctness").rows() == []


def test_a_load_balancer_on_the_dashboard_is_correctness(
    run_check: Callable[..., CheckRun],
) -> None:
    files = {"t/raycluster.yaml": cluster(), "t/service.yaml": LB_SERVICE}
    result = run_check("exposure-ray-ports", files, profile="correctness")
    assert result.rows() == [
        ("exposure-ray-ports[service]", "ray-public", ".spec.ports[1]", "t/service.yaml", 14)
    ]
