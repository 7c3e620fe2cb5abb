"""Ray pod facts shared by the ports-, ray- and placement checks.

Where each Ray pod listens (`ray_listeners`), read from rayStartParams with the defaults
of the one port table in `kuberay.py` (their home, with the v1.7.0 sources they mirror);
on a RayService head, Serve's HTTP proxy listens on serveConfigV2 `http_options.port`,
else on `RAY_SERVE_DEFAULT_HTTP_PORT` of the Ray container, else on 8000. The serve
listener comes from there, never from the `serve` container port itself, so a
declaration that drifted from where Serve listens is caught.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from kuberay_gitops import kuberay
from kuberay_gitops.checks._api import as_int
from kuberay_gitops.findings import FieldPath
from kuberay_gitops.index import PodView, get_path
from kuberay_gitops.manifests import K8sObject

GPU_RESOURCE = "nvidia.com/gpu"
SERVE_PORT_NAME = kuberay.SERVE_PORT_NAME
DEFAULT_SERVE_PORT = kuberay.DEFAULT_SERVE_PORT
SERVE_PORT_ENV = kuberay.SERVE_PORT_ENV
SERVE_CONFIG: FieldPath = kuberay.SERVE_CONFIG
PORT_PARAMS = kuberay.PORT_PARAMS
PortParam = kuberay.PortParam


@dataclass(frozen=True, slots=True)
class Listener:
    """A port a Ray pod listens on: from rayStartParams (`explicit`) or a KubeRay default."""

    number: int
    key: str
    name: str | None
    explicit: bool
    path: FieldPath

    def describe(self) -> str:
        """`dashboard-port 8265` or `dashboard-port (KubeRay default 8265)`."""
        if self.explicit:
            return f"{self.key} {self.number}"
        return f"{self.key} (KubeRay default {self.number})"


def ray_container(pod: PodView) -> tuple[FieldPath, Mapping[str, Any]] | None:
    """The Ray container: KubeRay always uses the first container."""
    return next(pod.containers(), None)


def existing(obj: K8sObject, path: FieldPath) -> FieldPath:
    """The longest prefix of `path` that exists in the object (for missing fields)."""
    for end in range(len(path), 0, -1):
        if get_path(obj.body, path[:end]) is not None:
            return path[:end]
    return ()


def params_path(pod: PodView) -> FieldPath:
    """Where rayStartParams is, or the group spec when it is missing."""
    assert pod.ray_params_path is not None
    assert pod.group_path is not None
    if isinstance(get_path(pod.owner.body, pod.ray_params_path), Mapping):
        return pod.ray_params_path
    return pod.group_path


def _param_listener(pod: PodView, param: PortParam) -> Listener | None:
    params = pod.ray_params
    if param.key in params:
        number = as_int(params[param.key])
        if not number:  # 0 = random port; a non-number is another check's business
            return None
        assert pod.ray_params_path is not None
        return Listener(number, param.key, param.name, True, (*pod.ray_params_path, param.key))
    started = as_int(pod.start_params.get(param.key))  # set by KubeRay in the real command
    number = started if started else param.default
    if number is None:
        return None
    if param.key == "dashboard-port" and str(params.get("include-dashboard")).lower() == "false":
        return None
    return Listener(number, param.key, param.name, False, params_path(pod))


def _serve_config_port(owner: K8sObject) -> int | None:
    """`http_options.port` of a RayService's serveConfigV2 (a YAML string), if set."""
    raw = get_path(owner.body, SERVE_CONFIG)
    if not isinstance(raw, str):
        return None
    try:
        config = yaml.safe_load(raw)
    except yaml.YAMLError:
        return None  # an unreadable serveConfigV2 is KubeRay's and the schema's business
    http = config.get("http_options") if isinstance(config, Mapping) else None
    return as_int(http.get("port")) if isinstance(http, Mapping) else None


def _serve_listener(pod: PodView) -> Listener | None:
    """Where Serve's HTTP proxy listens on a RayService head (see the module docstring)."""
    if pod.ray_role != "head" or pod.owner.ref.kind != "RayService":
        return None
    number = _serve_config_port(pod.owner)
    if number:
        key = "serveConfigV2 http_options.port"
        return Listener(number, key, SERVE_PORT_NAME, True, SERVE_CONFIG)
    found = ray_container(pod)
    if found is not None:
        cpath, container = found
        env = container.get("env")
        for i, var in enumerate(env if isinstance(env, list) else []):
            if isinstance(var, Mapping) and var.get("name") == SERVE_PORT_ENV:
                number = as_int(var.get("value"))
                if number:
                    path = (*cpath, "env", i, "value")
                    return Listener(number, SERVE_PORT_ENV, SERVE_PORT_NAME, True, path)
    return Listener(DEFAULT_SERVE_PORT, "serve port", SERVE_PORT_NAME, False, params_path(pod))


