from __future__ import annotations

from collections.abc import Callable

from tests.builders import Body, deployment, issues, raycluster, service, to_yaml
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


def test_a_namespace_without_pods_is_said_so() -> None:
    svc = service("web", namespace="web", selector={"app": "web"})
    assert issues(CHECK, RAYCLUSTER, svc) == [
        (
            CHECK,
            "Service/web",
            ".spec.selector",
            'selector app=web matches no pod of namespace "web" in this target (no pods in it)',
        )
    ]


def test_pods_of_other_namespaces_do_not_count_and_the_namespace_pods_are_listed_sorted() -> None:
    pods = [deployment("zeta", namespace="apps"), deployment("alpha", namespace="apps")]
    elsewhere = deployment("web", namespace="other", labels={"app": "web"})
    svc = service("web", selector={"app": "web", "tier": "front"})
    assert [row[3] for row in issues(CHECK, *pods, elsewhere, svc)] == [
        'selector app=web, tier=front matches no pod of namespace "apps" in this target (pods of '
        "the namespace: Deployment/apps/alpha, Deployment/apps/zeta)"
    ]


def test_a_service_without_namespace_is_judged_in_default() -> None:
    svc = service("web", selector={"app": "web"})
    del svc["metadata"]["namespace"]
    found = issues(CHECK, deployment("web", namespace="default"), svc)
    assert found == []
    unmatched = service("db", selector={"app": "db"})
    del unmatched["metadata"]["namespace"]
    assert [row[3] for row in issues(CHECK, unmatched)] == [
        'selector app=db matches no pod of namespace "default" in this target (no pods in it)'
    ]


def test_services_without_a_selector_or_with_an_empty_one_are_skipped() -> None:
    assert issues(CHECK, service("manual"), service("empty", selector={})) == []


def test_every_service_is_judged_after_a_skipped_one() -> None:
    external = service(
        "db", selector={"app": "db"}, type="ExternalName", externalName="db.example.com"
    )
    lost = service("lost", selector={"app": "lost"})
    assert [row[1] for row in issues(CHECK, service("manual"), external, lost)] == ["Service/lost"]
