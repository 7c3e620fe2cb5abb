"""No two listeners of one pod share a port number.

Why: all containers of a pod share one network namespace, so the second process to bind
a port fails to start (Ray's raylet or dashboard crash-loops, or a sidecar does) and a
Service or NetworkPolicy on that number reaches the wrong process.

Listeners are the containerPorts of every container (per protocol) plus, for Ray pods,
the ports the Ray processes open from rayStartParams or KubeRay's defaults (see
`_ray.ray_listeners`). A containerPort of the Ray container with the number of a Ray
listener is that listener's declaration, not a duplicate.
Variants: `[container]` two containerPorts; `[ray-params]` two Ray listeners;
`[sidecar]` a non-Ray container's port that a Ray process also opens.
PASS / FAIL examples: tests/unit/checks/test_ports_duplicate.py
"""

from __future__ import annotations

from collections.abc import Iterator

from kuberay_gitops.checks._api import CheckContext, CheckSpec, Issue, as_int
from kuberay_gitops.checks._ray import container_name, container_ports, ray_listeners
from kuberay_gitops.findings import Profile, Severity
from kuberay_gitops.index import PodView

CHECK = CheckSpec(
    id="ports-duplicate",
    severity=Severity.ERROR,
    summary="no two listeners (containerPorts, rayStartParams ports) of a pod share a port",
    hint="give each process of the pod its own port (change the containerPort or the "
    "rayStartParams value)",
    profile=Profile.CORRECTNESS,
)


def run(ctx: CheckContext) -> Iterator[Issue]:
    """Container ports, then Ray listeners, of every pod."""
    for pod in ctx.index.pods:
        yield from _container_duplicates(pod)
        if pod.ray_role is not None:
            yield from _ray_duplicates(pod)


def _container_duplicates(pod: PodView) -> Iterator[Issue]:
    seen: dict[tuple[int, str], str] = {}
    for container in pod.containers():
        name = container_name(container)
        for path, port in container_ports(container):
            number = as_int(port.get("containerPort"))
            if number is None:
                continue
            key = (number, str(port.get("protocol", "TCP")).upper())
            if key in seen:
                yield Issue(
                    pod.owner,
                    (*path, "containerPort"),
                    f'{_where(pod)}containerPort {number}/{key[1]} of container "{name}" is '
                    f'already a containerPort of container "{seen[key]}"',
                    variant="container",
                )
            else:
                seen[key] = name


def _ray_duplicates(pod: PodView) -> Iterator[Issue]:
    listeners = ray_listeners(pod)
    first: dict[int, str] = {}
    for li in listeners:
        if li.number in first:
            yield Issue(
                pod.owner,
                li.path,
                f"{_where(pod)}{li.describe()} is the port of {first[li.number]}",
                variant="ray-params",
            )
        else:
            first[li.number] = li.describe()
    declared: set[int | None] = set()  # reported by _container_duplicates when repeated
    for index, container in enumerate(pod.containers()):
        for path, port in container_ports(container):
            if str(port.get("protocol", "TCP")).upper() != "TCP":
                continue
            number = as_int(port.get("containerPort"))
            repeated = number in declared
            declared.add(number)
            if index > 0 and not repeated and number in first:
                yield Issue(
                    pod.owner,
                    (*path, "containerPort"),
                    f"{_where(pod)}containerPort {number} of container "
                    f'"{container_name(container)}" is also opened by Ray: {first[number]}',
                    variant="sidecar",
                )


def _where(pod: PodView) -> str:
    return f"{pod.ray_role} group {pod.group}: " if pod.ray_role else ""
