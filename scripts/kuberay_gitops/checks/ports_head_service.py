"""The head container declares the named ports KubeRay builds the head Service from.

Why: KubeRay generates `<cluster>-head-svc` (it is not in the repository) from the head
container's named ports; a port that is missing or misnamed is not exposed, or is exposed
at KubeRay's default number while Ray listens elsewhere, so workers, clients, the
dashboard, scrapers or the Serve Service (`serve`, RayService only) cannot reach the head.
Option `required_names`: names every head container must declare (`serve` is added for
RayService heads).
PASS / FAIL examples: tests/unit/checks/test_ports_head_service.py
"""

from __future__ import annotations

from collections.abc import Iterator

from kuberay_gitops.checks._api import CheckContext, CheckSpec, Issue
from kuberay_gitops.checks._ray import (
    SERVE_PORT_NAME,
    container_name,
    container_ports,
    ports_or_container,
    ray_container,
)
from kuberay_gitops.findings import Severity

CHECK = CheckSpec(
    id="ports-head-service",
    severity=Severity.ERROR,
    summary="the head container declares the named ports of KubeRay's head Service",
    hint="declare the port on the head container (first container) under this exact name, "
    "with the number rayStartParams uses",
    options={"required_names": ["gcs-server", "client", "dashboard", "metrics"]},
)


def run(ctx: CheckContext) -> Iterator[Issue]:
    """Each required name on each head container."""
    base = [str(n) for n in ctx.options["required_names"]]
    for pod in ctx.index.ray_pods():
        found = ray_container(pod) if pod.ray_role == "head" else None
        if found is None:
            continue
        required = list(base)
        if pod.owner.ref.kind == "RayService" and SERVE_PORT_NAME not in required:
            required.append(SERVE_PORT_NAME)
        declared = {p.get("name") for _, p in container_ports(found)}
        for name in required:
            if name not in declared:
                yield Issue(
                    pod.owner,
                    ports_or_container(found),
                    f'head container "{container_name(found)}" declares no port named "{name}", '
                    "so the head Service KubeRay builds does not expose it as configured",
                )
