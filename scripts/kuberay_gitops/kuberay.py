"""KubeRay v1.7.0, the part this tool still has to model: one home for every fact.

Ground truth comes first: when the cluster stage ran, the Pods and Services the real
operator created on the control-plane twin are in `ObjectIndex.generated`, and the index
and the checks read those (labels, container ports, the head Service). What is written
here is needed only where the twin cannot answer:
- under `--no-cluster` (machines without the built binaries);
- for groups the operator creates no Pod for yet (`minReplicas: 0`, a RayCronJob until
  it fires, a RayJob submitter before the cluster is ready);
- to map a generated object back to the repository field it came from.
Every fact cites the file of ray-project/kuberay v1.7.0 (`ray-operator/...`) or of Ray it
mirrors; `tests/e2e/test_kuberay_model.py` compares the fallback with what the real
operator generates for this repository, so a drift between the two fails a test.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from kuberay_gitops.findings import FieldPath

# apis/ray/v1: where each Ray kind holds its RayClusterSpec. A RayCronJob's is in its
# RayJob template (raycronjob_types.go `JobTemplate`).
RAY_CLUSTER_SPEC: Mapping[str, FieldPath] = MappingProxyType(
    {
        "RayCluster": ("spec",),
        "RayJob": ("spec", "rayClusterSpec"),
        "RayService": ("spec", "rayClusterConfig"),
    }
)
RAY_KINDS: Mapping[str, FieldPath] = MappingProxyType(
    {
        **RAY_CLUSTER_SPEC,
        "RayCronJob": ("spec", "jobTemplate", "rayClusterSpec"),
    }
)
# rayjob_types.go `SubmitterPodTemplate` (RayCronJob: the same field of its job template).
SUBMITTER_TEMPLATES: Mapping[str, FieldPath] = MappingProxyType(
    {
        "RayJob": ("spec", "submitterPodTemplate"),
        "RayCronJob": ("spec", "jobTemplate", "submitterPodTemplate"),
    }
)

# utils/constant.go `RayContainerIndex`: KubeRay treats container 0 as the Ray container.
RAY_CONTAINER_INDEX = 0

# utils/constant.go: port names and default numbers.
CLIENT_PORT_NAME, DEFAULT_CLIENT_PORT = "client", 10001
GCS_PORT_NAME, DEFAULT_GCS_PORT = "gcs-server", 6379
DASHBOARD_PORT_NAME, DEFAULT_DASHBOARD_PORT = "dashboard", 8265
METRICS_PORT_NAME, DEFAULT_METRICS_PORT = "metrics", 8080
SERVE_PORT_NAME, DEFAULT_SERVE_PORT = "serve", 8000
DEFAULT_DASHBOARD_AGENT_LISTEN_PORT = 52365
# The container port names the operator itself looks up (`utils.FindContainerPort`,
# `utils.FetchHeadServiceURL`): `dashboard` (rayjob_controller.go, rayservice_controller.go,
# common/job.go), `serve` (rayservice_controller.go, common/pod.go's Serve readiness probe)
# and `metrics` (common/pod.go adds one when it is missing). It never looks up `gcs-server`
# or `client`: those are only the names of its default head Service ports.
LOOKED_UP_PORT_NAMES = frozenset({DASHBOARD_PORT_NAME, SERVE_PORT_NAME, METRICS_PORT_NAME})
# Ray, python/ray/scripts/scripts.py (`ray start --min-worker-port/--max-worker-port`).
DEFAULT_WORKER_PORT_RANGE = (10002, 19999)
# Ray, python/ray/serve/_private/constants.py `DEFAULT_HTTP_PORT`: Serve's proxy listens on
# serveConfigV2 `http_options.port`, else on this variable of the Ray container, else 8000.
SERVE_PORT_ENV = "RAY_SERVE_DEFAULT_HTTP_PORT"
# apis/ray/v1/rayservice_types.go `ServeConfigV2`.
SERVE_CONFIG: FieldPath = ("spec", "serveConfigV2")


@dataclass(frozen=True, slots=True)
class PortParam:
    """A rayStartParams key that opens a listening port.

    `name` is the container port name KubeRay gives that port in the head Service when
    the head declares no ports; `default` is the port used when the key is unset (None:
    Ray picks a random port); `head_only` keys mean nothing on workers.
    """

    key: str
    name: str | None = None
    default: int | None = None
    head_only: bool = False


# The one port table. Head-only defaults: Ray's `ray start --head` (GCS 6379, client
# 10001, dashboard 8265). common/pod.go `setMissingRayStartParams` sets
# `metrics-export-port` (8080) and `dashboard-agent-listen-port` (52365) on every node
# unless rayStartParams has them; the others are random unless set.
PORT_PARAMS: tuple[PortParam, ...] = (
    PortParam("port", GCS_PORT_NAME, DEFAULT_GCS_PORT, head_only=True),
    PortParam("ray-client-server-port", CLIENT_PORT_NAME, DEFAULT_CLIENT_PORT, head_only=True),
    PortParam("dashboard-port", DASHBOARD_PORT_NAME, DEFAULT_DASHBOARD_PORT, head_only=True),
    PortParam("dashboard-grpc-port", head_only=True),
    PortParam("metrics-export-port", METRICS_PORT_NAME, DEFAULT_METRICS_PORT),
    PortParam("dashboard-agent-listen-port", None, DEFAULT_DASHBOARD_AGENT_LISTEN_PORT),
    PortParam("dashboard-agent-grpc-port"),
    PortParam("node-manager-port"),
    PortParam("object-manager-port"),
    PortParam("runtime-env-agent-port"),
)

# common/service.go `getDefaultPorts`: the head Service's ports when the head's Ray
# container declares none.
DEFAULT_SERVICE_PORTS: Mapping[str, int] = MappingProxyType(
    {
        CLIENT_PORT_NAME: DEFAULT_CLIENT_PORT,
        GCS_PORT_NAME: DEFAULT_GCS_PORT,
        DASHBOARD_PORT_NAME: DEFAULT_DASHBOARD_PORT,
        METRICS_PORT_NAME: DEFAULT_METRICS_PORT,
        SERVE_PORT_NAME: DEFAULT_SERVE_PORT,
    }
)


def head_service_ports(declared: Sequence[tuple[str | None, int]]) -> dict[str, int]:
    """common/service.go `getServicePorts`: the head Service's port names and numbers.

    `declared` are (name, containerPort) of the head's Ray container. An unnamed port is
    `<number>-port` (`getPortsFromCluster`); the defaults apply only when the container
    declares none; `metrics` is added whenever it is missing.
    """
    ports = {(name or f"{number}-port"): number for name, number in declared}
    if not ports:
        ports = dict(DEFAULT_SERVICE_PORTS)
    ports.setdefault(METRICS_PORT_NAME, DEFAULT_METRICS_PORT)
    return ports


def pod_ports(declared: Sequence[tuple[str | None, int]]) -> list[tuple[str | None, int]]:
    """The Ray container's ports as KubeRay creates them: `metrics` appended if missing.

    common/pod.go `DefaultHeadPodTemplate` / `DefaultWorkerPodTemplate`.
    """
    if any(name == METRICS_PORT_NAME for name, _ in declared):
        return list(declared)
    return [*declared, (METRICS_PORT_NAME, DEFAULT_METRICS_PORT)]


# common/pod.go `labelPod`: labels of every Ray Pod. Template labels override these except
# the three in NOT_OVERRIDABLE; utils.ApplicationName / utils.ComponentName are the values.
RAY_NODE_LABEL = "ray.io/is-ray-node"
CLUSTER_LABEL = "ray.io/cluster"
NODE_TYPE_LABEL = "ray.io/node-type"
GROUP_LABEL = "ray.io/group"
IDENTIFIER_LABEL = "ray.io/identifier"
NOT_OVERRIDABLE = frozenset({NODE_TYPE_LABEL, GROUP_LABEL, CLUSTER_LABEL})
HEAD_GROUP = "headgroup"  # utils/constant.go RayNodeHeadGroupLabelValue
# common/pod.go `DefaultWorkerPodTemplate` (feature RayMultiHostIndexing): labels whose
# value differs per worker replica, so no selector of a whole group can rely on them.
PER_REPLICA_LABELS = frozenset(
    {
        "ray.io/worker-group-replica-index",
        "ray.io/worker-group-replica-name",
        "ray.io/replica-host-index",
    }
)
# rayjob_controller.go (submitter template), raycluster names of RayJob/RayService.
ORIGIN_NAME_LABEL = "ray.io/originated-from-cr-name"
ORIGIN_KIND_LABEL = "ray.io/originated-from-crd"
# A RayJob's or RayService's cluster gets a generated name (utils.GenerateRayClusterName):
# statically only selectors that do not pin `ray.io/cluster` can be judged.
PLACEHOLDER_CLUSTER_SUFFIX = "raycluster-xxxxx"


def check_name(s: str) -> str:
    """utils/util.go `CheckName`: keep the last 50 characters."""
    return s[-50:] if len(s) > 50 else s


def check_label(s: str) -> str:
    """utils/util.go `CheckLabel`: keep the last 63 characters."""
    return s[-63:] if len(s) > 63 else s


def cluster_name(kind: str, name: str) -> str:
    """The RayCluster name of a Ray object (a placeholder where the operator generates it)."""
    return name if kind == "RayCluster" else f"{name}-{PLACEHOLDER_CLUSTER_SUFFIX}"


def pod_labels(
    cluster: str, role: str, group: str, template_labels: Mapping[str, str]
) -> dict[str, str]:
    """common/pod.go `labelPod` for a head (`role` head) or worker Pod of `cluster`."""
    labels = {
        RAY_NODE_LABEL: "yes",
        CLUSTER_LABEL: cluster,
        NODE_TYPE_LABEL: role,
        GROUP_LABEL: group,
        IDENTIFIER_LABEL: check_label(f"{cluster}-{role}"),
        "app.kubernetes.io/name": "kuberay",
        "app.kubernetes.io/created-by": "kuberay-operator",
    }
    for key, value in template_labels.items():
        if key not in NOT_OVERRIDABLE:
            labels[key] = value
    return labels


# common/pod.go `BuildPod`: a RayService's workers are labelled `ray.io/serve: "true"`; its
# head starts at "false" and rayservice_controller.go sets "true" once Serve is healthy.
# The serve Service selects on it (service.go `BuildServeService`).
SERVE_LABEL = "ray.io/serve"


def serve_label(kind: str, role: str) -> dict[str, str]:
    """The `ray.io/serve` label a Pod of `kind` starts with (none outside RayServices)."""
    if kind != "RayService":
        return {}
    return {SERVE_LABEL: "false" if role == "head" else "true"}


def submitter_labels(kind: str, name: str, template_labels: Mapping[str, str]) -> dict[str, str]:
    """rayjob_controller.go `getSubmitterTemplate`: the RayJob's origin labels added."""
    job = name if kind == "RayJob" else f"{name}-*"  # a RayCronJob's RayJobs are named per run
    return {**template_labels, ORIGIN_NAME_LABEL: job, ORIGIN_KIND_LABEL: "RayJob"}


