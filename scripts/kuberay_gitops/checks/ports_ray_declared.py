"""Every port Ray listens on is a containerPort of the Ray container, under KubeRay's name.

Why: KubeRay builds the head Service from the head container's named ports, and
NetworkPolicies and Services written by name only reach ports that are declared, so a
port Ray opens but the pod does not declare is silently unreachable (or the head Service
exposes KubeRay's default number while Ray listens elsewhere).

Listeners come from rayStartParams (`port`, `ray-client-server-port`, `dashboard-port`,
`dashboard-grpc-port`, `metrics-export-port`, `dashboard-agent-listen-port`,
`dashboard-agent-grpc-port`, `node-manager-port`, `object-manager-port`,
`runtime-env-agent-port`) and, when unset, KubeRay's defaults: head gcs 6379, client
10001, dashboard 8265 (unless `include-dashboard: "false"`); every node metrics 8080 and
dashboard agent 52365; a RayService head also runs Serve's HTTP proxy, on `serveConfigV2`
`http_options.port`, else the head's `RAY_SERVE_DEFAULT_HTTP_PORT`, else 8000, which must
be the port named `serve` (KubeRay's serve Service and readiness probe use it).
Declaring the metrics port is required even though KubeRay appends `metrics: 8080` when it
is missing, so that the repository states what runs. Ports Ray picks at random (unset or
`0`) and the `min-worker-port`..`max-worker-port` range are not checked: a range cannot
usefully be declared port by port, and NetworkPolicies allow it with `endPort`.

Variants: `[undeclared]` no containerPort with that number; `[name]` declared under
another name than the one KubeRay looks up (`dashboard`, `metrics`, `serve`; it never
looks up `gcs-server` or `client`, so those may be named freely); `[number]` a port with
KubeRay's name has another number than the one Ray listens on (reported at the
rayStartParams value, or Serve's port setting, when one is set, else at the containerPort).
Profiles: the check is this platform's port plan (Kubernetes needs no containerPort
to reach a process); `[name]` and `[number]` on a port KubeRay looks up are correctness,
since the operator then reaches, probes or duplicates the wrong port.
PASS / FAIL examples: tests/unit/checks/test_ports_ray_declared.py
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from kuberay_gitops import kuberay
from kuberay_gitops.checks._api import CheckContext, CheckSpec, Issue, as_int
from kuberay_gitops.checks._ray import (
    Listener,
    container_name,
    container_ports,
    ports_or_container,
    ray_container,
    ray_listeners,
)
from kuberay_gitops.findings import FieldPath, Profile, Severity
from kuberay_gitops.index import PodView

CHECK = CheckSpec(
    id="ports-ray-declared",
    severity=Severity.ERROR,
    summary="ports Ray listens on are declared containerPorts of the Ray container, "
    "named as KubeRay expects",
    hint="add the port to the Ray container's ports (first container) under KubeRay's name "
    "(gcs-server, client, dashboard, metrics, serve; the operator looks up dashboard, "
    "metrics and serve)",
    profile=Profile.PLATFORM,
)

Ports = list[tuple[FieldPath, Mapping[str, Any]]]


def run(ctx: CheckContext) -> Iterator[Issue]:
    """Each Ray listener of each Ray pod against the Ray container's ports."""
    for pod in ctx.index.ray_pods():
        found = ray_container(pod)
        if found is None:
            continue
        ports = [
            (path, p)
            for path, p in container_ports(found)
            if "protocol" not in p or str(p["protocol"]).upper() == "TCP"
        ]
        for listener in ray_listeners(pod):
            yield from _check(pod, found, ports, listener)


def _check(
    pod: PodView,
    found: tuple[FieldPath, Mapping[str, Any]],
    ports: Ports,
    li: Listener,
) -> Iterator[Issue]:
    where = f"{pod.ray_role} group {pod.group}"
    same_number = [(path, p) for path, p in ports if as_int(p.get("containerPort")) == li.number]
    looked_up = li.name in kuberay.LOOKED_UP_PORT_NAMES
    if same_number:
        if not looked_up or any(p.get("name") == li.name for _, p in same_number):
            return
        path, port = same_number[0]
        yield Issue(
            pod.owner,
            (*path, "name") if "name" in port else path,
            f"{where}: containerPort {li.number} ({li.describe()}) is named "
            f'"{port.get("name", "")}"; KubeRay looks it up as "{li.name}"',
            variant="name",
            profile=Profile.CORRECTNESS,
        )
        return
    named = [(path, p) for path, p in ports if li.name is not None and p.get("name") == li.name]
    if named:
        path, port = named[0]
        # An explicit rayStartParams value is what moved Ray; otherwise the port moved.
        yield Issue(
            pod.owner,
            li.path if li.explicit else (*path, "containerPort"),
            f'{where}: port "{li.name}" is {port.get("containerPort")} but Ray listens on '
            f"{li.describe()}",
            variant="number",
            profile=Profile.CORRECTNESS if looked_up else None,
        )
        return
    expected = f' named "{li.name}"' if li.name else ""
    yield Issue(
        pod.owner,
        li.path if li.explicit else ports_or_container(found),
        f"{where}: Ray listens on {li.describe()} but the Ray container "
        f'"{container_name(found)}" declares no containerPort {li.number}{expected}',
        variant="undeclared",
    )
