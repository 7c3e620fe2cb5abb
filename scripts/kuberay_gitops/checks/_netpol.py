"""Shared model for the netpol-*, selector-* and monitor-* checks.

NetworkPolicy semantics (networking.k8s.io/v1), evaluated statically over one target:

- *effective policyTypes*: `spec.policyTypes` when given, else `Ingress` plus `Egress`
  when `spec.egress` has rules (the API server's defaulting);
- a policy *restricts* a pod in a direction when it selects the pod and has that type;
  what is then allowed is the union of the rules of every restricting policy;
- a rule without `from`/`to` (or with an empty list) matches every peer; a rule without
  `ports` allows every port; a port entry without `protocol` is TCP, without `port` is
  every port of that protocol; a named `port` is resolved against the container ports of
  the *destination* pod; `endPort` widens a numeric port into a range;
- peers: `podSelector` alone selects pods of the policy's namespace, `namespaceSelector`
  is matched on namespace labels (`kubernetes.io/metadata.name` always present), both
  together select pods in the selected namespaces; an `ipBlock` is taken to match a pod
  only when it is an any-address block (`0.0.0.0/0`, `::/0`): pod IPs are unknown
  statically, so narrower blocks never count.

Pods are the index's one pod universe (workloads, the head and worker groups of every Ray
kind, RayJob submitters), the real Pods the operator created on the control-plane twin
where it did (their labels and container ports).

Services: the rendered ones, and the ones KubeRay creates at run time (`ServiceView.
synthetic`), which never appear in the rendered output but which ServiceMonitors select:
the Services the real operator created on the control-plane twin, and from the model
(`kuberay.generated_services`, service.go) the ones it did not create there (all of them
under `--no-cluster`; a RayService's own head and serve Services and a RayJob's head
Service, which come only once the cluster runs). Pods behind each are picked by its real
selector; the `ray.io/serve` readiness label a RayService head only gets once Serve is
healthy is left out of it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from kuberay_gitops import kuberay
from kuberay_gitops.checks._api import as_int
from kuberay_gitops.index import (
    RAY_CLUSTER_SPEC,
    ObjectIndex,
    PodView,
    label_selector_matches,
    map_selector_matches,
)
from kuberay_gitops.manifests import K8sObject

INGRESS = "Ingress"
EGRESS = "Egress"
ALL_PORTS = (1, 65535)
Interval = tuple[int, int]

# Labels on the pods of the upstream operator Deployment (ray-operator/config/manager).
OPERATOR_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "app.kubernetes.io/name": "kuberay",
        "app.kubernetes.io/component": "kuberay-operator",
    }
)
# Labels KubeRay puts on every Ray pod whatever its template says (kuberay.pod_labels).
RAY_POD_LABELS: Mapping[str, str] = MappingProxyType(
    {k: v for k, v in kuberay.pod_labels("", "", "", {}).items() if v and k.startswith("app.")}
    | {kuberay.RAY_NODE_LABEL: "yes"}
)


# --------------------------------------------------------------------------- ports


@dataclass(frozen=True, slots=True)
class ContainerPort:
    """A port a pod listens on (`name` None when unnamed)."""

    port: int
    protocol: str = "TCP"
    name: str | None = None


def container_ports(pod: PodView) -> list[ContainerPort]:
    """Container ports of every container, init (sidecar) containers included.

    The real Pod's where the operator created it; else the template's, with the `metrics`
    port KubeRay appends to a Ray container (`kuberay.pod_ports`).
    """
    out: list[ContainerPort] = []
    everything = list(pod.created_containers(init=True))
    main = list(pod.created_containers())
    for c in everything[: len(everything) - len(main)]:  # init (sidecar) containers
        out.extend(_ports(c))
    for i, c in enumerate(main):
        declared = _ports(c)
        if pod.real is None and pod.ray_role is not None and i == kuberay.RAY_CONTAINER_INDEX:
            named = [(p.name, p.port) for p in declared]
            extra = kuberay.pod_ports(named)[len(named) :]
            declared.extend(ContainerPort(n, "TCP", name) for name, n in extra)
        out.extend(declared)
    return out


def _ports(container: Mapping[str, Any]) -> list[ContainerPort]:
    out: list[ContainerPort] = []
    ports = container.get("ports")
    for p in ports if isinstance(ports, list) else []:
        if not isinstance(p, Mapping):
            continue
        number = as_int(p.get("containerPort"))
        if number is None:
            continue
        name = p.get("name")
        out.append(
            ContainerPort(number, str(p.get("protocol") or "TCP"), str(name) if name else None)
        )
    return out


@dataclass(frozen=True, slots=True)
class RayPort:
    """A port (or range) a Ray pod listens on, with the rayStartParams key that sets it.

    `random` marks a parameter left unset for which Ray picks a random port: only a rule
    allowing every port can cover it.
    """

    key: str
    lo: int
    hi: int
    random: bool = False

    @property
    def interval(self) -> Interval:
        """(lo, hi), inclusive."""
        return (self.lo, self.hi)

    def describe(self) -> str:
        """`TCP 6380 (port)` / `TCP 8310-8600 (min-worker-port..max-worker-port)`."""
        if self.random:
            return f"{self.key} (unset: Ray picks a random port)"
        return f"TCP {fmt_interval(self.interval)} ({self.key})"


# Who connects to the dashboard head's own gRPC port is left to the live audit (issue 16).
_PEER_PARAMS = tuple(p for p in kuberay.PORT_PARAMS if p.key != "dashboard-grpc-port")


def ray_ports(pod: PodView) -> list[RayPort]:
    """What a Ray pod listens on for the other nodes of its cluster, in a stable order."""
    if pod.ray_role is None:
        return []
    params = pod.start_params  # the real `ray start` flags where the operator made the Pod
    out: list[RayPort] = []
    for param in _PEER_PARAMS:
        if param.head_only and pod.ray_role != "head":
            continue
        n = as_int(params.get(param.key))
        value = param.default if n is None else (n or None)  # 0: Ray picks a random port
        if value is None:
            out.append(RayPort(param.key, *ALL_PORTS, random=True))
        else:
            out.append(RayPort(param.key, value, value))
    port_list = params.get("worker-port-list")
    if isinstance(port_list, str) and port_list.strip():
        for item in port_list.split(","):
            n = as_int(item)
            if n is not None:
                out.append(RayPort("worker-port-list", n, n))
    else:
        lo = as_int(params.get("min-worker-port")) or kuberay.DEFAULT_WORKER_PORT_RANGE[0]
        hi = as_int(params.get("max-worker-port")) or kuberay.DEFAULT_WORKER_PORT_RANGE[1]
        out.append(RayPort("min-worker-port..max-worker-port", lo, max(lo, hi)))
    return out


def listens_on(pod: PodView, lo: int, hi: int, protocol: str = "TCP") -> bool:
    """Whether the pod listens in [lo, hi].

    A declared container port, or for Ray pods (TCP) a fixed rayStartParams port or default.
    """
    if any(lo <= cp.port <= hi and cp.protocol == protocol for cp in container_ports(pod)):
        return True
    return protocol == "TCP" and any(
        not rp.random and rp.lo <= hi and lo <= rp.hi for rp in ray_ports(pod)
    )


def fmt_interval(iv: Interval) -> str:
    """`8080` or `8310-8600`."""
    lo, hi = iv
    return str(lo) if lo == hi else f"{lo}-{hi}"


def uncovered(need: Interval, allowed: Iterable[Interval]) -> Interval | None:
    """The first sub-range of `need` that no interval of `allowed` covers, or None."""
    allowed = sorted(allowed)
    lo, hi = need
    for a, b in allowed:
        if a > lo:
            break
        if b >= lo:
            lo = b + 1
            if lo > hi:
                return None
    if lo > hi:
        return None
    nxt = min((a for a, _ in allowed if lo < a <= hi), default=hi + 1)
    return (lo, nxt - 1)


def port_entry_intervals(
    entry: Mapping[str, Any], dest_ports: Sequence[ContainerPort], protocol: str
) -> list[Interval]:
    """What one `ports[]` entry of a rule allows for `protocol` towards a destination."""
    if str(entry.get("protocol") or "TCP") != protocol:
        return []
    port = entry.get("port")
    if port is None:
        return [ALL_PORTS]
    number = as_int(port)
    if number is None:
        return [
            (p.port, p.port) for p in dest_ports if p.name == str(port) and p.protocol == protocol
        ]
    end = as_int(entry.get("endPort")) or number
    return [(number, max(number, end))]


def rule_intervals(
    rule: Mapping[str, Any], dest_ports: Sequence[ContainerPort], protocol: str = "TCP"
) -> list[Interval]:
    """What a rule's `ports` allow for `protocol` (every port when it has none)."""
    ports = rule.get("ports")
    if not ports:
        return [ALL_PORTS]
    out: list[Interval] = []
    for entry in ports if isinstance(ports, list) else []:
        if isinstance(entry, Mapping):
            out.extend(port_entry_intervals(entry, dest_ports, protocol))
    return out


