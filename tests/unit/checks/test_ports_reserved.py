from __future__ import annotations

from collections.abc import Callable

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
      port: "6380"
      ray-client-server-port: "20001"
      dashboard-port: "8266"
      metrics-export-port: "9090"
    template:
      spec:
        containers:
          - name: ray-head
            image: rayproject/ray:2.46.0
            ports:
              - name: gcs-server
                containerPort: 6380
              - name: client
                containerPort: 20001
              - name: dashboard
                containerPort: 8266
              - name: metrics
                containerPort: 9090
  workerGroupSpecs:
    - groupName: cpu
      minReplicas: 1
      maxReplicas: 2
      rayStartParams:
        metrics-export-port: "9090"
      template:
        spec:
          containers:
            - name: ray-worker
              image: rayproject/ray:2.46.0
"""


def test_ray_moved_off_every_reserved_port_passes(run_check: Callable[..., CheckRun]) -> None:
    assert run_check("ports-reserved", {"t/raycluster.yaml": RAYCLUSTER}).rows() == []


def test_reserved_port_is_reported_at_param_container_port_or_missing_override(
    run_check: Callable[..., CheckRun],
) -> None:
    raycluster = (
        RAYCLUSTER.replace('port: "6380"', 'port: "8000"')
        .replace("containerPort: 8266", "containerPort: 8265")
        .replace('      rayStartParams:\n        metrics-export-port: "9090"\n', "")
        .replace("maxReplicas: 2\n", "maxReplicas: 2\n      rayStartParams: {}\n")
    )
    result = run_check("ports-reserved", {"t/raycluster.yaml": raycluster})
    assert result.rows() == [
        ("ports-reserved", "rc", ".spec.headGroupSpec.rayStartParams.port", "t/raycluster.yaml", 9),
        (
            "ports-reserved",
            "rc",
            ".spec.headGroupSpec.template.spec.containers[0].ports[2].containerPort",
            "t/raycluster.yaml",
            24,
        ),
        (
            "ports-reserved[implied]",
            "rc",
            ".spec.workerGroupSpecs[0].rayStartParams",
            "t/raycluster.yaml",
            31,
        ),
    ]


def test_reserved_ports_come_from_the_option(run_check: Callable[..., CheckRun]) -> None:
    extra = "checks:\n  ports-reserved:\n    options:\n      reserved: [9090]\n"
    result = run_check("ports-reserved", {"t/raycluster.yaml": RAYCLUSTER}, extra)
    assert result.rows() == [
        (
            "ports-reserved",
            "rc",
            ".spec.headGroupSpec.rayStartParams.metrics-export-port",
            "t/raycluster.yaml",
            12,
        ),
        (
            "ports-reserved",
            "rc",
            ".spec.workerGroupSpecs[0].rayStartParams.metrics-export-port",
            "t/raycluster.yaml",
            32,
        ),
    ]


RAYSERVICE = """\
apiVersion: ray.io/v1
kind: RayService
metadata:
  name: rs
  namespace: kuberay
spec:
  serveConfigV2: |
    http_options:
      port: 8000
  rayClusterConfig:
    headGroupSpec:
      rayStartParams:
        port: "6380"
        ray-client-server-port: "20001"
        dashboard-port: "8266"
        metrics-export-port: "9090"
      template:
        spec:
          containers:
            - name: ray-head
              image: rayproject/ray:2.46.0
              ports:
                - name: serve
                  containerPort: 8001
"""


def test_serve_listening_on_a_reserved_port_is_reported_at_the_serve_config(
    run_check: Callable[..., CheckRun],
) -> None:
    # The declared "serve" port (8001) is not where Serve listens: serveConfigV2 says 8000.
    result = run_check("ports-reserved", {"t/rayservice.yaml": RAYSERVICE})
    assert result.rows() == [
        ("ports-reserved", "rs", ".spec.serveConfigV2", "t/rayservice.yaml", 7)
    ]
    assert result.findings[0].message == (
        "head group headgroup: serveConfigV2 http_options.port uses port 8000, which the "
        "platform reserves"
    )
