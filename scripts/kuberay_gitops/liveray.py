"""The live Ray port audit: start the real Ray with each cluster's command and compare.

The port checks compare YAML with YAML. Which ports Ray really opens (agents, metrics,
worker processes, the Serve proxy, ports left random), and whether KubeRay's sidecars and
probes reach them, is only known by running Ray. This module:

1. **plans**: takes the `ray start` command of every Ray group of every environment from
   the Pod the real KubeRay v1.7.0 operator generated on the control-plane twin (the
   cluster stage of `validate`, reused as is); for a group with no generated Pod (0
   replicas, `--no-cluster`) it builds the command from `rayStartParams` as KubeRay v1.7.0
   does (`ray-operator/controllers/ray/common/pod.go`: `setMissingRayStartParams` adds
   `metrics-export-port=8080`, `dashboard-agent-listen-port=52365`, `dashboard-host=0.0.0.0`
   on the head and `--block`; `DefaultHeadPodTemplate` adds `no-monitor` with in-tree
   autoscaling; `convertParamMap` renders `--key=value`, `--key` for "true");
2. **normalises** each command: flags that size resources (`num-cpus`, `memory`,
   `num-gpus`, ...), name external services (`redis-password`) or addresses are dropped;
   addresses are rewritten to loopback. Ray replaces `127.0.0.1` by the machine's routable
   address (`services.resolve_ip_for_localhost`), so the head is `127.0.0.2` and workers
   `127.0.0.3`, `127.0.0.4`, ... (all loopback). With in-tree autoscaling KubeRay starts the
   head with `--no-monitor` and runs the autoscaler as a sidecar (`ray kuberay-autoscaler`,
   which needs the Kubernetes API); the audit drops `--no-monitor` instead, so Ray's own
   monitor process (the same `Monitor` class, the same metrics port) stands in for it;
3. **deduplicates**: groups whose normalised head, worker and Serve plans are identical
   share one run, so the repository starts a handful of Ray instances, not one per group
   per environment;
4. **runs** one cluster at a time: the head, then one worker per distinct worker command
   joining it, then Serve (`tools/rayserve.py`) where the cluster serves (RayService
   `serveConfigV2` `http_options`, or `RAY_SERVE_DEFAULT_HTTP_*` in the Ray container's
   environment). Every Ray node listens on `0.0.0.0`/`::` for most ports, so two nodes with
   the same pinned ports would collide on one machine: the n-th worker's pinned ports are
   shifted by n * 10000 (`--node-manager-port=18301`) and shifted back when observed. Each
   instance has its own temp dir and process group (`tools/runner.spawn`, with
   PR_SET_PDEATHSIG), a start deadline, and is always stopped: its whole process group is
   killed (`ray stop` would only ask);
5. **observes** every listening TCP socket of each instance's process tree with psutil
   (`tools/rayprobe.py`, in the Ray venv), names the process (gcs_server, raylet,
   dashboard, agents, client server, monitor, Serve proxy, worker processes) and the
   `rayStartParams` key that pinned the port;
6. **runs KubeRay's own commands** against the instance: the generated Pods' readiness and
   liveness probes (exec and httpGet), the `wait-gcs-ready` init container's script, and the
   autoscaler sidecar's GCS wait (`ray health-check --address <head ip>:6379`, hard-coded in
   Ray's `autoscaler/_private/kuberay/run_autoscaler.py`);
7. **compares** with the repository, per Ray group of every environment:

   - `live-port-undeclared`: Ray listens on a port the Ray container does not declare
     (KubeRay builds the head Service from that list, `service.go` `getServicePorts`);
   - `live-port-not-listening`: a declared container port nothing listens on, or the
     wrong process does;
   - `live-port-random`: a port Ray picked at random (its `rayStartParams` key unset)
     while NetworkPolicies restrict the pod, so no policy can name it;
   - `live-netpol-blocked`: a peer that uses a port (Ray nodes of the cluster for GCS,
     raylet, object manager, agents and worker processes; Prometheus for metrics; the
     operator for the dashboard and, on RayService heads, Serve; clients for the client
     server, dashboard and Serve) is not allowed to reach it (ingress of the pod, and
     egress of the Ray peer);
   - `live-netpol-unused`: a NetworkPolicy rule opens a port towards Ray pods on which no
     Ray process of those pods listens;
   - `live-probe-fails`: a probe, init or sidecar command of KubeRay's fails.

NetworkPolicy semantics are `checks/_netpol.py`'s (public functions only). Findings are
located through `locate.Locator` like every other finding.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from kuberay_gitops import cluster, environments
from kuberay_gitops.checks._netpol import (
    ALL_PORTS,
    EGRESS,
    INGRESS,
    OPERATOR_LABELS,
    ContainerPort,
    Endpoint,
    Policy,
    allowed_intervals,
    container_ports,
    fmt_interval,
    pod_endpoint,
    policies,
    port_entry_intervals,
    restricting,
    rule_matches_peer,
    uncovered,
)
from kuberay_gitops.discover import discover
from kuberay_gitops.exitcodes import ToolFailed
from kuberay_gitops.filememo import RunCache
from kuberay_gitops.findings import (
    FieldPath,
    Report,
    Severity,
    TargetSummary,
    format_field,
    sorted_findings,
)
from kuberay_gitops.index import Generated, ObjectIndex, PodView, get_path
from kuberay_gitops.locate import Pending, locate_all
from kuberay_gitops.manifests import K8sObject
from kuberay_gitops.render import make_renderer, render_targets
from kuberay_gitops.settings import Settings
from kuberay_gitops.tools import rayenv, toolchain
from kuberay_gitops.tools.runner import Service, one_line, run, spawn

UNDECLARED = "live-port-undeclared"
NOT_LISTENING = "live-port-not-listening"
RANDOM = "live-port-random"
BLOCKED = "live-netpol-blocked"
UNUSED = "live-netpol-unused"
PROBE = "live-probe-fails"
CHECK_IDS = (UNDECLARED, NOT_LISTENING, RANDOM, BLOCKED, UNUSED, PROBE)
HINTS: Mapping[str, str] = MappingProxyType(
    {
        UNDECLARED: "declare the port on the Ray container (first container) under a name, so "
        "the head Service and NetworkPolicies can name it, or pin the rayStartParams key to a "
        "declared port",
        NOT_LISTENING: "make the container port and the rayStartParams key that sets it agree "
        "(rayStartParams values are strings), or drop the port nothing listens on",
        RANDOM: "pin the port with the rayStartParams key named (a string), declare it on the "
        "Ray container and allow it in the NetworkPolicies",
        BLOCKED: "widen the NetworkPolicy rule (or add one) so the peer reaches the port Ray "
        "really listens on; endPort covers ranges",
        UNUSED: "remove the port from the rule, or make Ray listen there (rayStartParams)",
        PROBE: "keep GCS on 6379 with in-tree autoscaling, and the probe ports equal to the "
        "rayStartParams KubeRay reads (dashboard-agent-listen-port, Serve's port)",
    }
)

HEAD_IP = "127.0.0.2"
WORKER_IP_BASE = 3  # workers: 127.0.0.3, 127.0.0.4, ...
SHIFT = 10000  # the n-th worker's pinned ports move by n * SHIFT on this one machine
START_SECONDS = 90.0  # a Ray node must be listening within this
STABLE_POLLS = 3  # identical observations in a row: the node has opened its ports
PROBE_SECONDS = 20.0  # a probe, init or sidecar command that takes longer fails
SERVE_SECONDS = 120.0
STOP_GRACE = 5.0
DEFAULT_SERVE_PORT = 8000
AUTOSCALER_GCS_PORT = 6379  # run_autoscaler.py: build_address(head_ip, 6379)
AUTOSCALER_METRIC_PORT = 44217  # ray_constants.AUTOSCALER_METRIC_PORT
DASHBOARD_METRIC_PORT = 44227  # ray_constants.DASHBOARD_METRIC_PORT
WORKER_RANGE = "min-worker-port..max-worker-port"
SERVE = "serve"
# Every Serve replica opens an inter-deployment gRPC server on a random port
# (serve/_private/replica.py `_on_initialized`, `add_insecure_port("[::]:0")`); nothing
# connects to it unless RAY_SERVE_USE_GRPC_BY_DEFAULT / RAY_SERVE_PROXY_USE_GRPC is "1".
REPLICA_GRPC = "unpinnable; unused (RAY_SERVE_USE_GRPC_BY_DEFAULT off)"

# rayStartParams that change what a node listens on stay; these only size the node, name
# places outside it, or are set by the audit itself.
_DROPPED = frozenset(
    {
        "address",
        "block",
        "memory",
        "num-cpus",
        "num-gpus",
        "object-store-memory",
        "object-spilling-directory",
        "redis-password",
        "redis-username",
        "resources",
        "node-ip-address",
        "temp-dir",
        "no-monitor",
        "head",
    }
)
# Pinned ports a worker gets shifted (and every key a port can come from).
PORT_KEYS: tuple[str, ...] = (
    "port",
    "dashboard-port",
    "ray-client-server-port",
    "node-manager-port",
    "object-manager-port",
    "runtime-env-agent-port",
    "dashboard-agent-grpc-port",
    "dashboard-agent-listen-port",
    "metrics-export-port",
    "min-worker-port",
    "max-worker-port",
)
# Which process listens on the port a key pins.
KEY_PROCESS: Mapping[str, str] = MappingProxyType(
    {
        "port": "gcs_server",
        "dashboard-port": "dashboard",
        "ray-client-server-port": "ray-client-server",
        "node-manager-port": "raylet",
        "object-manager-port": "raylet",
        "runtime-env-agent-port": "runtime-env-agent",
        "dashboard-agent-grpc-port": "dashboard-agent",
        "dashboard-agent-listen-port": "dashboard-agent",
        "metrics-export-port": "dashboard-agent",
    }
)
_DEFAULT_KEYS: Mapping[int, tuple[str, str]] = MappingProxyType(
    {
        AUTOSCALER_METRIC_PORT: ("AUTOSCALER_METRIC_PORT", "monitor"),
        DASHBOARD_METRIC_PORT: ("DASHBOARD_METRIC_PORT", "dashboard"),
    }
)
_DEFAULT_PROCESSES: Mapping[int, frozenset[str]] = MappingProxyType(
    {
        AUTOSCALER_METRIC_PORT: frozenset({"monitor"}),
        DASHBOARD_METRIC_PORT: frozenset({"dashboard"}),
    }
)
# Ray's defaults where a key is unset (gcs 6379 and dashboard 8265 and client 10001 on the
# head; the rest are random ports), used only to tell a default from a random port.
_KEY_DEFAULTS: Mapping[str, int] = MappingProxyType(
    {
        "port": 6379,
        "dashboard-port": 8265,
        "ray-client-server-port": 10001,
    }
)

RAY_NODES = "Ray nodes"
PROMETHEUS = "Prometheus"
OPERATOR = "operator"
CLIENTS = "clients"
# Who connects to a port, by what pinned it.
PEERS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "port": (RAY_NODES,),
        "node-manager-port": (RAY_NODES,),
        "object-manager-port": (RAY_NODES,),
        "dashboard-agent-grpc-port": (RAY_NODES,),
        "dashboard-agent-listen-port": (RAY_NODES,),
        WORKER_RANGE: (RAY_NODES,),
        "runtime-env-agent-port": (),  # only its own node's raylet
        REPLICA_GRPC: (),
        "metrics-export-port": (PROMETHEUS,),
        "AUTOSCALER_METRIC_PORT": (PROMETHEUS,),
        "DASHBOARD_METRIC_PORT": (PROMETHEUS,),
        "dashboard-port": (OPERATOR, CLIENTS),
        "ray-client-server-port": (CLIENTS,),
        SERVE: (CLIENTS,),
    }
)
# Peers outside the Ray pods, as NetworkPolicy peers see them (docs/architecture.md).
FIXED_PEERS: Mapping[str, Endpoint] = MappingProxyType(
    {
        PROMETHEUS: Endpoint(
            "monitoring",
            {"app.kubernetes.io/name": "prometheus"},
            {"kubernetes.io/metadata.name": "monitoring"},
        ),
        OPERATOR: Endpoint(
            "kuberay-system", OPERATOR_LABELS, {"kubernetes.io/metadata.name": "kuberay-system"}
        ),
        CLIENTS: Endpoint(
            "ray-clients",
            {},
            {"kubernetes.io/metadata.name": "ray-clients", "kuberay.io/ray-client": "true"},
        ),
    }
)

DOC_BEGIN = "<!-- BEGIN audit-ports: generated by `make audit-ports`; do not edit -->"
DOC_END = "<!-- END audit-ports -->"

Progress = Callable[[str], None]


# --------------------------------------------------------------------------- values


@dataclass(frozen=True, slots=True)
class NodePlan:
    """One Ray node to start: normalised flags and the environment that matters."""

    role: str
    version: str
    flags: tuple[tuple[str, str], ...]
    env: tuple[tuple[str, str], ...]

    def flag(self, key: str) -> str | None:
        """The value of a flag (`"true"` for a switch), None when unset."""
        return next((v for k, v in self.flags if k == key), None)

    def pinned(self) -> dict[str, int]:
        """Port keys set to a number."""
        out: dict[str, int] = {}
        for key in PORT_KEYS:
            value = self.flag(key)
            if value is not None and value.isdigit():
                out[key] = int(value)
        return out


@dataclass(frozen=True, slots=True)
class ServePlan:
    """Where Serve's proxy listens (http_options host and port)."""

    host: str
    port: int


