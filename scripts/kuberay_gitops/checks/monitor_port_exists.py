"""Monitor endpoints must name ports that the selected Services or pods have.

Why: prometheus-operator keeps only the endpoints whose port matches, so a misspelled or
renamed port (e.g. KubeRay's `metrics` renamed in the head container) drops the target
silently: no error, no scrape, no alert until someone looks at the graphs.
ServiceMonitor `endpoints[].port` must be the `name` of a port of a selected Service, and
`endpoints[].targetPort` a container port (name or number) of the pods behind them.
PodMonitor `podMetricsEndpoints[].port` must be a containerPort name of a selected pod
(`portNumber` / `targetPort`: a port number or name the pods expose). KubeRay's head Service
`<cluster>-head-svc` is generated at run time, so a ServiceMonitor selecting it (by
`ray.io/node-type: head`, `ray.io/cluster`, `ray.io/identifier`, `app.kubernetes.io/name:
kuberay`) is matched against a synthetic head Service whose ports are the named ports of
the head container plus KubeRay's defaults (see checks/_netpol.py). Monitors that select
nothing are left to monitor-selects-nothing.
PASS / FAIL examples: tests/unit/checks/test_monitor_port_exists.py
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from kuberay_gitops.checks._api import CheckContext, CheckSpec, Issue, as_int
from kuberay_gitops.checks._netpol import (
    ContainerPort,
    container_ports,
    listens_on,
    monitored_pods,
    monitored_services,
)
from kuberay_gitops.findings import Profile, Severity
from kuberay_gitops.index import PodView

CHECK = CheckSpec(
    id="monitor-port-exists",
    severity=Severity.ERROR,
    summary="monitor endpoint ports exist on the selected Services or pods",
    hint="use one of the port names listed (for the KubeRay head Service: the name of the "
    "head container's port, e.g. metrics)",
    profile=Profile.CORRECTNESS,
)


def _pod_has(pods: Sequence[PodView], value: Any) -> bool:
    number = as_int(value)
    if number is not None:
        return any(listens_on(p, number, number, proto) for p in pods for proto in ("TCP", "UDP"))
    return any(cp.name == str(value) for p in pods for cp in container_ports(p))


def _names(ports: Sequence[ContainerPort]) -> str:
    names = sorted({cp.name for cp in ports if cp.name})
    return ", ".join(names) if names else "none"


def _service_monitor(ctx: CheckContext, obj: Any) -> Iterator[Issue]:
    svcs = monitored_services(ctx.index, obj)
    if not svcs:
        return
    pods = [p for s in svcs for p in s.pods]
    endpoints = obj.spec.get("endpoints")
    for i, ep in enumerate(endpoints if isinstance(endpoints, list) else []):
        if not isinstance(ep, Mapping):
            continue
        port, target = ep.get("port"), ep.get("targetPort")
        if port is not None:
            if any(sp.name == str(port) for s in svcs for sp in s.ports):
                continue
            listed = "; ".join(
                f"{s.describe()}: {', '.join(sp.name for sp in s.ports if sp.name) or 'none'}"
                for s in svcs
            )
            yield Issue(
                obj,
                ("spec", "endpoints", i, "port"),
                f'endpoint port "{port}" is not a port name of the selected Services ({listed})',
            )
        elif target is not None and not _pod_has(pods, target):
            yield Issue(
                obj,
                ("spec", "endpoints", i, "targetPort"),
                f'endpoint targetPort "{target}" is not a port of the pods behind the selected '
                f"Services (named: {_names([cp for p in pods for cp in container_ports(p)])})",
            )


def _pod_monitor(ctx: CheckContext, obj: Any) -> Iterator[Issue]:
    pods = monitored_pods(ctx.index, obj)
    if not pods:
        return
    named = _names([cp for p in pods for cp in container_ports(p)])
    endpoints = obj.spec.get("podMetricsEndpoints")
    for i, ep in enumerate(endpoints if isinstance(endpoints, list) else []):
        if not isinstance(ep, Mapping):
            continue
        for key in ("port", "portNumber", "targetPort"):
            value = ep.get(key)
            if value is None:
                continue
            if key == "port":
                ok = any(cp.name == str(value) for p in pods for cp in container_ports(p))
            else:
                ok = _pod_has(pods, value)
            if not ok:
                yield Issue(
                    obj,
                    ("spec", "podMetricsEndpoints", i, key),
                    f'podMetricsEndpoints {key} "{value}" is not a container port of the '
                    f"{len(pods)} selected pod template(s) (named: {named})",
                )
            break


def run(ctx: CheckContext) -> Iterator[Issue]:
    """Each monitor endpoint's port exists on what the monitor selects."""
    for obj in ctx.index.of_kind("ServiceMonitor"):
        yield from _service_monitor(ctx, obj)
    for obj in ctx.index.of_kind("PodMonitor"):
        yield from _pod_monitor(ctx, obj)
