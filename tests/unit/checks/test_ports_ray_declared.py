from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conftest import CheckRun

RAYCLUSTER = """\
apiVersion: ray.io/v1
kind: RayCluster
metadata:
  name: rc
  namespace: kuberay
spec:
  headGroupSpec:
    rayStartParams:
      dashboard-host: "0.0.0.0"
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
              - name: dashboard-agent
                containerPort: 52365
  workerGroupSpecs:
    - groupName: cpu
      minReplicas: 1
      maxReplicas: 2
      rayStartParams: {}
      template:
        spec:
          containers:
            - name: ray-worker
              image: rayproject/ray:2.46.0
              ports:
                - name: metrics
                  containerPort: 8080
                - name: dashboard-agent
                  containerPort: 52365
"""
HEAD = ".spec.headGroupSpec.template.spec.containers[0]"


def test_every_ray_listener_declared_under_kuberay_names_passes(
    run_check: Callable[..., CheckRun],
) -> None:
    result = run_check("ports-ray-declared", {"t/raycluster.yaml": RAYCLUSTER})
    assert result.rows() == []


@pytest.mark.parametrize(
    ("old", "new", "row"),
    [
        (
            "              - name: dashboard-agent\n                containerPort: 52365\n",
            "",
            ("ports-ray-declared[undeclared]", f"{HEAD}.ports", 15),
        ),
        (
            "name: dashboard",
            "name: dash",
            ("ports-ray-declared[name]", f"{HEAD}.ports[2].name", 20),
        ),
        (
            'dashboard-host: "0.0.0.0"',
            'dashboard-port: "9265"',
            (
                "ports-ray-declared[number]",
                ".spec.headGroupSpec.rayStartParams.dashboard-port",
                9,
            ),
        ),
        (
            "rayStartParams: {}",
            'rayStartParams: {node-manager-port: "12345"}',
            (
                "ports-ray-declared[undeclared]",
                ".spec.workerGroupSpecs[0].rayStartParams.node-manager-port",
                30,
            ),
        ),
    ],
    ids=["default-port-undeclared", "misnamed", "named-port-other-number", "param-undeclared"],
)
def test_ray_listener_not_declared_as_kuberay_expects_is_reported(
    run_check: Callable[..., CheckRun], old: str, new: str, row: tuple[str, str, int]
) -> None:
    tree = {"t/raycluster.yaml": RAYCLUSTER.replace(old, new, 1)}
    result = run_check("ports-ray-declared", tree)
    check_id, field, line = row
    assert result.rows() == [(check_id, "rc", field, "t/raycluster.yaml", line)]


@pytest.mark.parametrize("name", ["gcs-server", "client"])
def test_ports_kuberay_never_looks_up_may_have_any_name(
    run_check: Callable[..., CheckRun], name: str
) -> None:
    tree = {"t/raycluster.yaml": RAYCLUSTER.replace(f"name: {name}", "name: ray-port", 1)}
    assert run_check("ports-ray-declared", tree).rows() == []


RAYSERVICE = """\
apiVersion: ray.io/v1
kind: RayService
metadata:
  name: rs
  namespace: kuberay
spec:
  serveConfigV2: |
    http_options:
      host: 0.0.0.0
      port: 8001
    applications: []
  rayClusterConfig:
    headGroupSpec:
      rayStartParams: {}
      template:
        spec:
          containers:
            - name: ray-head
              image: rayproject/ray:2.46.0
              env:
                - name: RAY_SERVE_DEFAULT_HTTP_PORT
                  value: "8001"
              ports:
                - name: gcs-server
                  containerPort: 6379
                - name: client
                  containerPort: 10001
                - name: dashboard
                  containerPort: 8265
                - name: metrics
                  containerPort: 8080
                - name: dashboard-agent
                  containerPort: 52365
                - name: serve
                  containerPort: 8001
"""
RS_HEAD = ".spec.rayClusterConfig.headGroupSpec.template.spec.containers[0]"


ENV_8001 = (
    "              env:\n                - name: RAY_SERVE_DEFAULT_HTTP_PORT\n"
    '                  value: "8001"\n'
)
CONFIG_PORT = "      port: 8001\n"


@pytest.mark.parametrize(
    "edits",
    [[], [(ENV_8001, ENV_8001.replace("8001", "8002"))], [(CONFIG_PORT, "")]],
    ids=["config-and-env-agree", "config-port-wins-over-env", "env-port-without-config-port"],
)
def test_serve_port_where_serve_listens_passes(
    run_check: Callable[..., CheckRun], edits: list[tuple[str, str]]
) -> None:
    text = RAYSERVICE
    for old, new in edits:
        text = text.replace(old, new, 1)
    result = run_check("ports-ray-declared", {"t/rayservice.yaml": text})
    assert result.rows() == []


@pytest.mark.parametrize(
    ("edits", "row"),
    [
        (
            [(CONFIG_PORT, "      port: 8002\n")],
            ("ports-ray-declared[number]", ".spec.serveConfigV2", 7),
        ),
        (
            [(CONFIG_PORT, ""), (ENV_8001, ENV_8001.replace("8001", "8002"))],
            ("ports-ray-declared[number]", f"{RS_HEAD}.env[0].value", 21),
        ),
        (
            [(CONFIG_PORT, ""), (ENV_8001, "")],
            ("ports-ray-declared[number]", f"{RS_HEAD}.ports[5].containerPort", 31),
        ),
    ],
    ids=["config-port-moved", "env-port-moved", "serve-default-8000"],
)
def test_serve_port_declared_elsewhere_than_serve_listens_is_reported(
    run_check: Callable[..., CheckRun],
    edits: list[tuple[str, str]],
    row: tuple[str, str, int],
) -> None:
    # KubeRay points the serve Service and the Serve readiness probe at the port named
    # "serve"; Serve listens on serveConfigV2 http_options.port, else on the head's
    # RAY_SERVE_DEFAULT_HTTP_PORT, else on 8000.
    text = RAYSERVICE
    for old, new in edits:
        text = text.replace(old, new, 1)
    result = run_check("ports-ray-declared", {"t/rayservice.yaml": text})
    check_id, field, line = row
    assert result.rows() == [(check_id, "rs", field, "t/rayservice.yaml", line)]