@dataclass(frozen=True, slots=True)
class RayGroup:
    """A head or worker group of a Ray object: where its template and parameters are."""

    role: str  # "head" or "worker"
    group: str
    group_path: FieldPath
    labels: Mapping[str, str]

    @property
    def template_path(self) -> FieldPath:
        """The group's pod template."""
        return (*self.group_path, "template")

    @property
    def params_path(self) -> FieldPath:
        """The group's rayStartParams."""
        return (*self.group_path, "rayStartParams")


def template_labels(template: Any) -> dict[str, str]:
    """`metadata.labels` of a pod template, as strings."""
    meta = template.get("metadata") if isinstance(template, Mapping) else None
    labels = meta.get("labels") if isinstance(meta, Mapping) else None
    return {str(k): str(v) for k, v in labels.items()} if isinstance(labels, Mapping) else {}


def _group_labels(group: Mapping[str, Any]) -> dict[str, str]:
    """common/pod.go `mergeLabels`: template labels, then the group's `labels` over them."""
    own = group.get("labels")
    extra = {str(k): str(v) for k, v in own.items()} if isinstance(own, Mapping) else {}
    return {**template_labels(group.get("template")), **extra}


def ray_groups(kind: str, name: str, body: Mapping[str, Any]) -> Iterator[RayGroup]:
    """The head group, then each worker group (`groupName`), of a Ray object's cluster."""
    base = RAY_KINDS.get(kind)
    if base is None:
        return
    spec: Any = body
    for part in base:
        spec = spec.get(part) if isinstance(spec, Mapping) else None
    if not isinstance(spec, Mapping):
        return
    cluster = cluster_name(kind, name)
    head = spec.get("headGroupSpec")
    if isinstance(head, Mapping) and isinstance(head.get("template"), Mapping):
        labels = pod_labels(cluster, "head", HEAD_GROUP, _group_labels(head))
        labels.update(serve_label(kind, "head"))
        yield RayGroup("head", HEAD_GROUP, (*base, "headGroupSpec"), labels)
    workers = spec.get("workerGroupSpecs")
    for i, group in enumerate(workers if isinstance(workers, list) else []):
        if not isinstance(group, Mapping) or not isinstance(group.get("template"), Mapping):
            continue
        gname = str(group.get("groupName", f"group-{i}"))
        labels = pod_labels(cluster, "worker", gname, _group_labels(group))
        labels.update(serve_label(kind, "worker"))
        yield RayGroup("worker", gname, (*base, "workerGroupSpecs", i), labels)


