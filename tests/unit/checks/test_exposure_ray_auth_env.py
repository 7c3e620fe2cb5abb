from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.builders import Body, container, head_group, issues, raycluster, to_yaml, worker_group
from tests.conftest import CheckRun

CHECK = "exposure-ray-auth-env"
HEAD_ENV = ".spec.headGroupSpec.template.spec.containers[0].env[1]"


def _cluster(mode: str = "token", **auth_env: Any) -> Body:
    """A RayCluster whose head sets RAY_AUTH_MODE as `auth_env`; a worker sidecar disables it."""
    env = [
        {"name": "RAY_SERVE_DEFAULT_HTTP_PORT", "value": "8001"},
        {"name": "RAY_AUTH_MODE", **auth_env},
    ]
    shipper = container(
        "log-shipper",
        image="fluent/fluent-bit:3.0.4",
        env=[{"name": "RAY_AUTH_MODE", "value": "disabled"}],
    )
    return raycluster(
        head=head_group(ray={"env": env}),
        workers=[worker_group("cpu", shipper, min_replicas=0)],
        authOptions={"mode": mode},
    )


def test_token_in_the_ray_container_passes_and_a_sidecar_env_is_not_ray() -> None:
    assert issues(CHECK, _cluster(value="token")) == []


def test_a_cluster_without_token_auth_is_exposure_ray_ports_business() -> None:
    assert issues(CHECK, _cluster(mode="disabled", value="disabled")) == []


def test_ray_auth_mode_disabled_in_the_head_env_is_an_error(
    run_check: Callable[..., CheckRun],
) -> None:
    result = run_check(CHECK, {"t/raycluster.yaml": to_yaml(_cluster(value="disabled"))})
    assert result.rows() == [(CHECK, "rc", f"{HEAD_ENV}.value", "t/raycluster.yaml", 18)]
    assert result.findings[0].message == (
        'container "ray-head" of the head group headgroup of RayCluster apps/rc sets '
        'RAY_AUTH_MODE to "disabled": KubeRay keeps it, so token auth (authOptions.mode: token) '
        "is not what Ray runs with"
    )


def test_ray_auth_mode_from_a_config_map_is_an_error() -> None:
    from_configmap = {"configMapKeyRef": {"name": "ray-settings", "key": "auth-mode"}}
    assert issues(CHECK, _cluster(valueFrom=from_configmap)) == [
        (
            CHECK,
            "RayCluster/rc",
            f"{HEAD_ENV}.valueFrom",
            'container "ray-head" of the head group headgroup of RayCluster apps/rc sets '
            "RAY_AUTH_MODE from valueFrom, which cannot be verified here: KubeRay keeps it, so "
            "token auth (authOptions.mode: token) is not what Ray runs with",
        )
    ]


def _says(container_name: str, group: str, what: str) -> str:
    return (
        f'container "{container_name}" of the {group} of RayCluster apps/rc sets RAY_AUTH_MODE '
        f"{what}: KubeRay keeps it, so token auth (authOptions.mode: token) is not what Ray "
        "runs with"
    )


def test_an_entry_without_value_is_located_at_the_entry() -> None:
    assert issues(CHECK, _cluster()) == [
        (CHECK, "RayCluster/rc", HEAD_ENV, _says("ray-head", "head group headgroup", 'to ""'))
    ]


def test_a_worker_ray_container_is_judged_after_its_other_env_entries() -> None:
    env = [{"name": "OTHER", "value": "1"}, {"name": "RAY_AUTH_MODE", "value": "Token"}]
    cluster = raycluster(
        workers=[worker_group("gpu", ray={"env": env}, min_replicas=0)],
        authOptions={"mode": "token"},
    )
    assert issues(CHECK, cluster) == [
        (
            CHECK,
            "RayCluster/rc",
            ".spec.workerGroupSpecs[0].template.spec.containers[0].env[1].value",
            _says("ray-worker", "worker group gpu", 'to "Token"'),
        )
    ]


def test_every_ray_group_is_judged() -> None:
    env = [{"name": "RAY_AUTH_MODE", "value": "disabled"}]
    cluster = raycluster(
        head=head_group(ray={"env": env}),
        workers=[worker_group("cpu", ray={"env": env}, min_replicas=0)],
        authOptions={"mode": "token"},
    )
    assert [row[2] for row in issues(CHECK, cluster)] == [
        ".spec.headGroupSpec.template.spec.containers[0].env[0].value",
        ".spec.workerGroupSpecs[0].template.spec.containers[0].env[0].value",
    ]
