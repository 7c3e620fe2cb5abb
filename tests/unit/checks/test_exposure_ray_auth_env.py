from __future__ import annotations

from collections.abc import Callable

from tests.conftest import CheckRun

CHECK = "exposure-ray-auth-env"

RAYCLUSTER = """\
apiVersion: ray.io/v1
kind: RayCluster
metadata:
  name: rc
  namespace: kuberay
spec:
  authOptions:
    mode: {mode}
  headGroupSpec:
    rayStartParams: {{}}
    template:
      spec:
        containers:
          - name: ray-head
            image: rayproject/ray:2.46.0
            env:
              - name: RAY_SERVE_DEFAULT_HTTP_PORT
                value: "8001"
              - name: RAY_AUTH_MODE
{auth_env}
  workerGroupSpecs:
    - groupName: cpu
      minReplicas: 0
      maxReplicas: 2
      rayStartParams: {{}}
      template:
        spec:
          containers:
            - name: ray-worker
              image: rayproject/ray:2.46.0
            - name: log-shipper
              image: fluent/fluent-bit:3.0.4
              env:
                - name: RAY_AUTH_MODE
                  value: disabled
"""
VALUE = "                value: {}"
FROM_CONFIGMAP = (
    "                valueFrom:\n"
    "                  configMapKeyRef: {name: ray-settings, key: auth-mode}"
)


def raycluster(auth_env: str, mode: str = "token") -> dict[str, str]:
    return {"t/raycluster.yaml": RAYCLUSTER.format(mode=mode, auth_env=auth_env)}


def test_token_in_the_ray_container_passes_and_a_sidecar_env_is_not_ray(
    run_check: Callable[..., CheckRun],
) -> None:
    assert run_check(CHECK, raycluster(VALUE.format("token"))).rows() == []


def test_a_cluster_without_token_auth_is_exposure_ray_ports_business(
    run_check: Callable[..., CheckRun],
) -> None:
    files = raycluster(VALUE.format("disabled"), mode="disabled")
    assert run_check(CHECK, files).rows() == []


def test_ray_auth_mode_disabled_in_the_head_env_is_an_error(
    run_check: Callable[..., CheckRun],
) -> None:
    result = run_check(CHECK, raycluster(VALUE.format("disabled")))
    assert result.rows() == [
        (
            CHECK,
            "rc",
            ".spec.headGroupSpec.template.spec.containers[0].env[1].value",
            "t/raycluster.yaml",
            20,
        )
    ]
    assert result.findings[0].message == (
        'container "ray-head" of the head group headgroup of RayCluster kuberay/rc sets '
        'RAY_AUTH_MODE to "disabled": KubeRay keeps it, so token auth (authOptions.mode: token) '
        "is not what Ray runs with"
    )


def test_ray_auth_mode_from_a_config_map_is_an_error(run_check: Callable[..., CheckRun]) -> None:
    assert run_check(CHECK, raycluster(FROM_CONFIGMAP)).rows() == [
        (
            CHECK,
            "rc",
            ".spec.headGroupSpec.template.spec.containers[0].env[1].valueFrom",
            "t/raycluster.yaml",
            20,
        )
    ]