@dataclass(frozen=True, slots=True)
class ClusterPlan:
    """One live run: a head, the distinct worker commands, Serve, the autoscaler."""

    head: NodePlan
    workers: tuple[NodePlan, ...]
    serve: ServePlan | None


@dataclass(frozen=True, slots=True)
class Command:
    """A probe, init or sidecar command of KubeRay's, to run against a node."""

    what: str
    kind: str  # exec | http
    argv: tuple[str, ...] = ()
    url: str = ""
    env: tuple[tuple[str, str], ...] = ()
    field: FieldPath = ()


@dataclass(frozen=True, slots=True)
class GroupRun:
    """One Ray group of one environment and what it runs."""

    env: str
    pod: PodView
    plan: NodePlan
    cluster: ClusterPlan
    container: tuple[FieldPath, Mapping[str, Any]] | None
    commands: tuple[Command, ...]
    generated: bool


@dataclass(frozen=True, slots=True)
class Listener:
    """A listening socket of a Ray node: which process, which port, what pinned it.

    `key` is the rayStartParams key (or Ray default, `serve`, the worker range), None for a
    port Ray picked at random; `lo..hi` is the range a worker-process listener stands for.
    """

    process: str
    port: int
    key: str | None
    lo: int
    hi: int
    candidates: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CommandResult:
    """A KubeRay command run against a node."""

    command: Command
    ok: bool
    detail: str


@dataclass(slots=True)
class NodeObservation:
    """What one started node did."""

    plan: NodePlan
    ip: str
    listeners: list[Listener] = field(default_factory=list)
    results: dict[Command, CommandResult] = field(default_factory=dict)


@dataclass(slots=True)
class ClusterObservation:
    """The head and each worker command of one ClusterPlan."""

    head: NodeObservation
    workers: dict[NodePlan, NodeObservation] = field(default_factory=dict)
    seconds: float = 0.0

    def node(self, plan: NodePlan) -> NodeObservation:
        """The observation of the head or of one worker command."""
        return self.head if plan == self.head.plan else self.workers[plan]


@dataclass(frozen=True, slots=True)
class AuditResult:
    """Findings plus what was observed, for reports, docs/ports.md and the benchmark."""

    report: Report
    rows: tuple[tuple[str, str, str, str, str], ...]
    instances: int
    groups: int


# --------------------------------------------------------------------------- planning


