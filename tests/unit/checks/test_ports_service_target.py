from __future__ import annotations

from collections.abc import Callable

from tests.builders import Body, head_group, issues, raycluster, service, to_yaml
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
