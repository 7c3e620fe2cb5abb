"""Ray pods do not use ports the platform reserves.

Why: a port the platform reserves (for its own agents, mesh or host-network daemons) is
either taken when Ray starts, so the raylet or dashboard fails to bind, or is filtered by
platform policy, so Ray traffic on it is dropped.

A Ray pod uses a port when any of its containers declares it, when rayStartParams sets it,
or when KubeRay's default applies because rayStartParams does not override it (no
`metrics-export-port` means 8080; see `_ray.ray_listeners`). Each reserved number is
reported once per pod, at the most telling place: the rayStartParams key, else the
containerPort, else (variant `[implied]`) rayStartParams where the override is missing.
Option `reserved`: the reserved port numbers.
PASS / FAIL examples: tests/unit/checks/test_ports_reserved.py
"""

from __future__ import annotations

from collections.abc import Iterator

from kuberay_gitops.checks._api import CheckContext, CheckSpec, Issue, as_int
from kuberay_gitops.checks._ray import container_name, container_ports, ray_listeners
from kuberay_gitops.findings import FieldPath, Profile, Severity
from kuberay_gitops.index import PodView

CHECK = CheckSpec(
    id="ports-reserved",
    severity=Severity.ERROR,
    summary="Ray pods use no port the platform reserves (declared, rayStartParams or "
    "KubeRay default)",
    hint="move the Ray process to a free port: set the rayStartParams key (as a string) and "
    "the matching containerPort",
    profile=Profile.PLATFORM,
    options={"reserved": [6379, 10001, 8265, 8000, 8080]},
)


def run(ctx: CheckContext) -> Iterator[Issue]:
    """Every reserved port a Ray pod uses, once per pod."""
    reserved = {n for n in (as_int(v) for v in ctx.options["reserved"]) if n is not None}
    for pod in ctx.index.ray_pods():
        for number, (path, what, variant) in sorted(_uses(pod).items()):
            if number in reserved:
                yield Issue(
                    pod.owner,
                    path,
                    f"{pod.ray_role} group {pod.group}: {what} uses port {number}, which the "
                    "platform reserves",
                    variant=variant,
                )


def _uses(pod: PodView) -> dict[int, tuple[FieldPath, str, str | None]]:
    """Port number → (where, what, variant), keeping the most telling place per number."""
    listeners = ray_listeners(pod)
    uses: dict[int, tuple[FieldPath, str, str | None]] = {}
    for li in listeners:
        if li.explicit:
            # The Serve port is set in serveConfigV2 or the environment, not rayStartParams.
            what = f"rayStartParams {li.key}" if li.key in pod.ray_params else li.key
            uses.setdefault(li.number, (li.path, what, None))
    for container in pod.containers():
        for path, port in container_ports(container):
            number = as_int(port.get("containerPort"))
            if number is not None:
                what = f'containerPort of container "{container_name(container)}"'
                uses.setdefault(number, ((*path, "containerPort"), what, None))
    for li in listeners:
        if not li.explicit:
            what = f"{li.key} is not set, so the KubeRay default"
            uses.setdefault(li.number, (li.path, what, "implied"))
    return uses