def _env_literals(container: Mapping[str, Any]) -> dict[str, str]:
    """The Ray container's environment that changes what Ray does on this machine.

    Literal `RAY_*` values (Serve's default host and port, token auth); the token Secret
    becomes a per-run token. Addresses, cluster identity and GCS fault tolerance (Redis is
    not here) are the audit's to set.
    """
    skip = {
        "RAY_ADDRESS",
        "RAY_IP",
        "FQ_RAY_IP",
        "RAY_PORT",
        "RAY_REDIS_ADDRESS",
        "RAY_CLUSTER_NAME",
        "RAY_CLUSTER_NAMESPACE",
        "RAY_CLOUD_INSTANCE_ID",
        "RAY_NODE_TYPE_NAME",
        "RAY_USAGE_STATS_KUBERAY_IN_USE",
        "RAY_USAGE_STATS_ENABLED",
    }
    out: dict[str, str] = {}
    env = container.get("env")
    for item in env if isinstance(env, list) else []:
        if not isinstance(item, Mapping):
            continue
        name = str(item.get("name", ""))
        if name in skip or not _SOCKET_ENV.match(name):
            continue
        if "value" in item:
            out[name] = str(item["value"])
        elif name == "RAY_AUTH_TOKEN":
            out[name] = "<token>"
    return out


# Environment that can change what a node listens on or who may talk to it: token auth,
# Serve's defaults, anything naming a port, host or address. The rest (usage-stats tags,
# timeouts, GCS fault tolerance's Redis settings) would only split identical runs.
_SOCKET_ENV = re.compile(r"^RAY_(AUTH_|SERVE_DEFAULT_HTTP_|SERVE_\w*GRPC|\w*(PORT|HOST|ADDRESS))")


def _parse_start(text: str) -> dict[str, str]:
    """`--key=value` / `--key` flags of the `ray start` inside a container's shell command."""
    at = text.find("ray start")
    if at < 0:
        return {}
    flags: dict[str, str] = {}
    for token in shlex.split(text[at + len("ray start") :].split(";", 1)[0]):
        if not token.startswith("--"):
            continue
        key, sep, value = token[2:].partition("=")
        flags[key] = value if sep else "true"
    return flags


def _start_text(container: Mapping[str, Any]) -> str:
    """The generated `ray start` command: KUBERAY_GEN_RAY_START_CMD, else the args."""
    env = container.get("env")
    for item in env if isinstance(env, list) else []:
        if isinstance(item, Mapping) and item.get("name") == "KUBERAY_GEN_RAY_START_CMD":
            return str(item.get("value", ""))
    parts = [*(container.get("command") or []), *(container.get("args") or [])]
    return " ".join(str(p) for p in parts)


def built_flags(pod: PodView, autoscaling: bool) -> dict[str, str]:
    """RayStartParams completed as KubeRay v1.7.0 does for a Pod it has not generated.

    `pod.go`: `setMissingRayStartParams` (metrics-export-port 8080, block,
    dashboard-agent-listen-port 52365, dashboard-host 0.0.0.0 on the head) and
    `DefaultHeadPodTemplate` (no-monitor with in-tree autoscaling); `convertParamMap`
    turns "true" into a bare switch.
    """
    flags = {str(k): str(v) for k, v in pod.ray_params.items()}
    flags.setdefault("metrics-export-port", "8080")
    flags.setdefault("dashboard-agent-listen-port", "52365")
    flags["block"] = "true"
    if pod.ray_role == "head":
        flags.setdefault("dashboard-host", "0.0.0.0")
        if autoscaling:
            flags["no-monitor"] = "true"
    return {k: v for k, v in flags.items() if v.lower() != "false"}


def _normalise(flags: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, v) for k, v in flags.items() if k not in _DROPPED))


def image_of(container: Mapping[str, Any]) -> str:
    """The container's image reference."""
    return str(container.get("image", ""))


def _serve_plan(owner: K8sObject, env: Mapping[str, str]) -> ServePlan | None:
    """Where the cluster serves: serveConfigV2 http_options, else RAY_SERVE_* env."""
    host = env.get("RAY_SERVE_DEFAULT_HTTP_HOST", "0.0.0.0")
    port_env = env.get("RAY_SERVE_DEFAULT_HTTP_PORT")
    if owner.ref.kind == "RayService":
        config = owner.spec.get("serveConfigV2")
        options: Any = {}
        if isinstance(config, str):
            with contextlib.suppress(yaml.YAMLError):
                loaded = yaml.safe_load(config)
                options = loaded.get("http_options") if isinstance(loaded, Mapping) else {}
        port = options.get("port") if isinstance(options, Mapping) else None
        if isinstance(options, Mapping) and options.get("host"):
            host = str(options["host"])
        if isinstance(port, int):
            return ServePlan(host, port)
        return ServePlan(host, int(port_env) if port_env and port_env.isdigit() else 8000)
    if port_env and port_env.isdigit():
        return ServePlan(host, int(port_env))
    return None


def _generated_pods(generated: Sequence[Generated]) -> dict[tuple[str, int, str], K8sObject]:
    out: dict[tuple[str, int, str], K8sObject] = {}
    for g in generated:
        group = g.obj.labels.get("ray.io/group") if g.obj.ref.kind == "Pod" else None
        if group:
            out.setdefault((g.owner.target, g.owner.position, str(group)), g.obj)
    return out


def _probe_commands(
    pod: PodView, container: Mapping[str, Any], field_base: FieldPath, generated: bool
) -> list[Command]:
    """Readiness and liveness probes of the Ray container (KubeRay injects them)."""
    out: list[Command] = []
    template = _template_container(pod)
    for probe_key in ("readinessProbe", "livenessProbe"):
        probe = container.get(probe_key)
        if not isinstance(probe, Mapping):
            continue
        own = template is not None and isinstance(template[1].get(probe_key), Mapping)
        where = (*template[0], probe_key) if own and template else field_base
        what = f"{probe_key} of {'the generated Pod' if generated else 'the template'}"
        exec_ = probe.get("exec")
        http = probe.get("httpGet")
        if isinstance(exec_, Mapping) and isinstance(exec_.get("command"), list):
            argv = tuple(str(a) for a in exec_["command"])
            out.append(Command(what, "exec", argv=argv, field=where))
        elif isinstance(http, Mapping):
            port = http.get("port")
            path = str(http.get("path", "/"))
            out.append(Command(what, "http", url=f"{port}{path}", field=where))
    return out


def _template_container(pod: PodView) -> tuple[FieldPath, Mapping[str, Any]] | None:
    return next(iter(pod.containers()), None)


def _init_commands(pod_obj: K8sObject, head_port_field: FieldPath) -> list[Command]:
    """The `wait-gcs-ready` init container KubeRay injects into worker Pods."""
    out: list[Command] = []
    spec = pod_obj.spec
    for c in spec.get("initContainers") or []:
        if isinstance(c, Mapping) and c.get("name") == "wait-gcs-ready":
            argv = tuple(str(a) for a in [*(c.get("command") or []), *(c.get("args") or [])])
            out.append(
                Command("the wait-gcs-ready init container", "exec", argv, field=head_port_field)
            )
    return out


def _token_auth(body: Mapping[str, Any], base: FieldPath) -> bool:
    """`authOptions.mode: token` on the cluster spec (KubeRay then injects the token)."""
    return bool(get_path(body, (*base, "authOptions", "mode")) == "token")


