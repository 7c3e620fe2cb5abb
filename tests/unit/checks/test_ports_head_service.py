from __future__ import annotations

from collections.abc import Callable

import yaml

from kuberay_gitops.checks import ports_head_service
from kuberay_gitops.checks._api import CheckContext
from kuberay_gitops.index import Generated, ObjectIndex
from kuberay_gitops.manifests import objects_from_docs
from tests.conftest import CheckRun

RAYCLUSTER = """\
apiVersion: ray.io/v1
kind: RayCluster
metadata:
  name: rc
  namespace: kuberay
spec:
  headGroupSpec:
    rayStartParams: {}
    template:
      spec:
        containers:
          - name: ray-head
            image: rayproject/ray:2.46.0
            ports:
              - name: gcs-server
                containerPort: 6379
              - name: client
                containerPort: 10001
              - name: dashboard
                containerPort: 8265
              - name: metrics
                containerPort: 8080
"""
RAYSERVICE = """\
apiVersion: ray.io/v1
kind: RayService
metadata:
  name: rs
  namespace: kuberay
spec:
  rayClusterConfig:
    headGroupSpec:
      rayStartParams: {}
      template:
        spec:
          containers:
            - name: ray-head
              image: rayproject/ray:2.46.0
              ports:
                - name: gcs-server
                  containerPort: 6379
                - name: client
                  containerPort: 10001
                - name: dashboard
                  containerPort: 8265
                - name: metrics
                  containerPort: 8080
"""
SERVE = "                - name: serve\n                  containerPort: 8000\n"


def test_head_declaring_every_service_port_name_passes(
    run_check: Callable[..., CheckRun],
) -> None:
    tree = {"t/raycluster.yaml": RAYCLUSTER, "t/rayservice.yaml": RAYSERVICE + SERVE}
    assert run_check("ports-head-service", tree).rows() == []


def test_missing_head_port_name_is_reported_and_serve_is_required_for_rayservice(
    run_check: Callable[..., CheckRun],
) -> None:
    tree = {
        "t/raycluster.yaml": RAYCLUSTER.replace("name: client", "name: ray-client"),
        "t/rayservice.yaml": RAYSERVICE,
    }
    assert run_check("ports-head-service", tree).rows() == [
        (
            "ports-head-service",
            "rc",
            ".spec.headGroupSpec.template.spec.containers[0].ports",
            "t/raycluster.yaml",
            14,
        ),
        (
            "ports-head-service",
            "rs",
            ".spec.rayClusterConfig.headGroupSpec.template.spec.containers[0].ports",
            "t/rayservice.yaml",
            15,
        ),
    ]


def test_required_names_come_from_the_option(run_check: Callable[..., CheckRun]) -> None:
    extra = "checks:\n  ports-head-service:\n    options:\n      required_names: [dashboard]\n"
    tree = {"t/raycluster.yaml": RAYCLUSTER.replace("name: client", "name: ray-client")}
    assert run_check("ports-head-service", tree, extra).rows() == []


def test_a_head_declaring_no_port_gets_kuberay_s_default_ports(
    run_check: Callable[..., CheckRun],
) -> None:
    no_ports = RAYCLUSTER.split("            ports:\n", maxsplit=1)[0]
    assert run_check("ports-head-service", {"t/raycluster.yaml": no_ports}).rows() == []


def test_metrics_is_always_added_to_the_head_service(
    run_check: Callable[..., CheckRun],
) -> None:
    without = RAYCLUSTER.replace(
        "              - name: metrics\n                containerPort: 8080\n", ""
    )
    assert run_check("ports-head-service", {"t/raycluster.yaml": without}).rows() == []


def _index_with_real_service(port_names: list[str]) -> ObjectIndex:
    [rc] = objects_from_docs([yaml.safe_load(RAYCLUSTER)], "t")
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "rc-head-svc", "labels": {"ray.io/node-type": "head"}},
        "spec": {"ports": [{"name": n, "port": 1} for n in port_names]},
    }
    [svc] = objects_from_docs([service], "t")
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
