"""Pod-template helpers shared by the pod-security, exposure and secret checks.

Three things the index does not give directly:
- every pod template the cluster will run, including the ones KubeRay builds from
  fields that are not pod templates: RayJob/RayCronJob submitter templates, RayCronJob
  Ray groups, and the autoscaler sidecar KubeRay appends to the head pod from
  `spec.autoscalerOptions` when `enableInTreeAutoscaling: true`;
- the Ray cluster a Ray pod belongs to (token auth, autoscaling);
- the dashboard, client, GCS and Serve ports of a Ray pod.

KubeRay facts used here (v1.7.0, ray-operator/controllers/ray): the autoscaler
container gets `autoscalerOptions.resources` as a whole (default 500m CPU and 512Mi
memory as requests and limits when unset), `.securityContext`, `.image`, `.env`; token
auth is on when `authOptions.mode` is `token` (the operator then injects RAY_AUTH_MODE and
RAY_AUTH_TOKEN from the Secret `authOptions.secretName`, or one it generates). Port
numbers and names come from `kuberay.py`, their one home.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from kuberay_gitops import kuberay
from kuberay_gitops.checks._api import as_int
from kuberay_gitops.findings import FieldPath
from kuberay_gitops.index import RAY_KINDS, ObjectIndex, PodView, get_path
from kuberay_gitops.manifests import K8sObject

ROLE_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "gcs": "GCS",
        "client": "Ray client",
        "dashboard": "dashboard",
        "serve": "Serve",
    }
)
PORT_NAME_ROLES: Mapping[str, str] = MappingProxyType(
    {
        "gcs-server": "gcs",
        "gcs": "gcs",
        "redis": "gcs",
        "client": "client",
        "dashboard": "dashboard",
        "serve": "serve",
    }
)
_PARAM_ROLES: Mapping[str, str] = MappingProxyType(
    {
        "port": "gcs",
        "ray-client-server-port": "client",
        "dashboard-port": "dashboard",
    }
)
DEFAULT_PORTS: Mapping[str, int] = MappingProxyType(
    {
        "gcs": kuberay.DEFAULT_GCS_PORT,
        "client": kuberay.DEFAULT_CLIENT_PORT,
        "dashboard": kuberay.DEFAULT_DASHBOARD_PORT,
        "serve": kuberay.DEFAULT_SERVE_PORT,
    }
)


def mapping(value: Any) -> Mapping[str, Any]:
    """`value` when it is a mapping, else an empty one."""
    return value if isinstance(value, Mapping) else {}


def items(value: Any) -> list[Any]:
    """`value` when it is a list, else an empty one."""
    return value if isinstance(value, list) else []


def field_at(body: Mapping[str, Any], path: FieldPath) -> FieldPath:
    """The longest prefix of `path` that exists in `body` (the field, or its nearest parent)."""
    node: Any = body
    for i, part in enumerate(path):
        if isinstance(part, int):
            if not isinstance(node, list) or not 0 <= part < len(node):
                return path[:i]
        elif not isinstance(node, Mapping) or part not in node:
            return path[:i]
        node = node[part]
    return path


@dataclass(frozen=True, slots=True)
class RayClusterRef:
    """A Ray cluster spec inside its owner (RayCluster, RayJob, RayService, RayCronJob)."""

    owner: K8sObject
    path: FieldPath

    @property
    def spec(self) -> Mapping[str, Any]:
        """The RayClusterSpec."""
        return mapping(get_path(self.owner.body, self.path))

    @property
    def token_auth(self) -> bool:
        """Ray token auth is on (`authOptions.mode: token`)."""
        return mapping(self.spec.get("authOptions")).get("mode") == "token"

    @property
    def k8s_token_auth(self) -> bool:
        """Token auth delegated to Kubernetes (the head calls the API to review tokens)."""
        return (
            self.token_auth
            and mapping(self.spec.get("authOptions")).get("enableK8sTokenAuth") is True
        )

    @property
    def autoscaling(self) -> bool:
        """In-tree autoscaling is on: KubeRay adds the autoscaler sidecar to the head pod."""
        return self.spec.get("enableInTreeAutoscaling") is True

    @property
    def label(self) -> str:
        """`RayCluster ns/name` style label for messages."""
        ns = self.owner.ref.namespace or "default"
        return f"{self.owner.ref.kind} {ns}/{self.owner.ref.name}"


def ray_clusters(index: ObjectIndex) -> list[RayClusterRef]:
    """Every Ray cluster spec of the target, in render order."""
    out = []
    for obj in index.of_kind(*RAY_KINDS):
        if isinstance(get_path(obj.body, RAY_KINDS[obj.ref.kind]), Mapping):
            out.append(RayClusterRef(obj, RAY_KINDS[obj.ref.kind]))
    return out


def cluster_of(pod: PodView) -> RayClusterRef | None:
    """The Ray cluster of a Ray head or worker pod template (None for other pods)."""
    gp = pod.group_path
    if pod.ray_role is None or gp is None:
        return None
    if gp and gp[-1] == "headGroupSpec":
        return RayClusterRef(pod.owner, gp[:-1])
    if len(gp) >= 2 and gp[-2] == "workerGroupSpecs":
        return RayClusterRef(pod.owner, gp[:-2])
    return None


def pod_templates(index: ObjectIndex) -> list[PodView]:
    """Every pod template (the index's one pod universe: Ray groups and submitters too)."""
    return index.pods


def pod_label(pod: PodView) -> str:
    """Which template of the owner: `head group headgroup`, `submitter pod`, `pod template`."""
    if pod.ray_role is not None:
        return f"{pod.ray_role} group {pod.group}"
    if pod.path and pod.path[-1] == "submitterPodTemplate":
        return "submitter pod"
    return "pod template"


@dataclass(frozen=True, slots=True)
class ContainerView:
    """A container of a pod template, or the autoscaler sidecar KubeRay will add.

    `path` locates the container (for the sidecar: `autoscalerOptions`, whose fields
    become the container's); `anchor` is where to report when `path` itself is absent.
    """

    path: FieldPath
    body: Mapping[str, Any]
    name: str
    kind: str  # "container", "init container" or "autoscaler"
    anchor: FieldPath | None = None

    @property
    def label(self) -> str:
        """How a message names it: `container "ray-head"`, `the autoscaler sidecar`."""
        if self.kind == "autoscaler":
            return "the autoscaler sidecar (autoscalerOptions)"
        return f'{self.kind} "{self.name}"'

    @property
    def security_context(self) -> Mapping[str, Any]:
        """Its securityContext (empty when absent)."""
        return mapping(self.body.get("securityContext"))

    def at(self, owner: K8sObject, *rel: str | int) -> FieldPath:
        """Field path of `rel` under this container, trimmed to what exists."""
        found = field_at(owner.body, (*self.path, *rel))
        if len(found) < len(self.path) and self.anchor is not None:
            return self.anchor
        return found


def containers(pod: PodView, init: bool = True) -> Iterator[ContainerView]:
    """Containers (and init containers) of a template, then the autoscaler sidecar if any."""
    for path, body in pod.containers(init=init):
        kind = "init container" if "initContainers" in path else "container"
        yield ContainerView(path, body, str(body.get("name", path[-1])), kind)
    cluster = cluster_of(pod)
    if pod.ray_role == "head" and cluster is not None and cluster.autoscaling:
        opts = mapping(cluster.spec.get("autoscalerOptions"))
        yield ContainerView(
            (*cluster.path, "autoscalerOptions"),
            opts,
            "autoscaler",
            "autoscaler",
            (*cluster.path, "enableInTreeAutoscaling"),
        )


def split_image(image: str) -> tuple[str, str | None, str | None]:
    """`registry/repo:tag@digest` → (name, tag, digest); tag and digest None when absent."""
    name, _, digest = image.partition("@")
    repo, colon, tag = name.rpartition(":")
    if colon and "/" not in tag:  # a colon before the last slash is a registry's port
        return repo, tag or None, digest or None
    return name, None, digest or None


@dataclass(frozen=True, slots=True)
class RayPort:
    """A sensitive Ray port of a pod: role (gcs/client/dashboard/serve), number, name."""

    role: str
    number: int
    name: str | None = None

    def __str__(self) -> str:
        return f"{ROLE_LABELS[self.role]} port {self.number}"


def container_ports(pod: PodView) -> Iterator[tuple[FieldPath, Mapping[str, Any]]]:
    """(field path, port) for every container port of the template."""
    for path, c in pod.containers():
        for j, port in enumerate(items(c.get("ports"))):
            if isinstance(port, Mapping):
                yield (*path, "ports", j), port


def ray_ports(pod: PodView) -> list[RayPort]:
    """Dashboard, client, GCS and Serve ports of a Ray head; the Serve port of a worker.

    Numbers come from the named container ports, from rayStartParams (`port`,
    `ray-client-server-port`, `dashboard-port`) and from KubeRay's defaults when
    neither sets a role; all of them count, so a mismatch never hides a port.
    """
    if pod.ray_role is None:
        return []
    roles = set(DEFAULT_PORTS) if pod.ray_role == "head" else {"serve"}
    found: dict[tuple[str, int], str | None] = {}
    for _, port in container_ports(pod):
        role = PORT_NAME_ROLES.get(str(port.get("name")))
        number = as_int(port.get("containerPort"))
        if role in roles and number is not None:
            found[(role, number)] = str(port["name"])
    for param, role in _PARAM_ROLES.items():
        number = as_int(pod.ray_params.get(param))
        if role in roles and number is not None:
            found.setdefault((role, number))
    for role in roles:
        if not any(r == role for r, _ in found):
            found[(role, DEFAULT_PORTS[role])] = None
    return [RayPort(r, n, name) for (r, n), name in sorted(found.items())]


def match_port(ports: list[RayPort], ref: Any) -> RayPort | None:
    """The Ray port a port reference (number, or container/Service port name) points at."""
    number = as_int(ref)
    for p in ports:
        if number is not None and p.number == number:
            return p
        if number is None and isinstance(ref, str) and ref in {p.name, *_names(p.role)}:
            return p
    return None


def _names(role: str) -> set[str]:
    return {n for n, r in PORT_NAME_ROLES.items() if r == role}