def plan_groups(
    env: str, index: ObjectIndex, generated: Sequence[Generated], settings: Settings
) -> list[GroupRun]:
    """Every Ray group of one environment with the node it runs and KubeRay's commands."""
    real = _generated_pods(generated)
    by_owner: dict[tuple[str, int], list[PodView]] = {}
    for pod in index.ray_pods():
        by_owner.setdefault((pod.owner.target, pod.owner.position), []).append(pod)
    out: list[GroupRun] = []
    for pods in by_owner.values():
        head = next((p for p in pods if p.ray_role == "head"), None)
        if head is None or head.group_path is None:
            continue
        base = head.group_path[:-1]
        autoscaling = get_path(head.owner.body, (*base, "enableInTreeAutoscaling")) is True
        nodes: dict[str, tuple[NodePlan, tuple[FieldPath, Mapping[str, Any]] | None]] = {}
        extra: dict[str, list[Command]] = {}
        gen_of: dict[str, bool] = {}
        serve: ServePlan | None = None
        head_params = head.ray_params_path or ()
        head_port_field = (*head_params, "port") if "port" in head.ray_params else head_params
        for pod in pods:
            key = (pod.owner.target, pod.owner.position, pod.group or "")
            pod_obj = real.get(key)
            tmpl = _template_container(pod)
            if pod_obj is not None:
                containers = pod_obj.spec.get("containers") or []
                first = containers[0] if containers and isinstance(containers[0], Mapping) else {}
                flags = _parse_start(_start_text(first))
                container: Mapping[str, Any] = first
            else:
                flags = built_flags(pod, autoscaling)
                container = tmpl[1] if tmpl else {}
            image = image_of(container)
            version = rayenv.image_version(image)
            where = f"{pod.owner.ref} {format_field((*pod.spec_path, 'containers', 0, 'image'))}"
            if version is None:
                raise ToolFailed(
                    f'{where}: image "{image}" names no Ray version tag (x.y.z); the live audit '
                    "starts the Ray of the image's version"
                )
            rayenv.locate(settings, version, f'{where} ("{image}")')
            env_lits = _env_literals(container)
            if pod_obj is None and _token_auth(head.owner.body, base):
                # pod.go SetContainerTokenAuthEnvVars: what KubeRay injects with token auth.
                env_lits |= {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": "<token>"}
            plan = NodePlan(
                str(pod.ray_role),
                version,
                _normalise(flags)
                + (
                    (("no-monitor", "true"),)
                    if flags.get("no-monitor") == "true" and not autoscaling
                    else ()
                ),
                tuple(sorted(env_lits.items())),
            )
            if pod.ray_role == "head":
                serve = _serve_plan(pod.owner, env_lits)
            params = pod.ray_params_path or pod.spec_path
            probe_field: FieldPath = (
                (*params, "dashboard-agent-listen-port")
                if "dashboard-agent-listen-port" in pod.ray_params
                else params
            )
            cmds = _probe_commands(pod, container, probe_field, pod_obj is not None)
            if pod_obj is not None and pod.ray_role == "worker":
                cmds += _init_commands(pod_obj, head_port_field)
            nodes[pod.group or ""] = (plan, (tmpl[0], container) if tmpl else None)
            extra[pod.group or ""] = cmds
            gen_of[pod.group or ""] = pod_obj is not None
        head_plan = nodes[head.group or ""][0]
        workers = tuple(
            dict.fromkeys(plan for g, (plan, _) in nodes.items() if g != (head.group or ""))
        )
        cplan = ClusterPlan(head_plan, workers, serve)
        if autoscaling:
            extra[head.group or ""].append(
                Command(
                    "the autoscaler sidecar's GCS wait (run_autoscaler.py)",
                    "exec",
                    (
                        "ray",
                        "health-check",
                        "--address",
                        f"{{HEAD}}:{AUTOSCALER_GCS_PORT}",
                        "--skip-version-check",
                    ),
                    field=head_port_field
                    if "port" in head.ray_params
                    else (*base, "enableInTreeAutoscaling"),
                )
            )
        for pod in pods:
            plan, container_at = nodes[pod.group or ""]
            out.append(
                GroupRun(
                    env,
                    pod,
                    plan,
                    cplan,
                    container_at,
                    tuple(extra[pod.group or ""]),
                    gen_of[pod.group or ""],
                )
            )
    return out


# --------------------------------------------------------------------------- running


def _base_env(ray: rayenv.RayEnv, tmp: Path, token: str) -> dict[str, str]:
    """A clean environment: the Ray venv first on PATH, no usage stats, nothing inherited."""
    env = {
        "PATH": f"{ray.bin}:/usr/local/bin:/usr/bin:/bin",
        "HOME": os.environ.get("HOME", str(tmp)),
        "LANG": "C.UTF-8",
        "TMPDIR": str(tmp),
        "RAY_USAGE_STATS_ENABLED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    return env | {"RAY_AUTH_TOKEN": token} if token else env


def _node_env(plan: NodePlan, base: Mapping[str, str], token: str) -> dict[str, str]:
    env = dict(base)
    for k, v in plan.env:
        env[k] = token if v == "<token>" else v
    return env


def _shifted(plan: NodePlan, shift: int) -> list[str]:
    out: list[str] = []
    for k, given in plan.flags:
        value = given
        if shift and k in PORT_KEYS and k != "port" and given.isdigit():
            n = int(given) + shift
            if n > 65535:
                raise ToolFailed(
                    f"cannot start a second Ray node beside the first: {k}={given} + {shift} "
                    "is beyond 65535"
                )
            value = str(n)
        elif shift and k == "worker-port-list":
            value = ",".join(str(int(p) + shift) for p in given.split(",") if p.strip().isdigit())
        out.append(f"--{k}" if value == "true" else f"--{k}={value}")
    return out


def _group_members(pgid: int) -> list[int]:
    """Pids in a process group (from /proc), so each can be reaped after the group dies."""
    out: list[int] = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if os.getpgid(int(entry.name)) == pgid:
                    out.append(int(entry.name))
    return out


def _subreaper() -> None:
    """Linux: orphans of the Ray nodes become this process's children, to be reaped here.

    Ray's daemons outlive `ray start` when its group is killed at once; without this they
    are re-parented to PID 1, which in some containers never reaps them.
    """
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_CHILD_SUBREAPER, 1)


_PR_SET_CHILD_SUBREAPER = 36


@dataclass(slots=True)
class _Node:
    """A started Ray node: its service (process group), temp dir and pids seen."""

    service: Service
    tmp: Path
    seen: set[int] = field(default_factory=set)

    def stop(self) -> None:
        """Kill its whole process group (and any pid seen that left it), reap, clean up.

        `ray stop --force` is not enough: it finds Ray processes by name, machine-wide, and
        would hit other instances; the group is exactly this node.
        """
        members = set(_group_members(self.service.proc.pid)) | self.seen
        self.service.stop(STOP_GRACE)
        for pid in members:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + STOP_GRACE
        for pid in members:
            while time.monotonic() < deadline:
                try:
                    done, _ = os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:
                    break  # not ours to reap (init will), or already reaped
                if done:
                    break
                time.sleep(0.05)
        shutil.rmtree(self.tmp, ignore_errors=True)


class _Runner:
    """Starts, observes and stops Ray nodes; everything it starts is stopped by `close`."""

    def __init__(self, ray: rayenv.RayEnv, token: str, progress: Progress) -> None:
        self.ray = ray
        self.token = token
        self.progress = progress
        self.nodes: list[_Node] = []
        self.started = 0

    def close(self) -> None:
        """Stop every node, newest first."""
        while self.nodes:
            self.nodes.pop().stop()

    def start(self, plan: NodePlan, ip: str, head_addr: str | None, shift: int) -> _Node:
        """`ray start --block` in a process group of its own, with its own temp dir."""
        tmp = Path(tempfile.mkdtemp(prefix="krg-ray-"))
        argv = [str(self.ray.ray), "start"]
        argv += ["--head"] if head_addr is None else [f"--address={head_addr}"]
        argv += ["--block", f"--node-ip-address={ip}", f"--temp-dir={tmp}", "--num-cpus=1"]
        argv += _shifted(plan, shift)
        env = _node_env(plan, _base_env(self.ray, tmp, self.token), self.token)
        service = spawn(f"ray-{plan.role}", argv, tmp / "ray-start.log", env=env, inherit=False)
        node = _Node(service, tmp)
        self.nodes.append(node)
        self.started += 1
        return node

    def observe(self, node: _Node) -> list[dict[str, Any]]:
        """Every listening socket of the node's process tree (psutil, in the Ray venv)."""
        probe = Path(__file__).with_name("tools") / "rayprobe.py"
        done = run([str(self.ray.python), str(probe), str(node.service.proc.pid)], timeout=60)
        if done.returncode != 0:
            raise ToolFailed(f"rayprobe failed: {one_line(done.stderr)}")
        rows: list[dict[str, Any]] = json.loads(done.stdout)
        node.seen.update(int(r["pid"]) for r in rows)
        return rows

    def settle(self, node: _Node, what: str) -> list[dict[str, Any]]:
        """Observe until the sockets stop changing (a raylet among them), or fail."""
        deadline = time.monotonic() + START_SECONDS
        last: frozenset[tuple[str, int]] | None = None
        same = 0
        rows: list[dict[str, Any]] = []
        while time.monotonic() < deadline:
            if not node.service.alive():
                raise ToolFailed(
                    f"{what} exited while starting: {one_line(node.service.log_tail(600))}"
                )
            rows = self.observe(node)
            now = frozenset((_process(r), int(r["port"])) for r in rows)
            ready = any(r["name"] == "raylet" for r in rows)
            same = same + 1 if ready and now == last else 0
            last = now
            if same >= STABLE_POLLS - 1:
                return rows
            time.sleep(1.0)
        raise ToolFailed(
            f"{what} did not settle within {START_SECONDS:g}s: "
            f"{one_line(node.service.log_tail(600))}"
        )


def _process(row: Mapping[str, Any]) -> str:
    """A readable process name: what the socket's owner is in Ray."""
    name = str(row["name"])
    cmd = " ".join(str(c) for c in row.get("cmdline") or [])
    if name in ("gcs_server", "raylet"):
        return name
    if "dashboard/dashboard.py" in cmd:
        return "dashboard"
    if "ray.util.client.server" in cmd:
        return "ray-client-server"
    if "autoscaler/_private/monitor.py" in cmd:
        return "monitor"
    # Agents are `python3 .../agent.py` until they set their title (a loaded machine sees it).
    if cmd.startswith("ray::DashboardAgent") or "dashboard/agent.py" in cmd:
        return "dashboard-agent"
    if cmd.startswith("ray::RuntimeEnvAgent") or "runtime_env/agent/main.py" in cmd:
        return "runtime-env-agent"
    if cmd.startswith("ray::ProxyActor") or name.startswith("ray::ProxyActor"):
        return "serve-proxy"
    if cmd.startswith("ray::ServeReplica") or name.startswith("ray::ServeRepli"):
        return "serve-replica"
    if cmd.startswith("ray::") or name.startswith("ray::") or name.startswith("python"):
        return "ray-worker"  # an actor or task worker (python3 until it names itself)
    return name


def _worker_range(rows: Sequence[Mapping[str, Any]], plan: NodePlan) -> tuple[int, int]:
    """The worker-process range the raylet really got (its own command line)."""
    for r in rows:
        if r["name"] != "raylet":
            continue
        args = {
            a.split("=", 1)[0]: a.split("=", 1)[1]
            for a in (str(c) for c in r.get("cmdline") or [])
            if "=" in a
        }
        lo, hi = args.get("--min_worker_port"), args.get("--max_worker_port")
        if lo and hi and lo.isdigit() and hi.isdigit() and int(lo) > 0:
            return int(lo), int(hi)
    pinned = plan.pinned()
    return pinned.get("min-worker-port", 10002), pinned.get("max-worker-port", 19999)


def classify(
    rows: Sequence[Mapping[str, Any]],
    plan: NodePlan,
    shift: int,
    serve: ServePlan | None,
) -> list[Listener]:
    """Name each listening port's process and the key that pinned it (shift undone)."""
    pinned = plan.pinned()
    grpc = any(
        k in ("RAY_SERVE_USE_GRPC_BY_DEFAULT", "RAY_SERVE_PROXY_USE_GRPC") and v == "1"
        for k, v in plan.env
    )
    lo, hi = _worker_range(rows, plan)
    lo, hi = lo - shift, hi - shift
    out: dict[tuple[str, int], Listener] = {}
    for r in rows:
        proc = _process(r)
        port = int(r["port"])
        if serve is not None and port == serve.port and proc in ("serve-proxy", "ray-worker"):
            out[("serve-proxy", port)] = Listener("serve-proxy", port, SERVE, port, port)
            continue
        # A Serve replica's gRPC server binds port 0, outside the worker range. Its process
        # may not have named itself `ray::ServeReplica` yet when observed (a loaded machine
        # sees `python3` or a bare `ray::`): a worker outside the range where Serve runs
        # is that replica, whatever its title says at that instant.
        replica = proc == "serve-replica" or (proc == "ray-worker" and serve is not None)
        if replica and not lo <= port - shift <= hi and not grpc:
            out[("serve-replica", 0)] = Listener("serve-replica", port, REPLICA_GRPC, port, port)
            continue
        if (shift and port - shift in pinned.values() and port - shift != pinned.get("port")) or (
            shift and lo <= port - shift <= hi
        ):
            port -= shift
        key = next((k for k, v in pinned.items() if v == port and KEY_PROCESS.get(k) == proc), None)
        if key is None and plan.role == "head":
            key = next(
                (
                    k
                    for k, v in _KEY_DEFAULTS.items()
                    if k not in pinned and v == port and KEY_PROCESS[k] == proc
                ),
                None,
            )
        if key is None and port in _DEFAULT_KEYS and proc in _DEFAULT_PROCESSES[port]:
            key = _DEFAULT_KEYS[port][0]
        if (
            key is None
            and proc in ("ray-worker", "serve-proxy", "serve-replica")
            and lo <= port <= hi
        ):
            out[("ray workers", lo)] = Listener("ray workers", lo, WORKER_RANGE, lo, hi)
            continue
        if key is None:
            candidates = tuple(k for k, p in KEY_PROCESS.items() if p == proc and k not in pinned)
            out[(proc, port)] = Listener(proc, port, None, port, port, candidates)
            continue
        out[(proc, port)] = Listener(proc, port, key, port, port)
    if any(r["name"] == "raylet" for r in rows):
        # The raylet hands worker processes ports from this range (its own command line),
        # whether or not a worker happens to listen at the moment of observation.
        out.setdefault(("ray workers", lo), Listener("ray workers", lo, WORKER_RANGE, lo, hi))
    return sorted(out.values(), key=lambda li: (li.lo, li.process))


@dataclass(frozen=True, slots=True)
class _Where:
    """Where a node's ports are on this machine: its IP, its shift, Serve on the head."""

    ip: str
    shift: int
    shifted: frozenset[int]
    serve: int | None

    def address(self, port: int) -> str:
        """`ip:port` of what the Pod would reach at localhost:port."""
        if self.serve is not None and port == self.serve:
            return f"{HEAD_IP}:{port}"
        return f"{self.ip}:{port + self.shift if port in self.shifted else port}"


def _run_command(
    cmd: Command, where: _Where, env: Mapping[str, str], hosts: Sequence[str]
) -> CommandResult:
    """Run one probe, init or sidecar command against a node; a timeout is a failure."""
    head_ip = HEAD_IP
    if cmd.kind == "http":
        port_text, _, path = cmd.url.partition("/")
        url = f"http://{where.address(int(port_text) if port_text.isdigit() else 0)}/{path}"
        try:
            with urllib.request.urlopen(url, timeout=PROBE_SECONDS) as resp:
                ok = 200 <= resp.status < 400
                return CommandResult(cmd, ok, f"GET {url}: HTTP {resp.status}")
        except (urllib.error.URLError, OSError) as exc:
            return CommandResult(cmd, False, f"GET {url}: {one_line(str(exc), 120)}")
    text = "\x00".join(cmd.argv).replace("{HEAD}", head_ip)
    for host in hosts:
        text = text.replace(host, head_ip)

    def local(m: re.Match[str]) -> str:
        return where.address(int(m.group(2)))

    text = re.sub(r"(localhost|127\.0\.0\.1):(\d+)", local, text)
    argv = text.split("\x00")
    try:
        done = run(argv, env=env, timeout=PROBE_SECONDS)
    except ToolFailed as exc:
        return CommandResult(cmd, False, f"{shlex.join(argv)[:160]}: {exc}")
    detail = one_line((done.stderr or done.stdout)[-300:], 160)
    return CommandResult(cmd, done.returncode == 0, f"exit {done.returncode}: {detail}")


def _serve_port_flags(serve: ServePlan) -> list[str]:
    return [serve.host, str(serve.port)]


def run_cluster(
    runner: _Runner, plan: ClusterPlan, commands: Mapping[NodePlan, Sequence[Command]],
    hosts: Sequence[str],
) -> ClusterObservation:  # fmt: skip
    """Start the head, each worker command, Serve; observe; run KubeRay's commands; stop."""
    began = time.monotonic()
    head = runner.start(plan.head, HEAD_IP, None, 0)
    try:
        gcs = plan.head.pinned().get("port", 6379)
        rows = runner.settle(head, f"Ray head ({plan.head.version})")
        obs = ClusterObservation(NodeObservation(plan.head, HEAD_IP))
        started: list[tuple[NodePlan, _Node, str, int]] = []
        for n, wplan in enumerate(plan.workers, start=1):
            ip = f"127.0.0.{WORKER_IP_BASE + n - 1}"
            node = runner.start(wplan, ip, f"{HEAD_IP}:{gcs}", n * SHIFT)
            started.append((wplan, node, ip, n * SHIFT))
        worker_rows = {
            wplan: runner.settle(node, f"Ray worker joining {HEAD_IP}:{gcs}")
            for wplan, node, _, _ in started
        }
        if plan.serve is not None:
            runner.progress(f"Serve on {plan.serve.host}:{plan.serve.port}")
            helper = Path(__file__).with_name("tools") / "rayserve.py"
            env = _node_env(plan.head, _base_env(runner.ray, head.tmp, runner.token), runner.token)
            done = run(
                [str(runner.ray.python), str(helper), f"{HEAD_IP}:{gcs}",
                 *_serve_port_flags(plan.serve)],
                env=env,
                timeout=SERVE_SECONDS,
            )  # fmt: skip
            if done.returncode != 0:
                raise ToolFailed(f"starting Serve failed: {one_line(done.stderr[-600:])}")
            rows = runner.settle(head, "Ray head with Serve")
        obs.head.listeners = classify(rows, plan.head, 0, plan.serve)
        for wplan, node, ip, shift in started:
            wrows = runner.observe(node) or worker_rows[wplan]
            wobs = NodeObservation(wplan, ip)
            wobs.listeners = classify(wrows, wplan, shift, plan.serve)
            obs.workers[wplan] = wobs
        shifts = {plan.head: 0, **{w: s for w, _, _, s in started}}
        serve_port = plan.serve.port if plan.serve is not None else None
        for nplan, cmds in commands.items():
            nobs = obs.node(nplan)
            shift = shifts[nplan]
            lo, hi = _worker_range([], nplan)
            moved = frozenset(nplan.pinned().values()) - {nplan.pinned().get("port", -1)}
            where = _Where(nobs.ip, shift, moved if shift else frozenset(), serve_port)
            del lo, hi
            env = _node_env(nplan, _base_env(runner.ray, head.tmp, runner.token), runner.token)
            for cmd in dict.fromkeys(cmds):
                nobs.results[cmd] = _run_command(cmd, where, env, hosts)
        obs.seconds = time.monotonic() - began
        return obs
    finally:
        runner.close()


# --------------------------------------------------------------------------- comparing


@dataclass(slots=True)
class _Pending:
    target: str
    obj: K8sObject
    field: FieldPath
    check_id: str
    message: str


def _declared(run_: GroupRun) -> list[tuple[int, ContainerPort]]:
    """(index, port) declared on the Ray container (the generated Pod's, else the template's)."""
    if run_.container is None:
        return []
    ports = run_.container[1].get("ports")
    out: list[tuple[int, ContainerPort]] = []
    for i, p in enumerate(ports if isinstance(ports, list) else []):
        if isinstance(p, Mapping) and isinstance(p.get("containerPort"), int):
            name = p.get("name")
            out.append(
                (
                    i,
                    ContainerPort(
                        int(p["containerPort"]),
                        str(p.get("protocol") or "TCP"),
                        str(name) if name else None,
                    ),
                )
            )
    return out


def _key_field(run_: GroupRun, key: str | None) -> FieldPath:
    """The rayStartParams entry of `key`, else the map; the container's ports for defaults."""
    params = run_.pod.ray_params_path
    if params is not None and key is not None and key in run_.pod.ray_params:
        return (*params, key)
    if key in ("AUTOSCALER_METRIC_PORT", "DASHBOARD_METRIC_PORT", SERVE):
        return (*run_.container[0], "ports") if run_.container else run_.pod.spec_path
    return params if params is not None else run_.pod.spec_path


def _listeners(run_: GroupRun, obs: ClusterObservation) -> list[Listener]:
    """The group's listeners; Serve's proxy counts on every node of a serving cluster."""
    node = obs.node(run_.plan)
    out = list(node.listeners)
    if run_.pod.ray_role == "worker":
        out += [li for li in obs.head.listeners if li.key == SERVE]
    return out


def _peers_of(run_: GroupRun, key: str) -> list[tuple[str, Endpoint, PodView | None]]:
    """The peers outside the Ray pods that use a port of this group."""
    names = list(PEERS.get(key, ()))
    if key == "dashboard-port" and run_.pod.ray_role != "head":
        names = []
    if key == SERVE and run_.pod.owner.ref.kind == "RayService" and run_.pod.ray_role == "head":
        names.append(OPERATOR)
    out: list[tuple[str, Endpoint, PodView | None]] = []
    for name in names:
        if name == RAY_NODES:
            continue
        out.append((name, FIXED_PEERS[name], None))
    return out


def _compare(
    runs: Sequence[GroupRun],
    observed: Mapping[ClusterPlan, ClusterObservation],
    index: ObjectIndex,
) -> list[_Pending]:
    out: list[_Pending] = []
    pols = policies(index)
    by_owner: dict[tuple[str, int], list[GroupRun]] = {}
    for r in runs:
        by_owner.setdefault((r.pod.owner.target, r.pod.owner.position), []).append(r)
    for r in runs:
        obs = observed[r.cluster]
        pod = r.pod
        where = f"{pod.owner.ref} {pod.ray_role} group {pod.group}"
        listeners = _listeners(r, obs)
        declared = _declared(r)
        numbers = {cp.port for _, cp in declared if cp.protocol == "TCP"}
        restricted = restricting(pols, pod.labels, pod.namespace, INGRESS)
        # Ports Ray listens on that the container does not declare.
        for li in listeners:
            if li.key in (None, WORKER_RANGE, REPLICA_GRPC) or li.port in numbers:
                continue
            if li.key == SERVE and pod.ray_role == "worker":
                continue  # the proxy observed on the head; checked on the worker's own ports
            out.append(
                _Pending(
                    pod.owner.target,
                    pod.owner,
                    _key_field(r, li.key),
                    UNDECLARED,
                    f"{li.process} listens on TCP {li.port} ({li.key}) in {where}, but the Ray "
                    f"container declares no port {li.port}; declared: "
                    + (", ".join(str(n) for n in sorted(numbers)) or "none"),
                )
            )
        # Declared ports nothing (or the wrong process) listens on.
        for i, cp in declared:
            if cp.protocol != "TCP":
                continue
            on = [li for li in listeners if li.lo <= cp.port <= li.hi]
            field_ = (*r.container[0], "ports", i) if r.container else pod.spec_path
            label = f"container port {cp.port}{f' ({cp.name})' if cp.name else ''}"
            if not on:
                heard = ", ".join(
                    f"{li.process} {fmt_interval((li.lo, li.hi))}"
                    for li in listeners
                    if li.key is not None
                )
                out.append(
                    _Pending(
                        pod.owner.target,
                        pod.owner,
                        field_,
                        NOT_LISTENING,
                        f"{label} of {where}: no Ray process listens on it; Ray listens on "
                        + (heard or "nothing"),
                    )
                )
                continue
            pinned_key = next((k for k, v in r.plan.pinned().items() if v == cp.port), None)
            want = KEY_PROCESS.get(pinned_key or "")
            if want and all(li.process != want for li in on):
                out.append(
                    _Pending(
                        pod.owner.target,
                        pod.owner,
                        field_,
                        NOT_LISTENING,
                        f"{label} of {where}: listened on by "
                        f"{', '.join(sorted({li.process for li in on}))}, expected {want} "
                        f"({pinned_key})",
                    )
                )
        # Random ports: no policy can name them.
        if restricted:
            for li in listeners:
                if li.key is not None:
                    continue
                keys = " or ".join(f'"{k}"' for k in li.candidates) or "no rayStartParams key"
                out.append(
                    _Pending(
                        pod.owner.target,
                        pod.owner,
                        _key_field(r, None),
                        RANDOM,
                        f"{li.process} listens on random port {li.port} in {where}: "
                        f"rayStartParams {keys} is unset, so Ray picks a port NetworkPolicies "
                        f"({', '.join(p.name for p in restricted)}) cannot allow",
                    )
                )
        out += _blocked(r, listeners, by_owner, pols, index)
    out += _unused(runs, observed, pols, index)
    return out


def _blocked(
    r: GroupRun,
    listeners: Sequence[Listener],
    by_owner: Mapping[tuple[str, int], Sequence[GroupRun]],
    pols: Sequence[Policy],
    index: ObjectIndex,
) -> list[_Pending]:
    """Ports a peer uses that the NetworkPolicies do not let it reach."""
    out: list[_Pending] = []
    pod = r.pod
    dest_ports = container_ports(pod)
    me = pod_endpoint(index, pod)
    ingress = restricting(pols, pod.labels, pod.namespace, INGRESS)
    mates = [
        m.pod
        for m in by_owner[(pod.owner.target, pod.owner.position)]
        if m.pod.ray_role != pod.ray_role or m.pod.ray_role == "worker"
    ]
    where = f"{pod.owner.ref} {pod.ray_role} group {pod.group}"
    seen: set[tuple[str, str]] = set()
    for li in listeners:
        if li.key is None:
            continue
        if li.key == SERVE and pod.ray_role == "worker":
            continue
        peers: list[tuple[str, Endpoint, PodView | None]] = []
        if RAY_NODES in PEERS.get(li.key, ()):
            peers += [(f"{m.ray_role} group {m.group}", pod_endpoint(index, m), m) for m in mates]
        peers += _peers_of(r, li.key)
        for name, peer, peer_pod in peers:
            if (li.key, name) in seen:
                continue
            problems: list[str] = []
            rule_field: tuple[K8sObject, FieldPath] | None = None
            if ingress:
                allowed = allowed_intervals(ingress, INGRESS, peer, dest_ports)
                gap = uncovered((li.lo, li.hi), allowed)
                if gap is not None:
                    problems.append(
                        f"ingress ({', '.join(p.name for p in ingress)}) allows "
                        f"{_fmt_all(allowed)}: {fmt_interval(gap)} blocked"
                    )
                    rule_field = _admitting_rule(ingress, INGRESS, peer)
            if peer_pod is not None:
                egress = restricting(pols, peer_pod.labels, peer_pod.namespace, EGRESS)
                if egress:
                    allowed = allowed_intervals(egress, EGRESS, me, dest_ports)
                    gap = uncovered((li.lo, li.hi), allowed)
                    if gap is not None:
                        problems.append(
                            f"egress of the {name} ({', '.join(p.name for p in egress)}) "
                            f"allows {_fmt_all(allowed)}: {fmt_interval(gap)} blocked"
                        )
                        rule_field = rule_field or _admitting_rule(egress, EGRESS, me)
            if not problems:
                continue
            seen.add((li.key, name))
            target_obj, target_field = (
                rule_field if rule_field is not None else (pod.owner, _key_field(r, li.key))
            )
            out.append(
                _Pending(
                    target_obj.target,
                    target_obj,
                    target_field,
                    BLOCKED,
                    f"{li.process} of {where} listens on TCP {fmt_interval((li.lo, li.hi))} "
                    f"({li.key}) for {name}, but " + "; ".join(problems),
                )
            )
    return out


def _fmt_all(intervals: Sequence[tuple[int, int]]) -> str:
    merged = sorted(set(intervals))
    return ", ".join(fmt_interval(iv) for iv in merged) or "nothing"


def _admitting_rule(
    pols: Sequence[Policy], direction: str, peer: Endpoint
) -> tuple[K8sObject, FieldPath] | None:
    """The first rule that admits the peer: the place to widen (its `ports`)."""
    for pol in pols:
        for i, rule in pol.rules(direction):
            if rule_matches_peer(rule, direction, pol.namespace, peer):
                key = pol.rules_key(direction)
                sub: FieldPath = ("ports",) if rule.get("ports") else ()
                return pol.obj, ("spec", key, i, *sub)
    return None


def _used(listeners: Sequence[Listener], lo: int, hi: int) -> bool:
    return any(
        li.key not in (None, REPLICA_GRPC) and li.lo <= hi and lo <= li.hi for li in listeners
    ) or any(li.key is None and lo <= li.port <= hi for li in listeners)


def _unused(
    runs: Sequence[GroupRun],
    observed: Mapping[ClusterPlan, ClusterObservation],
    pols: Sequence[Policy],
    index: ObjectIndex,
) -> list[_Pending]:
    """Rule ports towards Ray pods on which no Ray process of those pods listens."""
    out: list[_Pending] = []
    ray_labels = {id(r.pod): r for r in runs}
    all_pods = index.pods
    for pol in pols:
        for direction in (INGRESS, EGRESS):
            if direction not in pol.types:
                continue
            for i, rule in pol.rules(direction):
                if direction == INGRESS:
                    dests = [r for r in runs if pol.selects(r.pod.labels, r.pod.namespace)]
                    others = [
                        p
                        for p in all_pods
                        if p.ray_role is None and pol.selects(p.labels, p.namespace)
                    ]
                    if others:
                        continue  # the rule serves other pods too
                else:
                    sources = [r for r in runs if pol.selects(r.pod.labels, r.pod.namespace)]
                    if not sources:
                        continue
                    dests = [
                        r
                        for r in runs
                        if rule.get("to")
                        and rule_matches_peer(
                            rule, EGRESS, pol.namespace, pod_endpoint(index, r.pod)
                        )
                    ]
                if not dests:
                    continue
                ports = rule.get("ports")
                for j, entry in enumerate(ports if isinstance(ports, list) else []):
                    if not isinstance(entry, Mapping):
                        continue
                    spans = {
                        iv
                        for r in dests
                        for iv in port_entry_intervals(entry, container_ports(r.pod), "TCP")
                    }
                    if not spans or ALL_PORTS in spans:
                        continue
                    for lo, hi in sorted(spans):
                        if any(_used(_listeners(r, observed[r.cluster]), lo, hi) for r in dests):
                            continue
                        key = pol.rules_key(direction)
                        out.append(
                            _Pending(
                                pol.obj.target,
                                pol.obj,
                                ("spec", key, i, "ports", j),
                                UNUSED,
                                f"NetworkPolicy {pol.namespace}/{pol.name} opens TCP "
                                f"{fmt_interval((lo, hi))} ({key}) towards "
                                f"{len(dests)} Ray group(s), but no Ray process of them "
                                "listens there",
                            )
                        )
    del ray_labels
    return out


def _command_findings(
    runs: Sequence[GroupRun], observed: Mapping[ClusterPlan, ClusterObservation]
) -> list[_Pending]:
    out: list[_Pending] = []
    for r in runs:
        node = observed[r.cluster].node(r.plan)
        where = f"{r.pod.owner.ref} {r.pod.ray_role} group {r.pod.group}"
        for cmd in r.commands:
            res = node.results.get(cmd)
            if res is None or res.ok:
                continue
            out.append(
                _Pending(
                    r.pod.owner.target,
                    r.pod.owner,
                    cmd.field,
                    PROBE,
                    f"{cmd.what} of {where} fails against the live node ({res.detail})",
                )
            )
    return out


# --------------------------------------------------------------------------- the audit


def _who(r: GroupRun, li: Listener, index: ObjectIndex, pols: Sequence[Policy]) -> list[str]:
    """Who the NetworkPolicies let reach this listener of this group."""
    pod = r.pod
    ingress = restricting(pols, pod.labels, pod.namespace, INGRESS)
    dest = container_ports(pod)
    names: list[str] = []
    candidates: list[tuple[str, Endpoint]] = [
        (RAY_NODES, pod_endpoint(index, pod)),
        *FIXED_PEERS.items(),
    ]
    for name, peer in candidates:
        if (
            not ingress
            or uncovered((li.lo, li.hi), allowed_intervals(ingress, INGRESS, peer, dest)) is None
        ):
            names.append(name)
    return names


def _rows(
    runs: Sequence[GroupRun],
    observed: Mapping[ClusterPlan, ClusterObservation],
    indexes: Mapping[str, ObjectIndex],
) -> tuple[tuple[str, str, str, str, str], ...]:
    """The observed port table: (port, process, nodes, rayStartParams key, who may connect)."""
    table: dict[tuple[int, str, str], dict[str, set[str]]] = {}
    for r in runs:
        index = indexes[r.env]
        pols = policies(index)
        for li in _listeners(r, observed[r.cluster]):
            fixed = li.key is not None and li.key != REPLICA_GRPC
            port = fmt_interval((li.lo, li.hi)) if fixed else "random"
            entry = table.setdefault(
                (li.lo if fixed else 0, port, li.process),
                {"nodes": set(), "key": set(), "who": set()},
            )
            entry["nodes"].add(str(r.pod.ray_role))
            entry["key"].add(li.key or " or ".join(li.candidates) or "-")
            entry["who"].update(_who(r, li, index, pols))
    order = (RAY_NODES, OPERATOR, PROMETHEUS, CLIENTS)
    rows = []
    for (_, port, process), e in sorted(table.items()):
        who = [w for w in order if w in e["who"]]
        rows.append(
            (
                port,
                process,
                ", ".join(sorted(e["nodes"])),
                ", ".join(sorted(e["key"])),
                ", ".join(who) or "nobody (NetworkPolicies allow no peer)",
            )
        )
    return tuple(rows)


def markdown_table(rows: Sequence[tuple[str, str, str, str, str]]) -> str:
    """The table docs/ports.md carries between its audit-ports markers."""
    out = [
        "| Port | Process | Nodes | Set by | Who may connect (NetworkPolicies) |",
        "| --- | --- | --- | --- | --- |",
    ]
    out += [f"| {p} | {proc} | {nodes} | `{key}` | {who} |" for p, proc, nodes, key, who in rows]
    return "\n".join(out) + "\n"


def update_doc(text: str, table: str) -> str:
    """Replace what lies between the markers (exit 3 when they are missing)."""
    begin, end = text.find(DOC_BEGIN), text.find(DOC_END)
    if begin < 0 or end < begin:
        raise ToolFailed(f"markers {DOC_BEGIN!r} ... {DOC_END!r} not found")
    return text[: begin + len(DOC_BEGIN)] + "\n\n" + table + "\n" + text[end:]


def audit(settings: Settings, progress: Progress, use_cluster: bool = True) -> AuditResult:
    """Render, run the cluster stage, start real Ray per distinct plan, compare, locate."""
    tools = toolchain.locate(settings)
    renderer = make_renderer(settings, tools.kustomize)
    cache = RunCache()
    all_targets = discover(settings.repo_root, settings.targets, cache)
    progress(f"rendering {len(all_targets)} targets")
    rendered = render_targets(settings, renderer, all_targets, True, progress, cache)
    ok = {rt.target.path: rt.objects for rt in rendered if rt.error is None}
    broken = [rt.target.path for rt in rendered if rt.error is not None]
    if broken:
        raise ToolFailed(f"{', '.join(broken)} do not render; run `kuberay-gitops validate` first")
    facts = environments.repo_facts(settings, all_targets, rendered)
    argocd = [o for objs in ok.values() for o in objs if o.ref.kind in _APP_KINDS]
    envs = cluster.environments(ObjectIndex(argocd, "argocd"), facts)
    generated: dict[str, list[Generated]] = {}
    if use_cluster and settings.cluster_enabled is not False:
        progress("cluster stage: the KubeRay operator generates the Ray Pods")
        # The cluster stage of `validate`, reused as is.
        results, _ = environments.cluster_stage(
            settings, renderer, all_targets, rendered, facts, True, progress, cache
        )
        for res in results:
            generated[res.name] = list(res.generated)
    runs: list[GroupRun] = []
    indexes: dict[str, ObjectIndex] = {}
    for env in envs:
        objects = [o for t in sorted(env.targets) for o in ok.get(t, [])]
        index = ObjectIndex(objects, env.name, generated=generated.get(env.name, ()))
        indexes[env.name] = index
        runs += plan_groups(env.name, index, generated.get(env.name, ()), settings)
    if not runs:
        raise ToolFailed("no Ray cluster in any environment: nothing to audit")
    plans = list(dict.fromkeys(r.cluster for r in runs))
    token = secrets.token_hex(16)
    _subreaper()
    observed: dict[ClusterPlan, ClusterObservation] = {}
    instances = 0
    hosts = sorted(
        {
            h
            for r in runs
            for c in r.commands
            for h in re.findall(r"[a-z0-9-]+-head-svc(?:\.[a-z0-9.-]+)?", " ".join(c.argv))
        },
        key=len,
        reverse=True,
    )
    with _machine_lock(progress):
        for n, plan in enumerate(plans, start=1):
            instances += _run_plan(
                settings, runs, plan, n, len(plans), token, hosts, progress, observed
            )
    pending: list[_Pending] = []
    for env_name, index in indexes.items():
        env_runs = [r for r in runs if r.env == env_name]
        pending += _compare(env_runs, observed, index)
        pending += _command_findings(env_runs, observed)
    by_target = {t.path: t for t in all_targets}
    progress(f"locating {len(pending)} findings")
    located = [
        Pending(
            p.target,
            p.obj,
            p.field,
            p.check_id,
            Severity.ERROR,
            p.message,
            HINTS[p.check_id],
            "kuberay-gitops",
        )
        for p in pending
    ]
    findings = sorted_findings(locate_all(settings, renderer, located, by_target))
    used = sorted({r.pod.owner.target for r in runs})
    summaries = [TargetSummary(t, len(ok.get(t, [])), True) for t in used]
    note = (
        f"live Ray: {instances} Ray node(s) in {len(plans)} run(s) for {len(runs)} Ray "
        f"group(s) in {len(indexes)} environment(s)"
        + ("" if generated else "; commands built from rayStartParams (no cluster stage)")
    )
    report = Report(findings, summaries, (note,))
    return AuditResult(report, _rows(runs, observed, indexes), instances, len(runs))


@contextlib.contextmanager
def _machine_lock(progress: Progress) -> Iterator[None]:
    """One audit's Ray nodes at a time on this machine: they bind the same fixed ports.

    A lock file in the system temp dir (flock: released by the kernel if this process dies).
    """
    path = Path(tempfile.gettempdir()) / "kuberay-gitops-live-ray.lock"
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            progress("waiting for another live Ray audit on this machine")
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _run_plan(
    settings: Settings,
    runs: Sequence[GroupRun],
    plan: ClusterPlan,
    n: int,
    total: int,
    token: str,
    hosts: Sequence[str],
    progress: Progress,
    observed: dict[ClusterPlan, ClusterObservation],
) -> int:
    """Run one ClusterPlan; the number of Ray nodes started."""
    version = plan.head.version
    ray = rayenv.locate(settings, version, f"Ray {version}")
    commands: dict[NodePlan, list[Command]] = {}
    for r in runs:
        if r.cluster == plan:
            commands.setdefault(r.plan, []).extend(r.commands)
    progress(f"Ray {version}: cluster {n}/{total} (head + {len(plan.workers)} worker command(s))")
    runner = _Runner(ray, token, progress)
    try:
        observed[plan] = run_cluster(runner, plan, commands, hosts)
    finally:
        runner.close()
    return runner.started


_APP_KINDS = frozenset({"Application", "ApplicationSet"})


def iter_check_ids() -> Iterator[str]:
    """The audit's check ids (for docs and `explain`)."""
    yield from CHECK_IDS