# --------------------------------------------------------------------------- peers


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One side of a connection as NetworkPolicy peers see it."""

    namespace: str
    labels: Mapping[str, str]
    namespace_labels: Mapping[str, str]
    ports: Sequence[ContainerPort] = ()


def pod_endpoint(index: ObjectIndex, pod: PodView) -> Endpoint:
    """A pod of the target as a peer."""
    return Endpoint(
        pod.namespace, pod.labels, index.namespace_labels(pod.namespace), container_ports(pod)
    )


def any_address(cidr: Any) -> bool:
    """Whether an ipBlock CIDR is an any-address block (prefix length 0, host bits or not)."""
    try:
        return ipaddress.ip_interface(str(cidr)).network.prefixlen == 0
    except ValueError:
        return False


def peer_matches(peer: Mapping[str, Any], policy_ns: str, remote: Endpoint) -> bool:
    """Whether one `from`/`to` peer of a policy in `policy_ns` matches `remote`."""
    ip_block = peer.get("ipBlock")
    if isinstance(ip_block, Mapping):
        return any_address(ip_block.get("cidr"))
    ns_sel = peer.get("namespaceSelector")
    pod_sel = peer.get("podSelector")
    if ns_sel is None and pod_sel is None:
        return False
    if ns_sel is None:
        if remote.namespace != policy_ns:
            return False
    elif not label_selector_matches(_selector(ns_sel), remote.namespace_labels):
        return False
    return pod_sel is None or label_selector_matches(_selector(pod_sel), remote.labels)


def rule_matches_peer(
    rule: Mapping[str, Any], direction: str, policy_ns: str, remote: Endpoint
) -> bool:
    """Whether a rule's `from` (Ingress) / `to` (Egress) list admits `remote`."""
    peers = rule.get("from" if direction == INGRESS else "to")
    if not peers:
        return True
    return any(
        isinstance(p, Mapping) and peer_matches(p, policy_ns, remote)
        for p in (peers if isinstance(peers, list) else [])
    )