def start_flags(container: Mapping[str, Any]) -> dict[str, str] | None:
    """The `ray start` flags of a Ray container the operator created (None: no such command).

    common/pod.go `generateRayStartCommand` writes `ray start --head --key=value ...` into
    the container's args (`command: [/bin/bash, -c, --]`): rayStartParams completed by
    `setMissingRayStartParams` (metrics-export-port, dashboard-agent-listen-port, ...),
    so these are the values Ray really starts with. A bare `--flag` is "true".
    """
    parts = [str(a) for key in ("command", "args") for a in (container.get(key) or [])]
    try:
        words = shlex.split(" ".join(parts))
    except ValueError:
        return None
    for i in range(len(words) - 1):
        if words[i] == "ray" and words[i + 1] == "start":
            flags: dict[str, str] = {}
            for word in words[i + 2 :]:
                if not word.startswith("--"):
                    if word in (";", "&&", "||", "|"):
                        break
                    continue
                key, eq, value = word[2:].partition("=")
                flags[key] = value if eq else "true"
            return flags
    return None


# ---------------------------------------------------------------- generated Services
# common/service.go (v1.7.0); each function returns the Service body the operator creates.

APP_NAME_LABEL = "app.kubernetes.io/name"
ENABLE_SERVE_SERVICE_ANNOTATION = "ray.io/enable-serve-service"  # utils/constant.go


