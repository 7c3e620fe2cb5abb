"""The head container of a RayJob or RayService declares a port named `dashboard`.

Why: the RayJob and RayService controllers reach the Ray dashboard (job submission, Serve
deployment) through the head Service port named `dashboard`, which KubeRay builds from the
head container's ports (`utils.FetchHeadServiceURL` with `DashboardPortName`); without it
jobs are never submitted and Serve apps never deploy. A head declaring no port at all is
fine: the head Service then gets KubeRay's default ports, `dashboard` among them
(`kuberay.head_service_ports`, service.go `getServicePorts`).
PASS / FAIL examples: tests/unit/checks/test_ray_dashboard_port_name.py
"""

from __future__ import annotations

from collections.abc import Iterator

from kuberay_gitops import kuberay
from kuberay_gitops.checks._api import CheckContext, CheckSpec, Issue, as_int
from kuberay_gitops.checks._ray import (
    container_name,
    container_ports,
    declared_ports,
    ports_or_container,
    ray_container,
)
from kuberay_gitops.findings import Profile, Severity

CHECK = CheckSpec(
    id="ray-dashboard-port-name",
    severity=Severity.ERROR,
    summary="RayJob/RayService head container declares a port named dashboard",
    hint='name the dashboard port of the head container "dashboard" (containerPort = '
    "rayStartParams dashboard-port, default 8265)",
    profile=Profile.CORRECTNESS,
)

_KINDS = frozenset({"RayJob", "RayService"})


def run(ctx: CheckContext) -> Iterator[Issue]:
    """The head container of each RayJob and RayService."""
    for pod in ctx.index.ray_pods():
        found = ray_container(pod)
        if pod.owner.ref.kind not in _KINDS or pod.ray_role != "head" or found is None:
            continue
        ports = list(container_ports(found))
        if kuberay.DASHBOARD_PORT_NAME in kuberay.head_service_ports(declared_ports(found)):
            continue
        dashboard = as_int(
            pod.ray_params.get("dashboard-port", str(kuberay.DEFAULT_DASHBOARD_PORT))
        )
        misnamed = [(path, p) for path, p in ports if as_int(p.get("containerPort")) == dashboard]
        field = ports_or_container(found)
        if misnamed:
            path, port = misnamed[0]
            field = (*path, "name") if "name" in port else path
        yield Issue(
            pod.owner,
            field,
            f'{pod.owner.ref.kind} head container "{container_name(found)}" declares no port '
            f'named "dashboard"',
        )
