"""The head Service KubeRay builds exposes the named ports clients and peers use.

Why: KubeRay generates `<cluster>-head-svc` (it is not in the repository): one port per
port of the head's Ray container (container 0), and its default ports only when that
container declares none (`controllers/ray/common/service.go`, v1.7.0). That Service is
headless unless the operator sets ENABLE_RAY_HEAD_CLUSTER_IP_SERVICE or the head brings a
service type or `headService` of its own, so a port missing from it is still reachable
on the head Pod; what needs
the names is whatever addresses ports by name: a ClusterIP or LoadBalancer head Service,
scrapers, this platform's NetworkPolicies and monitors. That makes the list of names
this platform's port plan (profile platform); the one name KubeRay itself looks up,
`dashboard` for RayJobs and RayServices, is `ray-dashboard-port-name` (correctness).
Ground truth first: when the cluster stage ran, the head Service the real operator created
on the control-plane twin is read; without it (`--no-cluster`), the head container's
declared ports stand for it, and a container declaring none is left to KubeRay's defaults.
Option `required_names`: names the head Service must have (`serve` is added for
RayService heads).
PASS / FAIL examples: tests/unit/checks/test_ports_head_service.py
"""

from __future__ import annotations

from collections.abc import Iterator

from kuberay_gitops import kuberay
from kuberay_gitops.checks._api import CheckContext, CheckSpec, Issue
from kuberay_gitops.checks._ray import (
    SERVE_PORT_NAME,
    container_name,
    declared_ports,
    ports_or_container,
    ray_container,
)
from kuberay_gitops.findings import Profile, Severity

CHECK = CheckSpec(
    id="ports-head-service",
    severity=Severity.ERROR,
    summary="the head container declares the named ports of KubeRay's head Service",
    hint="declare the port on the head container (first container) under this exact name, "
    "with the number rayStartParams uses",
    profile=Profile.PLATFORM,
    options={"required_names": ["gcs-server", "client", "dashboard", "metrics"]},
)


def _real_head_ports(ctx: CheckContext) -> dict[tuple[str, int], set[str]]:
    """Port names of the head Services the operator created, by repository owner."""
    out: dict[tuple[str, int], set[str]] = {}
    for g in ctx.index.generated_of_kind("Service"):
        if g.obj.labels.get("ray.io/node-type") != "head":
            continue
        ports = g.obj.spec.get("ports")
        names = {str(p.get("name")) for p in ports if isinstance(p, dict)} if ports else set()
        out.setdefault((g.owner.target, g.owner.position), set()).update(names)
    return out


def run(ctx: CheckContext) -> Iterator[Issue]:
    """Each required name on each head Service (the real one, else the head container's)."""
    base = [str(n) for n in ctx.options["required_names"]]
    real = _real_head_ports(ctx)
    for pod in ctx.index.ray_pods():
        found = ray_container(pod) if pod.ray_role == "head" else None
        if found is None:
            continue
        required = list(base)
        if pod.owner.ref.kind == "RayService" and SERVE_PORT_NAME not in required:
            required.append(SERVE_PORT_NAME)
        service = real.get((pod.owner.target, pod.owner.position))
        # The model, without the twin (kuberay.head_service_ports, service.go).
        declared = set(kuberay.head_service_ports(declared_ports(found)))
        for name in required:
            if service is not None and name not in service:
                yield Issue(
                    pod.owner,
                    ports_or_container(found),
                    f'the head Service the KubeRay operator created has no port named "{name}" '
                    f"(it has {', '.join(sorted(service)) or 'none'}): declare it on head "
                    f'container "{container_name(found)}"',
                )
            elif service is None and name not in declared:
                yield Issue(
                    pod.owner,
                    ports_or_container(found),
                    f'head container "{container_name(found)}" declares no port named "{name}", '
                    "so the head Service KubeRay builds does not expose it as configured",
                )
