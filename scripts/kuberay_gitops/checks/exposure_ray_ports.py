"""Ray's dashboard, client, GCS and Serve ports are not reachable from outside the cluster.

Risk: ShadowRay (CVE-2023-48022). Without token auth the Ray dashboard's Jobs API runs any
command it is sent, and the client and GCS ports are just as open; internet scanners find
exposed Ray heads within hours. Causes, each its own variant (suppress one with its
sub-id, e.g. `exposure-ray-ports[ingress]`):
- `service`: a Service of type LoadBalancer or NodePort, or with externalIPs, whose
  selector picks Ray pods and whose targetPort is one of their Ray ports;
- `head-service-type`: `headGroupSpec.serviceType` (or `headService.spec.type`)
  LoadBalancer/NodePort: KubeRay gives the head Service, and a RayService's Serve Service,
  that type;
- `serve-service-type`: a RayService's `serveService.spec.type` LoadBalancer/NodePort
  (KubeRay builds the Serve Service from that spec);
- `enable-ingress`: `headGroupSpec.enableIngress: true` (KubeRay creates an Ingress to the
  dashboard);
- `ingress` / `gateway-route`: an Ingress backend or a Gateway API route backendRef that is
  a Ray head or Serve Service (`<cluster>-head-svc`, `<rayservice>-serve-svc`, or a Service of
  the target selecting Ray pods) on one of those ports;
- `host-port` / `host-network`: a hostPort on one of those container ports, or hostNetwork
  on a Ray pod.
Profiles: reaching the dashboard, client or GCS port is correctness (remote code
execution for anyone); reaching only a Serve port is platform policy, since serving an
application to its clients is what the Serve port is for.
Each is an error unless the cluster has Ray token auth: `authOptions.mode: token` (KubeRay
>= 1.5.1 then injects RAY_AUTH_MODE=token and RAY_AUTH_TOKEN, from `authOptions.secretName`
or a Secret it generates). Ports: heads' GCS (6379), client (10001), dashboard (8265) and
Serve (8000) ports and workers' Serve port, as set by named container ports
(gcs-server, client, dashboard, serve) or rayStartParams.
PASS / FAIL examples: tests/unit/checks/test_exposure_ray_ports.py
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from kuberay_gitops.checks._api import CheckContext, CheckSpec, Issue, as_int
from kuberay_gitops.checks._pod import (
    DEFAULT_PORTS,
    PORT_NAME_ROLES,
    RayClusterRef,
    RayPort,
    cluster_of,
    container_ports,
    items,
    mapping,
    match_port,
    pod_label,
    pod_templates,
    ray_clusters,
    ray_ports,
)
from kuberay_gitops.findings import FieldPath, Profile, Severity
from kuberay_gitops.index import ObjectIndex, PodView, map_selector_matches
from kuberay_gitops.manifests import K8sObject

EXTERNAL_TYPES = frozenset({"LoadBalancer", "NodePort"})
ROUTE_KINDS = ("HTTPRoute", "GRPCRoute", "TCPRoute", "TLSRoute")
NO_AUTH = "without Ray token auth (authOptions.mode is not token)"

CHECK = CheckSpec(
    id="exposure-ray-ports",
    severity=Severity.ERROR,
    summary="Ray dashboard/client/GCS/Serve ports are not exposed outside the cluster "
    "unless Ray token auth is on",
    hint="keep Ray Services ClusterIP and reach the dashboard with kubectl port-forward or an "
    "authenticating proxy; if it must be exposed, set authOptions.mode: token on the cluster",
    profile=Profile.CORRECTNESS,
)


@dataclass(frozen=True, slots=True)
class Exposure:
    """One way from outside the cluster to a Ray port.

    The object and field that open it, what it reaches, the Ray cluster behind it
    (None: the cluster is not in this target), and whether only a Serve port is reached.
    """

    obj: K8sObject
    field: FieldPath
    text: str
    variant: str
    cluster: RayClusterRef | None
    serve_only: bool = False


def _resolve(pod: PodView, ref: Any, role_names: bool = False) -> RayPort | None:
    """The Ray port of `pod` that a port number or name reaches."""
    ports = ray_ports(pod)
    if isinstance(ref, str) and as_int(ref) is None:
        for _, cp in container_ports(pod):
            if cp.get("name") == ref:
                return match_port(ports, cp.get("containerPort"))
        if role_names and ref in PORT_NAME_ROLES:
            return next((p for p in ports if p.role == PORT_NAME_ROLES[ref]), None)
        return None
    return match_port(ports, ref)


def _head_label(pod: PodView) -> str:
    cluster = cluster_of(pod)
    where = cluster.label if cluster else str(pod.owner.ref)
    return f"{where} {pod_label(pod)}"


def _selected(pods: list[PodView], svc: K8sObject) -> list[PodView]:
    ns = svc.ref.namespace or "default"
    sel = svc.spec.get("selector")
    return [p for p in pods if p.namespace == ns and map_selector_matches(sel, p.labels)]


def _service_port_hits(
    pods: list[PodView], svc: K8sObject, port: Mapping[str, Any]
) -> Iterator[tuple[PodView, RayPort]]:
    target = port.get("targetPort", port.get("port"))
    for pod in _selected(pods, svc):
        hit = _resolve(pod, target)
        if hit is not None:
            yield pod, hit


def _ray_service_owners(pods: list[PodView], ns: str, name: str) -> list[tuple[PodView, bool]]:
    """Ray pods behind a KubeRay-generated Service name; bool: Serve port only."""
    out = []
    for pod in pods:
        owner = pod.owner.ref
        cluster = cluster_of(pod)
        if pod.namespace != ns or cluster is None:
            continue
        head = mapping(cluster.spec.get("headGroupSpec"))
        custom = mapping(mapping(head.get("headService")).get("metadata")).get("name")
        head_names = {custom} if custom else set()
        if owner.kind in ("RayCluster", "RayService"):
            head_names.add(f"{owner.name}-head-svc")
        if name in head_names and pod.ray_role == "head":
            out.append((pod, False))
        elif name == f"{owner.name}-serve-svc":
            out.append((pod, True))
    return out


def _backend_hits(
    index: ObjectIndex, pods: list[PodView], ns: str, name: str, port: Any
) -> Iterator[tuple[PodView | None, RayPort]]:
    """Ray ports a (Service name, port number or name) backend reaches; pod None: unknown."""
    svc = index.get("Service", name, ns) or (
        index.get("Service", name) if ns == "default" else None
    )
    if svc is not None:
        for entry in items(svc.spec.get("ports")):
            sp = mapping(entry)
            number = as_int(port)
            if (number is not None and number == as_int(sp.get("port"))) or (
                number is None and port == sp.get("name")
            ):
                yield from _service_port_hits(pods, svc, sp)
        return
    owners = _ray_service_owners(pods, ns, name)
    for pod, serve_only in owners:
        hit = _resolve(pod, port, role_names=True)
        if hit is not None and (hit.role == "serve" or not serve_only):
            yield pod, hit
    if owners or not name.endswith(("-head-svc", "-serve-svc")):
        return
    number = as_int(port)
    for role, default in DEFAULT_PORTS.items():
        if number == default or PORT_NAME_ROLES.get(str(port)) == role:
            yield None, RayPort(role, default)


def _backend_paths(
    index: ObjectIndex,
    pods: list[PodView],
    obj: K8sObject,
    field: FieldPath,
    backend: tuple[str, Any, Any],
    variant: str,
) -> Iterator[Exposure]:
    name, port, namespace = backend
    ns = str(namespace or obj.ref.namespace or "default")
    for pod, hit in _backend_hits(index, pods, ns, name, port):
        if pod is None:
            yield Exposure(
                obj,
                field,
                f'{obj.ref.kind} backend "{name}" port {port} looks like the {hit} of a Ray '
                "cluster, and that cluster is not in this target: token auth cannot be verified",
                variant,
                None,
                hit.role == "serve",
            )
        else:
            yield Exposure(
                obj,
                field,
                f'{obj.ref.kind} backend "{name}" port {port} reaches the {hit} of '
                f"{_head_label(pod)}",
                variant,
                cluster_of(pod),
                hit.role == "serve",
            )


def _services(pods: list[PodView], index: ObjectIndex) -> Iterator[Exposure]:
    for svc in index.of_kind("Service"):
        stype = str(svc.spec.get("type"))
        if stype not in EXTERNAL_TYPES and not items(svc.spec.get("externalIPs")):
            continue
        how = f"type {stype}" if stype in EXTERNAL_TYPES else "externalIPs"
        for i, port in enumerate(items(svc.spec.get("ports"))):
            for pod, hit in _service_port_hits(pods, svc, mapping(port)):
                yield Exposure(
                    svc,
                    ("spec", "ports", i),
                    f"Service with {how} exposes the {hit} of {_head_label(pod)}",
                    "service",
                    cluster_of(pod),
                    hit.role == "serve",
                )


def _cluster_fields(index: ObjectIndex) -> Iterator[Exposure]:
    for cluster in ray_clusters(index):
        head = mapping(cluster.spec.get("headGroupSpec"))
        hpath = (*cluster.path, "headGroupSpec")
        types = (
            (("serviceType",), head.get("serviceType")),
            (
                ("headService", "spec", "type"),
                mapping(mapping(head.get("headService")).get("spec")).get("type"),
            ),
        )
        for rel, stype in types:
            if stype in EXTERNAL_TYPES:
                yield Exposure(
                    cluster.owner,
                    (*hpath, *rel),
                    f"the head Service of {cluster.label} is of type {stype}: dashboard, "
                    "client and GCS ports are reachable from outside",
                    "head-service-type",
                    cluster,
                )
        if cluster.owner.ref.kind == "RayService":
            stype = mapping(mapping(cluster.owner.spec.get("serveService")).get("spec")).get("type")
            if stype in EXTERNAL_TYPES:
                yield Exposure(
                    cluster.owner,
                    ("spec", "serveService", "spec", "type"),
                    f"the Serve Service of {cluster.label} is of type {stype}: the Serve port "
                    "is reachable from outside",
                    "serve-service-type",
                    cluster,
                    serve_only=True,
                )
        if head.get("enableIngress") is True:
            yield Exposure(
                cluster.owner,
                (*hpath, "enableIngress"),
                f"enableIngress makes KubeRay expose the dashboard of {cluster.label} "
                "through an Ingress",
                "enable-ingress",
                cluster,
            )


def _ingresses(index: ObjectIndex, pods: list[PodView]) -> Iterator[Exposure]:
    for ing in index.of_kind("Ingress"):
        backends: list[tuple[FieldPath, Any]] = [
            (("spec", "defaultBackend"), ing.spec.get("defaultBackend"))
        ]
        for i, rule in enumerate(items(ing.spec.get("rules"))):
            paths = items(mapping(mapping(rule).get("http")).get("paths"))
            for j, path in enumerate(paths):
                backends.append(
                    (
                        ("spec", "rules", i, "http", "paths", j, "backend"),
                        mapping(path).get("backend"),
                    )
                )
        for field, backend in backends:
            svc = mapping(mapping(backend).get("service"))
            if not svc.get("name"):
                continue
            port = mapping(svc.get("port"))
            ref = port.get("number", port.get("name"))
            yield from _backend_paths(
                index, pods, ing, field, (str(svc["name"]), ref, None), "ingress"
            )


def _routes(index: ObjectIndex, pods: list[PodView]) -> Iterator[Exposure]:
    for route in index.of_kind(*ROUTE_KINDS):
        for i, rule in enumerate(items(route.spec.get("rules"))):
            for j, entry in enumerate(items(mapping(rule).get("backendRefs"))):
                ref = mapping(entry)
                if ref.get("group", "") != "" or ref.get("kind", "Service") != "Service":
                    continue
                if not ref.get("name"):
                    continue
                yield from _backend_paths(
                    index,
                    pods,
                    route,
                    ("spec", "rules", i, "backendRefs", j),
                    (str(ref["name"]), ref.get("port"), ref.get("namespace")),
                    "gateway-route",
                )


def _host_access(pods: list[PodView]) -> Iterator[Exposure]:
    for pod in pods:
        if pod.spec.get("hostNetwork") is True:
            yield Exposure(
                pod.owner,
                (*pod.spec_path, "hostNetwork"),
                f"hostNetwork puts the Ray ports of {_head_label(pod)} on the node's addresses",
                "host-network",
                cluster_of(pod),
            )
        ports = ray_ports(pod)
        for path, cp in container_ports(pod):
            if cp.get("hostPort") is None:
                continue
            hit = match_port(ports, cp.get("containerPort"))
            if hit is not None:
                yield Exposure(
                    pod.owner,
                    (*path, "hostPort"),
                    f"hostPort {cp['hostPort']} publishes the {hit} of {_head_label(pod)} "
                    "on the node",
                    "host-port",
                    cluster_of(pod),
                    hit.role == "serve",
                )


def exposures(index: ObjectIndex) -> Iterator[Exposure]:
    """Every way from outside the cluster to a Ray port, whatever the cluster's auth."""
    pods = [p for p in pod_templates(index) if p.ray_role is not None]
    yield from _services(pods, index)
    yield from _cluster_fields(index)
    yield from _ingresses(index, pods)
    yield from _routes(index, pods)
    yield from _host_access(pods)


def run(ctx: CheckContext) -> Iterator[Issue]:
    """Services, Ray cluster fields, Ingresses, Gateway routes, host ports and networking."""
    for path in exposures(ctx.index):
        # Serving applications is what a Serve port is for: keeping it inside is policy.
        profile = Profile.PLATFORM if path.serve_only else None
        if path.cluster is None:  # the Ray cluster is not in this target
            yield Issue(path.obj, path.field, path.text, variant=path.variant, profile=profile)
        elif not path.cluster.token_auth:
            text = f"{path.text} {NO_AUTH}"
            yield Issue(path.obj, path.field, text, variant=path.variant, profile=profile)