def ray_listeners(pod: PodView) -> list[Listener]:
    """Every port the Ray processes of a Ray pod listen on (worker-port ranges excluded).

    KubeRay defaults come first, then explicit rayStartParams in declaration order.
    """
    out: list[Listener] = []
    for param in PORT_PARAMS:
        if param.head_only and pod.ray_role != "head":
            continue
        listener = _param_listener(pod, param)
        if listener is not None:
            out.append(listener)
    serve = _serve_listener(pod)
    if serve is not None:
        out.append(serve)
    order = list(pod.ray_params)

    def place(li: Listener) -> tuple[bool, int]:
        # rayStartParams in declaration order; the serve listener (not a param) last.
        return li.explicit, order.index(li.key) if li.key in order else len(order)

    return sorted(out, key=place)


def container_ports(
    container: tuple[FieldPath, Mapping[str, Any]],
) -> Iterator[tuple[FieldPath, Mapping[str, Any]]]:
    """(field path, port) for each entry of a container's `ports`."""
    cpath, c = container
    ports = c.get("ports")
    for i, port in enumerate(ports if isinstance(ports, list) else []):
        if isinstance(port, Mapping):
            yield (*cpath, "ports", i), port


def declared_ports(
    container: tuple[FieldPath, Mapping[str, Any]],
) -> list[tuple[str | None, int]]:
    """(name or None, number) of each numbered port: what `kuberay.head_service_ports` takes."""
    out: list[tuple[str | None, int]] = []
    for _, p in container_ports(container):
        number = as_int(p.get("containerPort"))
        if number is not None:
            out.append((str(p["name"]) if p.get("name") else None, number))
    return out


def ports_or_container(container: tuple[FieldPath, Mapping[str, Any]]) -> FieldPath:
    """The container's `ports` field, or the container when it has none."""
    cpath, c = container
    return (*cpath, "ports") if isinstance(c.get("ports"), list) else cpath


def container_name(container: tuple[FieldPath, Mapping[str, Any]]) -> str:
    """A container's name (or its index when unnamed)."""
    cpath, c = container
    return str(c.get("name", f"#{cpath[-1]}"))


def gpu_count(container: Mapping[str, Any]) -> int | None:
    """`nvidia.com/gpu` of a container: limits, else requests; None when absent."""
    resources = container.get("resources")
    if not isinstance(resources, Mapping):
        return None
    for key in ("limits", "requests"):
        section = resources.get(key)
        if isinstance(section, Mapping) and GPU_RESOURCE in section:
            return as_int(section[GPU_RESOURCE])
    return None


def is_gpu_pod(pod: PodView) -> bool:
    """A pod asking for GPUs: a container with a GPU limit, or `num-gpus` above 0."""
    if any((gpu_count(c) or 0) > 0 for _, c in pod.containers()):
        return True
    return (as_int(pod.ray_params.get("num-gpus")) or 0) > 0


def tolerations(pod: PodView) -> Iterator[tuple[FieldPath, Mapping[str, Any]]]:
    """(field path, toleration) for each toleration of the pod spec."""
    items = pod.spec.get("tolerations")
    for i, t in enumerate(items if isinstance(items, list) else []):
        if isinstance(t, Mapping):
            yield (*pod.spec_path, "tolerations", i), t


def tolerates_key(toleration: Mapping[str, Any], key: str) -> bool:
    """Whether a toleration covers taints with `key` (an empty key with Exists covers all)."""
    if not toleration.get("key"):
        return toleration.get("operator") == "Exists"
    return toleration.get("key") == key


REQUIRED_TERMS: FieldPath = (
    "affinity",
    "nodeAffinity",
    "requiredDuringSchedulingIgnoredDuringExecution",
    "nodeSelectorTerms",
)


def required_node_terms(pod: PodView) -> list[Mapping[str, Any]]:
    """The required nodeAffinity nodeSelectorTerms (ORed by the scheduler)."""
    terms = get_path(pod.spec, REQUIRED_TERMS)
    return [t for t in terms if isinstance(t, Mapping)] if isinstance(terms, list) else []


def term_expressions(term: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The matchExpressions of one nodeSelectorTerm."""
    exprs = term.get("matchExpressions")
    return [e for e in exprs if isinstance(e, Mapping)] if isinstance(exprs, list) else []