def head_service_labels(cluster: str, app_name: str | None) -> dict[str, str]:
    """`HeadServiceLabels`: the head Service's labels and its selector.

    The head template's app name wins (raycluster_controller.go `reconcileHeadService`
    passes it to `BuildServiceForHeadPod`, whose selector takes it).
    """
    return {
        CLUSTER_LABEL: cluster,
        NODE_TYPE_LABEL: "head",
        IDENTIFIER_LABEL: check_label(f"{cluster}-head"),
        APP_NAME_LABEL: app_name or "kuberay",
        "app.kubernetes.io/created-by": "kuberay-operator",
    }


def _sub(node: Any, key: str) -> Mapping[str, Any]:
    value = node.get(key) if isinstance(node, Mapping) else None
    return value if isinstance(value, Mapping) else {}


def _head_ports(head: Mapping[str, Any]) -> list[tuple[str | None, int]]:
    containers = _sub(head.get("template"), "spec").get("containers")
    first = containers[RAY_CONTAINER_INDEX] if isinstance(containers, list) and containers else {}
    out: list[tuple[str | None, int]] = []
    for p in first.get("ports") or [] if isinstance(first, Mapping) else []:
        if isinstance(p, Mapping) and isinstance(p.get("containerPort"), int):
            out.append((str(p["name"]) if p.get("name") else None, p["containerPort"]))
    return out


