from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.builders import (
    Body,
    container,
    deployment,
    head_group,
    issues,
    raycluster,
    service,
    to_yaml,
)
from tests.conftest import CheckRun

CHECK = "ports-service-target"
RAYCLUSTER = raycluster(head=head_group(ports=[(10001, "client"), (8265, "dashboard")]), workers=[])


def _service(
    name: str = "ray-dashboard", dashboard: str = "dashboard", client: int = 10001
) -> Body:
    return service(
        name,
        selector={"ray.io/cluster": "rc", "ray.io/node-type": "head"},
        ports=[
            {"name": "dashboard", "port": 80, "targetPort": dashboard},
            {"name": "metrics", "port": 8080, "targetPort": "metrics"},
            {"name": "client", "port": client},
        ],
    )


def test_targets_by_name_number_and_kuberay_metrics_pass() -> None:
    # KubeRay builds rc-head-svc; a copy in the repository is not checked.
    head_svc = _service("rc-head-svc", dashboard="nowhere")
    assert issues(CHECK, RAYCLUSTER, _service(), head_svc) == []


def test_target_port_missing_on_selected_ray_pods_is_reported(
    run_check: Callable[..., CheckRun],
) -> None:
    tree = {
        "t/raycluster.yaml": to_yaml(RAYCLUSTER),
        "t/service-ray-dashboard.yaml": to_yaml(_service(dashboard="dashbord", client=10002)),
    }
    file = "t/service-ray-dashboard.yaml"
    assert run_check(CHECK, tree).rows() == [
        (f"{CHECK}[name]", "ray-dashboard", ".spec.ports[0].targetPort", file, 13),
        (f"{CHECK}[number]", "ray-dashboard", ".spec.ports[2].port", file, 18),
    ]


# ----------------------------------------------------------------------------- fast path

WEB = deployment("web", containers=[container("app", ports=[(8080, "http"), 9090])])


def _to_web(name: str = "web", **port: Any) -> Body:
    """A Service selecting the `web` pods with one port (`port` keys)."""
    return service(name, selector={"app": "web"}, ports=[{"port": 80, **port}])


def _row(variant: str, svc: str, field: str, message: str) -> tuple[str, str, str, str]:
    return (f"{CHECK}[{variant}]", f"Service/{svc}", field, message)


def test_a_number_no_container_declares_is_reported_with_the_known_numbers() -> None:
    assert issues(CHECK, WEB, _to_web(targetPort=8081)) == [
        _row(
            "number",
            "web",
            ".spec.ports[0].targetPort",
            "targetPort 8081 matches no container port of Deployment/apps/web; known: 8080, 9090",
        )
    ]


def test_a_declared_number_passes() -> None:
    assert issues(CHECK, WEB, _to_web(targetPort=9090)) == []


def test_a_name_no_container_declares_is_reported_with_the_known_names() -> None:
    assert issues(CHECK, WEB, _to_web(targetPort="web")) == [
        _row(
            "name",
            "web",
            ".spec.ports[0].targetPort",
            'targetPort "web" matches no container port of Deployment/apps/web; known: http',
        )
    ]


def test_only_ray_pods_have_the_metrics_port_kuberay_adds() -> None:
    bare = deployment("web", containers=[container("app", ports=[8080])])
    assert issues(CHECK, bare, _to_web(targetPort="metrics")) == [
        _row(
            "name",
            "web",
            ".spec.ports[0].targetPort",
            'targetPort "metrics" matches no container port of Deployment/apps/web; known: none',
        )
    ]


def test_every_selected_pod_missing_the_port_is_named() -> None:
    other = deployment("other", labels={"app": "web"}, containers=[container("x", ports=[80])])
    assert issues(CHECK, WEB, other, _to_web(targetPort=7000)) == [
        _row(
            "number",
            "web",
            ".spec.ports[0].targetPort",
            "targetPort 7000 matches no container port of Deployment/apps/web, "
            "Deployment/apps/other; known: 8080, 9090",
        )
    ]


def test_a_port_without_target_port_targets_its_port_number() -> None:
    assert issues(CHECK, WEB, _to_web()) == [
        _row(
            "number",
            "web",
            ".spec.ports[0].port",
            "targetPort 80 matches no container port of Deployment/apps/web; known: 8080, 9090",
        )
    ]


def test_external_name_services_selecting_no_pods_and_without_ports_are_skipped() -> None:
    external = service(
        "external",
        selector={"app": "web"},
        ports=[{"port": 80, "targetPort": 1}],
        type="ExternalName",
        externalName="web.example.com",
    )
    nothing = service("nothing", selector={"app": "none"}, ports=[1])
    portless = service("portless", selector={"app": "web"})
    bad = _to_web("bad", targetPort=2)
    assert issues(CHECK, WEB, external, nothing, portless, bad) == [
        _row(
            "number",
            "bad",
            ".spec.ports[0].targetPort",
            "targetPort 2 matches no container port of Deployment/apps/web; known: 8080, 9090",
        )
    ]


def test_a_ray_pod_knows_its_listeners_and_the_metrics_name() -> None:
    svc = service(
        "head",
        selector={"ray.io/node-type": "head"},
        ports=[{"port": 1, "targetPort": "client"}],
    )
    assert issues(CHECK, raycluster(workers=[]), svc) == [
        _row(
            "name",
            "head",
            ".spec.ports[0].targetPort",
            'targetPort "client" matches no container port of RayCluster/apps/rc head group '
            "headgroup; known: metrics",
        )
    ]
