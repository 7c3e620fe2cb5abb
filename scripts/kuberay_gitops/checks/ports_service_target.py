"""Service targetPort must name or number a port that the selected pods expose.

Why: a wrong targetPort leaves the Service without ready endpoints for that port, so Ray
clients, dashboards and scrapers time out instead of failing fast.

A missing targetPort means the `port` number. A name must be a containerPort name of
every selected pod (for Ray pods, KubeRay also adds `metrics` when the Ray container has
no port of that name); a number must be a containerPort or a port the Ray processes open
(rayStartParams or KubeRay default, see `_ray.ray_listeners`). Services selecting no pod
are left to other checks, and the head Service `<cluster>-head-svc` is KubeRay's to build
(see ports-head-service); a Service the repository writes that selects Ray pods is checked.
Variants: `[name]`, `[number]`.
PASS / FAIL examples: tests/unit/checks/test_ports_service_target.py
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from kuberay_gitops import kuberay
from kuberay_gitops.checks._api import CheckContext, CheckSpec, Issue, as_int
from kuberay_gitops.checks._ray import container_ports, ray_container, ray_listeners
from kuberay_gitops.findings import Profile, Severity
from kuberay_gitops.index import RAY_CLUSTER_SPEC, ObjectIndex, PodView
from kuberay_gitops.manifests import K8sObject

CHECK = CheckSpec(
    id="ports-service-target",
    severity=Severity.ERROR,
    summary="Service targetPort matches a container port of the selected pods",
    hint="use one of the container port names listed, or fix the Service selector",
    profile=Profile.CORRECTNESS,
)


def run(ctx: CheckContext) -> Iterator[Issue]:
    """Each port of each Service that selects pods."""
    for svc in ctx.index.of_kind("Service"):
        if svc.spec.get("type") == "ExternalName" or _kuberay_head_service(ctx.index, svc):
            continue
        pods = ctx.index.pods_selected_by_service(svc)
        if not pods:
            continue
        ports = svc.spec.get("ports")
        for i, port in enumerate(ports if isinstance(ports, list) else []):
            if isinstance(port, Mapping):
                yield from _check_port(svc, i, port, pods)


def _kuberay_head_service(index: ObjectIndex, svc: K8sObject) -> bool:
    return any(
        svc.ref.name == f"{ray.ref.name}-head-svc" and svc.ref.namespace == ray.ref.namespace
        for ray in index.of_kind(*RAY_CLUSTER_SPEC)
    )


def _check_port(
    svc: K8sObject, i: int, port: Mapping[str, Any], pods: list[PodView]
) -> Iterator[Issue]:
    target = port.get("targetPort", port.get("port"))
    field = "targetPort" if "targetPort" in port else "port"
    number = target if isinstance(target, int) else None
    if number is None and not isinstance(target, str):
        return
    missing = [p for p in pods if not _exposes(p, target)]
    if not missing:
        return
    what = f"targetPort {number}" if number is not None else f'targetPort "{target}"'
    known = sorted(_names(missing[0])) if number is None else sorted(_numbers(missing[0]))
    yield Issue(
        svc,
        ("spec", "ports", i, field),
        f"{what} matches no container port of {', '.join(str(p) for p in missing)}; "
        f"known: {', '.join(str(k) for k in known) or 'none'}",
        variant="number" if number is not None else "name",
    )


def _exposes(pod: PodView, target: int | str) -> bool:
    if isinstance(target, int):
        return target in _numbers(pod)
    return target in _names(pod)


def _names(pod: PodView) -> set[str]:
    names = {
        str(p["name"]) for c in pod.containers() for _, p in container_ports(c) if p.get("name")
    }
    if pod.ray_role and ray_container(pod) is not None:
        # kuberay.pod_ports: KubeRay appends `metrics` to the Ray container unless it has
        # a port of that name, so a Ray pod always exposes the name.
        names.add(kuberay.METRICS_PORT_NAME)
    return names


def _numbers(pod: PodView) -> set[int]:
    numbers = {
        n
        for c in pod.containers()
        for _, p in container_ports(c)
        if (n := as_int(p.get("containerPort"))) is not None
    }
    if pod.ray_role:
        numbers.update(li.number for li in ray_listeners(pod))
    return numbers