def _service(
    name: str, labels: Mapping[str, str], selector: Mapping[str, str], ports: Any
) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "labels": dict(labels)},
        "spec": {"selector": dict(selector), "ports": ports},
    }


def _is_serving_port(name: str) -> bool:
    """service.go `isServingPort`: `serve`, or prefixed `serve-`."""
    return name == SERVE_PORT_NAME or name.startswith(f"{SERVE_PORT_NAME}-")


def generated_services(
    kind: str, name: str, annotations: Mapping[str, str], body: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """The Services the operator creates for a Ray object's cluster, as it creates them.

    `BuildServiceForHeadPod` (the cluster's head Service: a custom `headService` keeps its
    own fields, gets the selector, the default ports appended and the default labels over
    its own), `BuildHeadServiceForRayService` / `BuildHeadServiceForRayJob` (job.go: the
    same Service named after the owner), `BuildServeService` (RayServices, and RayClusters
    annotated `ray.io/enable-serve-service: "true"`: the serving ports only). A RayCronJob
    has none until it fires. Not modelled (the twin shows them where it runs): a RayJob
    cluster's custom `headService` name, a RayService's own `serveService`, the headless
    worker Service of multi-host groups (`numOfHosts > 1`).
    """
    spec: Any = body
    for part in RAY_CLUSTER_SPEC.get(kind, ("-",)):
        spec = spec.get(part) if isinstance(spec, Mapping) else None
    head = _sub(spec, "headGroupSpec")
    if not isinstance(head.get("template"), Mapping):
        return []
    cluster = cluster_name(kind, name)
    app = template_labels(head["template"]).get(APP_NAME_LABEL)
    selector = head_service_labels(cluster, app)
    port_map = head_service_ports(_head_ports(head))
    auto = [{"name": n, "port": p, "appProtocol": "tcp"} for n, p in sorted(port_map.items())]
    custom = _sub(head, "headService")
    default_name = f"{cluster}-head-svc"
    if custom:
        meta = _sub(custom, "metadata")
        svc = _service(
            str(meta.get("name") or default_name) if kind == "RayCluster" else default_name,
            {**template_labels({"metadata": meta}), **selector},
            selector,
            [*(_sub(custom, "spec").get("ports") or []), *auto],
        )
    else:
        svc = _service(default_name, selector, selector, auto)
    out = [svc]
    if kind in ("RayService", "RayJob") and not (
        kind == "RayJob" and _sub(body, "spec").get("clusterSelector")
    ):
        out.append(
            _service(
                f"{name}-head-svc",
                {
                    ORIGIN_NAME_LABEL: name,
                    ORIGIN_KIND_LABEL: kind,
                    NODE_TYPE_LABEL: "head",
                    IDENTIFIER_LABEL: check_label(f"{name}-head"),
                },
                # job.go / service.go build it with BuildServiceForHeadPod(..., nil, nil):
                # the default app name, whatever the head template says.
                head_service_labels(cluster, None),
                auto,
            )
        )
    serving = [{"name": n, "port": p} for n, p in port_map.items() if _is_serving_port(n)]
    if serving and (
        kind == "RayService" or annotations.get(ENABLE_SERVE_SERVICE_ANNOTATION) == "true"
    ):
        owner = name if kind == "RayService" else cluster
        serve_selector = {CLUSTER_LABEL: cluster}
        if kind == "RayService":
            serve_selector[SERVE_LABEL] = "true"
        labels = {
            ORIGIN_NAME_LABEL: owner,
            ORIGIN_KIND_LABEL: kind if kind == "RayService" else "RayCluster",
            SERVE_LABEL: f"{owner}-serve",
        }
        out.append(_service(f"{owner}-serve-svc", labels, serve_selector, serving))
    return out