def _selector(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def selector_is_empty(selector: Any) -> bool:
    """`{}` / null: a LabelSelector that selects everything."""
    if not isinstance(selector, Mapping):
        return True
    return not selector.get("matchLabels") and not selector.get("matchExpressions")


# --------------------------------------------------------------------------- policies


@dataclass(frozen=True, slots=True)
class Policy:
    """A rendered NetworkPolicy with its effective types."""

    obj: K8sObject
    namespace: str
    pod_selector: Mapping[str, Any]
    types: frozenset[str]

    @property
    def name(self) -> str:
        """metadata.name."""
        return self.obj.ref.name

    def rules(self, direction: str) -> list[tuple[int, Mapping[str, Any]]]:
        """(index, rule) of `spec.ingress` / `spec.egress`."""
        items = self.obj.spec.get("ingress" if direction == INGRESS else "egress")
        return [
            (i, r)
            for i, r in enumerate(items if isinstance(items, list) else [])
            if isinstance(r, Mapping)
        ]

    def rules_key(self, direction: str) -> str:
        """`ingress` / `egress`."""
        return "ingress" if direction == INGRESS else "egress"

    def selects(self, labels: Mapping[str, str], namespace: str) -> bool:
        """Whether the policy applies to a pod with these labels."""
        return namespace == self.namespace and label_selector_matches(self.pod_selector, labels)

    def is_default_deny(self, direction: str) -> bool:
        """Empty podSelector, the direction in policyTypes, no rules for it."""
        return (
            selector_is_empty(self.obj.spec.get("podSelector"))
            and direction in self.types
            and not self.rules(direction)
        )


def policy_types(spec: Mapping[str, Any]) -> frozenset[str]:
    """Effective policyTypes (API defaulting when the field is omitted)."""
    given = spec.get("policyTypes")
    if isinstance(given, list) and given:
        return frozenset(str(t) for t in given)
    egress = spec.get("egress")
    return frozenset({INGRESS, EGRESS} if isinstance(egress, list) and egress else {INGRESS})


def policies(index: ObjectIndex) -> list[Policy]:
    """Every NetworkPolicy of the target, in render order."""
    return [
        Policy(
            obj,
            obj.ref.namespace or "default",
            _selector(obj.spec.get("podSelector")),
            policy_types(obj.spec),
        )
        for obj in index.of_kind("NetworkPolicy")
    ]


def restricting(
    pols: Iterable[Policy], labels: Mapping[str, str], namespace: str, direction: str
) -> list[Policy]:
    """Policies that select the pod and restrict `direction` for it."""
    return [p for p in pols if direction in p.types and p.selects(labels, namespace)]


def allowed_intervals(
    pols: Iterable[Policy],
    direction: str,
    remote: Endpoint,
    dest_ports: Sequence[ContainerPort],
    protocol: str = "TCP",
) -> list[Interval]:
    """Union of what the rules of `pols` allow towards/from `remote` for `protocol`."""
    out: list[Interval] = []
    for pol in pols:
        for _, rule in pol.rules(direction):
            if rule_matches_peer(rule, direction, pol.namespace, remote):
                out.extend(rule_intervals(rule, dest_ports, protocol))
    return out


# --------------------------------------------------------------------------- pods


def all_pods(index: ObjectIndex) -> list[PodView]:
    """Every pod of the target (the index's one pod universe)."""
    return index.pods


def pod_name(pod: PodView) -> str:
    """`RayCluster/kuberay/rc head group headgroup`, `RayJob/ns/job submitter`, ..."""
    if pod.ray_role is None and pod.path[-1:] == ("submitterPodTemplate",):
        return f"{pod.owner.ref} submitter"
    return str(pod)


# --------------------------------------------------------------------------- services


@dataclass(frozen=True, slots=True)
class ServicePort:
    """A Service port: `targetPort` is a number, a container port name, or None (= port)."""

    name: str
    port: int
    target: int | str | None = None
    protocol: str = "TCP"


@dataclass(frozen=True, slots=True)
class ServiceView:
    """A Service as monitors see it: rendered (`obj`) or generated by KubeRay (`synthetic`)."""

    name: str
    namespace: str
    labels: Mapping[str, str]
    ports: tuple[ServicePort, ...]
    pods: tuple[PodView, ...]
    obj: K8sObject
    synthetic: bool = False
    origin: str = ""

    def describe(self) -> str:
        """`Service ns/name` (`(generated by KubeRay for RayCluster ns/rc)`)."""
        what = f"Service {self.namespace}/{self.name}"
        return f"{what} (generated by KubeRay for {self.origin})" if self.synthetic else what


def _service_ports(spec: Mapping[str, Any]) -> tuple[ServicePort, ...]:
    ports: list[ServicePort] = []
    raw = spec.get("ports")
    for p in raw if isinstance(raw, list) else []:
        number = as_int(p.get("port")) if isinstance(p, Mapping) else None
        if number is None:
            continue
        target = p.get("targetPort")
        target_number = as_int(target)
        ports.append(
            ServicePort(
                str(p.get("name") or ""),
                number,
                target if target_number is None else target_number,
                str(p.get("protocol") or "TCP"),
            )
        )
    return tuple(ports)


# The head of a RayService starts with `ray.io/serve: "false"` and gets "true" once Serve is
# healthy (kuberay.serve_label), which never happens on the twin: the serve Service's real
# selector is matched without that label, so the head counts as the backend it will be.
_SERVE_READY_LABEL = kuberay.SERVE_LABEL


def _generated_view(index: ObjectIndex, svc: Mapping[str, Any], owner: K8sObject) -> ServiceView:
    """A Service the operator created (or, per the model, will create), with its pods."""
    meta = svc.get("metadata")
    meta = meta if isinstance(meta, Mapping) else {}
    spec = svc.get("spec")
    spec = spec if isinstance(spec, Mapping) else {}
    ns = str(meta.get("namespace") or owner.ref.namespace or "default")
    selector = spec.get("selector")
    # rayservice_controller.go keeps the head "false" for good when the RayService sets
    # excludeHeadPodFromServeSvc; otherwise it becomes a backend once Serve is healthy.
    excluded = owner.ref.kind == "RayService" and owner.spec.get("excludeHeadPodFromServeSvc")
    if isinstance(selector, Mapping) and excluded is not True:
        selector = {k: v for k, v in selector.items() if k != _SERVE_READY_LABEL}
    pods = tuple(
        p for p in index.pods if p.namespace == ns and map_selector_matches(selector, p.labels)
    )
    origin = f"{owner.ref.kind} {owner.ref.namespace or 'default'}/{owner.ref.name}"
    labels = meta.get("labels")
    labels = {str(k): str(v) for k, v in labels.items()} if isinstance(labels, Mapping) else {}
    name = str(meta.get("name", ""))
    return ServiceView(name, ns, labels, _service_ports(spec), pods, owner, True, origin)


def _role(svc: Mapping[str, Any]) -> str:
    """Which of an owner's Services this is, whatever its cluster is called."""
    meta, spec = svc.get("metadata") or {}, svc.get("spec") or {}
    cluster = (meta.get("labels") or {}).get(kuberay.CLUSTER_LABEL) or (
        spec.get("selector") or {}
    ).get(kuberay.CLUSTER_LABEL)
    name = str(meta.get("name", ""))
    return name.replace(str(cluster), "{cluster}") if cluster else name


def services(index: ObjectIndex) -> list[ServiceView]:
    """Rendered Services, then the Services KubeRay generates for each Ray object.

    The ones the operator created on the twin; then, from the model
    (`kuberay.generated_services`), the ones it did not create there: all of them without
    the twin, and the ones created only once a cluster runs (a RayService's own head and
    serve Services, a RayJob's head Service), which Pods on the twin never do.
    """
    out = [
        ServiceView(
            obj.ref.name,
            obj.ref.namespace or "default",
            dict(obj.labels),
            _service_ports(obj.spec),
            tuple(index.pods_selected_by_service(obj)),
            obj,
        )
        for obj in index.of_kind("Service")
    ]
    real: dict[tuple[str, int], set[str]] = {}
    for g in index.generated_of_kind("Service"):
        out.append(_generated_view(index, g.obj.body, g.owner))
        real.setdefault((g.owner.target, g.owner.position), set()).add(_role(g.obj.body))
    for obj in index.of_kind(*RAY_CLUSTER_SPEC):
        made = real.get((obj.target, obj.position), set())
        for svc in kuberay.generated_services(
            obj.ref.kind, obj.ref.name, obj.annotations, obj.body
        ):
            if _role(svc) not in made:
                out.append(_generated_view(index, svc, obj))
    return out


# --------------------------------------------------------------------------- monitors


@dataclass(frozen=True, slots=True)
class MonitorScope:
    """Which namespaces a ServiceMonitor/PodMonitor looks in (`any_ns` = all)."""

    namespaces: frozenset[str] = field(default_factory=frozenset)
    any_ns: bool = False

    def includes(self, namespace: str) -> bool:
        """Whether objects of `namespace` are candidates."""
        return self.any_ns or namespace in self.namespaces


def monitor_scope(obj: K8sObject) -> MonitorScope:
    """spec.namespaceSelector: `any: true`, `matchNames`, or the monitor's own namespace."""
    sel = obj.spec.get("namespaceSelector")
    own = obj.ref.namespace or "default"
    if isinstance(sel, Mapping):
        if sel.get("any") is True:
            return MonitorScope(any_ns=True)
        names = sel.get("matchNames")
        if isinstance(names, list) and names:
            return MonitorScope(frozenset(str(n) for n in names))
    return MonitorScope(frozenset({own}))


def monitor_selector(obj: K8sObject) -> Mapping[str, Any]:
    """spec.selector as a LabelSelector (`{}` when absent)."""
    return _selector(obj.spec.get("selector"))


def monitored_services(index: ObjectIndex, obj: K8sObject) -> list[ServiceView]:
    """Services (rendered and KubeRay-generated) a ServiceMonitor selects."""
    scope, sel = monitor_scope(obj), monitor_selector(obj)
    return [
        s
        for s in services(index)
        if scope.includes(s.namespace) and label_selector_matches(sel, s.labels)
    ]


def monitored_pods(index: ObjectIndex, obj: K8sObject) -> list[PodView]:
    """Pods a PodMonitor selects."""
    scope, sel = monitor_scope(obj), monitor_selector(obj)
    return [
        p
        for p in all_pods(index)
        if scope.includes(p.namespace) and label_selector_matches(sel, p.labels)
    ]
