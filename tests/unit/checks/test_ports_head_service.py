from __future__ import annotations

from collections.abc import Callable

from kuberay_gitops.checks import ports_head_service
from kuberay_gitops.checks._api import CheckContext
from kuberay_gitops.findings import format_field
from kuberay_gitops.index import Generated, ObjectIndex
from kuberay_gitops.manifests import objects_from_docs
from tests.builders import (
    Body,
    Ports,
    head_group,
    issues,
    raycluster,
    rayservice,
    service,
    to_yaml,
    worker_group,
)
from tests.conftest import CheckRun

CHECK = "ports-head-service"
HEAD_PORTS = [(6379, "gcs-server"), (10001, "client"), (8265, "dashboard"), (8080, "metrics")]
RENAMED = [(n, "ray-client" if p == "client" else p) for n, p in HEAD_PORTS]


def _cluster(ports: Ports = HEAD_PORTS) -> Body:
    return raycluster(head=head_group(ports=ports), workers=[])


def _service(*extra: tuple[int, str]) -> Body:
    return rayservice(head=head_group(ports=[*HEAD_PORTS, *extra]))


def test_head_declaring_every_service_port_name_passes() -> None:
    assert issues(CHECK, _cluster(), _service((8000, "serve"))) == []


def test_missing_head_port_name_is_reported_and_serve_is_required_for_rayservice(
    run_check: Callable[..., CheckRun],
) -> None:
    tree = {
        "t/raycluster.yaml": to_yaml(_cluster(RENAMED)),
        "t/rayservice.yaml": to_yaml(_service()),
    }
    assert run_check(CHECK, tree).rows() == [
        (
            CHECK,
            "rc",
            ".spec.headGroupSpec.template.spec.containers[0].ports",
            "t/raycluster.yaml",
            14,
        ),
        (
            CHECK,
            "rs",
            ".spec.rayClusterConfig.headGroupSpec.template.spec.containers[0].ports",
            "t/rayservice.yaml",
            15,
        ),
    ]


def test_required_names_come_from_the_option() -> None:
    assert issues(CHECK, _cluster(RENAMED), options={"required_names": ["dashboard"]}) == []


def test_a_head_declaring_no_port_gets_kuberay_s_default_ports() -> None:
    assert issues(CHECK, _cluster(ports=())) == []


def test_metrics_is_always_added_to_the_head_service() -> None:
    assert issues(CHECK, _cluster(HEAD_PORTS[:3])) == []


def _index_with_real_service(port_names: list[str]) -> ObjectIndex:
    [rc] = objects_from_docs([_cluster()], "t")
    head_svc = service(
        "rc-head-svc",
        ports=[{"name": n, "port": 1} for n in port_names],
        labels={"ray.io/node-type": "head"},
    )
    [svc] = objects_from_docs([head_svc], "t")
    return ObjectIndex([rc], "t", generated=[Generated(svc, rc)])


def test_the_head_service_the_operator_created_is_read_when_the_twin_ran() -> None:
    ctx = CheckContext(
        _index_with_real_service(["gcs-server", "client", "metrics"]),
        {"required_names": ["gcs-server", "client", "dashboard", "metrics"]},
    )
    [issue] = list(ports_head_service.run(ctx))
    assert issue.obj.ref.name == "rc"
    assert issue.field == ("spec", "headGroupSpec", "template", "spec", "containers", 0, "ports")
    assert 'operator created has no port named "dashboard"' in issue.message
    complete = _index_with_real_service(["gcs-server", "client", "dashboard", "metrics"])
    assert list(ports_head_service.run(CheckContext(complete, ctx.options))) == []


# ----------------------------------------------------------------------------- fast path

HEAD_CONTAINER_PORTS = ".spec.headGroupSpec.template.spec.containers[0].ports"


def _real(ports: Ports, *services: Body) -> list[tuple[str, str, str]]:
    """(object, field, message) of the check on a RayCluster whose head declares `ports`,
    with `services` as the Services the operator created for it on the twin."""
    [rc] = objects_from_docs([_cluster(ports)], "t")
    generated = [Generated(svc, rc) for svc in objects_from_docs(list(services), "t")]
    ctx = CheckContext(
        ObjectIndex([rc], "t", generated=generated),
        {"required_names": ["gcs-server", "client", "dashboard", "metrics"]},
    )
    return [(i.obj.ref.name, format_field(i.field), i.message) for i in ports_head_service.run(ctx)]


def _head_svc(*names: str, name: str = "rc-head-svc") -> Body:
    ports = [{"name": n, "port": i + 1} for i, n in enumerate(names)]
    return service(name, ports=ports, labels={"ray.io/node-type": "head"})


def test_the_created_service_s_missing_name_is_reported_with_the_names_it_has() -> None:
    assert _real(HEAD_PORTS, _head_svc("gcs-server", "client", "metrics")) == [
        (
            "rc",
            HEAD_CONTAINER_PORTS,
            'the head Service the KubeRay operator created has no port named "dashboard" (it '
            'has client, gcs-server, metrics): declare it on head container "ray-head"',
        )
    ]


def test_a_created_service_without_ports_has_none() -> None:
    assert _real(HEAD_PORTS, service("rc-head-svc", labels={"ray.io/node-type": "head"})) == [
        (
            "rc",
            HEAD_CONTAINER_PORTS,
            f'the head Service the KubeRay operator created has no port named "{name}" (it has '
            'none): declare it on head container "ray-head"',
        )
        for name in ("gcs-server", "client", "dashboard", "metrics")
    ]


def test_other_created_services_are_not_the_head_service() -> None:
    serve = service("rc-serve-svc", ports=[{"name": "serve", "port": 8000}])
    complete = _head_svc("gcs-server", "client", "dashboard", "metrics")
    assert _real(RENAMED, serve, complete) == []


def test_the_model_message_names_the_container_and_the_port() -> None:
    assert issues(CHECK, _cluster(RENAMED)) == [
        (
            CHECK,
            "RayCluster/rc",
            HEAD_CONTAINER_PORTS,
            'head container "ray-head" declares no port named "client", so the head Service '
            "KubeRay builds does not expose it as configured",
        )
    ]


def test_workers_are_not_heads_and_every_head_is_judged() -> None:
    first = raycluster(
        "first", head=head_group(ports=HEAD_PORTS), workers=[worker_group(ports=[(8080, "m")])]
    )
    second = raycluster("second", head=head_group(ports=RENAMED), workers=[])
    assert issues(CHECK, first, second) == [
        (
            CHECK,
            "RayCluster/second",
            HEAD_CONTAINER_PORTS,
            'head container "ray-head" declares no port named "client", so the head Service '
            "KubeRay builds does not expose it as configured",
        )
    ]
