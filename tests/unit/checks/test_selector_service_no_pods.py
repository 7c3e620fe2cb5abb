from __future__ import annotations

from collections.abc import Callable

from tests.builders import Body, issues, raycluster, service, to_yaml
from tests.conftest import CheckRun

CHECK = "selector-service-no-pods"
RAYCLUSTER = raycluster(workerGroupSpecs=[])


def _client(node_type: str) -> Body:
    selector = {"ray.io/cluster": "rc", "ray.io/node-type": node_type}
    return service("ray-client", selector=selector, ports=[{"name": "client", "port": 10001}])


def test_service_selecting_kuberay_generated_head_pod_labels_passes() -> None:
    external = service("db", type="ExternalName", externalName="db.example.com")
    assert issues(CHECK, RAYCLUSTER, _client("head"), external) == []


def test_service_selecting_no_pod_is_an_error(run_check: Callable[..., CheckRun]) -> None:
    tree = {"t/raycluster.yaml": to_yaml(RAYCLUSTER), "t/service.yaml": to_yaml(_client("haed"))}
    result = run_check(CHECK, tree)
    assert result.rows() == [(CHECK, "ray-client", ".spec.selector", "t/service.yaml", 7)]
    assert result.findings[0].message == (
        'selector ray.io/cluster=rc, ray.io/node-type=haed matches no pod of namespace "apps" '
        "in this target (pods of the namespace: RayCluster/apps/rc head group headgroup)"
    )
