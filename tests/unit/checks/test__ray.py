"""The shared Ray pod facts (`checks/_ray.py`) on pods of in-memory indexes.

The KubeRay v1.7.0 defaults these cases rely on (gcs 6379, client 10001, dashboard 8265,
metrics 8080, dashboard agent 52365, Serve 8000) are those of `kuberay.py`, which cites
controllers/ray/utils/constant.go and common/pod.go.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from kuberay_gitops.checks._ray import (
    Listener,
    container_name,
    declared_ports,
    existing,
    gpu_count,
    is_gpu_pod,
    ports_or_container,
    ray_container,
    ray_listeners,
    term_expressions,
    tolerates_key,
)
from kuberay_gitops.index import PodView
from kuberay_gitops.manifests import objects_from_docs
from tests.builders import (
    Body,
    Ports,
    container,
    head_group,
    index,
    pod,
    raycluster,
    rayservice,
    worker_group,
)

HEAD_PARAMS = ("spec", "headGroupSpec", "rayStartParams")
HEAD_SPEC = ("spec", "headGroupSpec", "template", "spec")
RS_HEAD_PARAMS = ("spec", "rayClusterConfig", "headGroupSpec", "rayStartParams")
RS_HEAD_SPEC = ("spec", "rayClusterConfig", "headGroupSpec", "template", "spec")
SERVE_ENV = "RAY_SERVE_DEFAULT_HTTP_PORT"


def _pods(body: Body) -> list[PodView]:
    return index(body).ray_pods()


def _head(*sidecars: Body, **group: Any) -> PodView:
    """The head pod of a RayCluster without workers whose head is
    `head_group(*sidecars, **group)`."""
    return _pods(raycluster(head=head_group(*sidecars, **group), workers=[]))[0]


def _listeners(head: PodView) -> list[tuple[str, int, bool]]:
    return [(li.key, li.number, li.explicit) for li in ray_listeners(head)]


DEFAULT_HEAD = [
    ("port", 6379, False),
    ("ray-client-server-port", 10001, False),
    ("dashboard-port", 8265, False),
    ("metrics-export-port", 8080, False),
    ("dashboard-agent-listen-port", 52365, False),
]


# ----------------------------------------------------------------------------- listeners


def test_a_head_listens_on_kuberay_defaults_located_at_its_params() -> None:
    [gcs, *_] = ray_listeners(_head())
    assert gcs == Listener(6379, "port", "gcs-server", False, HEAD_PARAMS)
    assert _listeners(_head()) == DEFAULT_HEAD


def test_a_worker_has_no_head_only_listeners() -> None:
    [_, worker] = _pods(raycluster())
    assert _listeners(worker) == [
        ("metrics-export-port", 8080, False),
        ("dashboard-agent-listen-port", 52365, False),
    ]


def test_explicit_params_come_after_defaults_in_declaration_order() -> None:
    head = _head(params={"node-manager-port": "7001", "port": "6380"})
    assert _listeners(head) == [
        ("ray-client-server-port", 10001, False),
        ("dashboard-port", 8265, False),
        ("metrics-export-port", 8080, False),
        ("dashboard-agent-listen-port", 52365, False),
        ("node-manager-port", 7001, True),
        ("port", 6380, True),
    ]
    assert ray_listeners(head)[-1].path == (*HEAD_PARAMS, "port")


def test_a_random_or_unreadable_port_param_is_no_listener() -> None:
    head = _head(params={"port": "0", "dashboard-port": "auto"})
    assert [k for k, _, _ in _listeners(head)] == [
        "ray-client-server-port",
        "metrics-export-port",
        "dashboard-agent-listen-port",
    ]


def test_include_dashboard_false_in_any_spelling_drops_the_default_dashboard() -> None:
    for value in ("false", "False", False):
        head = _head(params={"include-dashboard": value})
        assert _listeners(head) == [li for li in DEFAULT_HEAD if li[0] != "dashboard-port"]
    assert _listeners(_head(params={"include-dashboard": "true"})) == DEFAULT_HEAD


def test_an_explicit_dashboard_port_is_kept_without_the_dashboard() -> None:
    head = _head(params={"include-dashboard": "false", "dashboard-port": "9265"})
    assert ("dashboard-port", 9265, True) in _listeners(head)


def test_the_real_pods_ray_start_flags_replace_the_defaults() -> None:
    command = "ulimit -n 65536; ray start --head --metrics-export-port=9090"
    ray = container("ray-head", command=["/bin/bash", "-c", "--"], args=[command])
    [real] = objects_from_docs([pod("rc-head", containers=[ray])], "t")
    head = dataclasses.replace(_head(), real=real)
    assert _listeners(head) == [
        ("port", 6379, False),
        ("ray-client-server-port", 10001, False),
        ("dashboard-port", 8265, False),
        ("metrics-export-port", 9090, False),
        ("dashboard-agent-listen-port", 52365, False),
    ]


def test_listener_describe_says_where_the_number_comes_from() -> None:
    explicit = Listener(8266, "dashboard-port", "dashboard", True, ())
    default = Listener(8265, "dashboard-port", "dashboard", False, ())
    assert explicit.describe() == "dashboard-port 8266"
    assert default.describe() == "dashboard-port (KubeRay default 8265)"


# ----------------------------------------------------------------------------- Serve


def _service_head(config: str | None = None, env: list[Any] | None = None) -> PodView:
    spec: dict[str, Any] = {"serveConfigV2": config} if config is not None else {}
    head = head_group(ray={"env": env} if env is not None else {})
    return _pods(rayservice(head=head, **spec))[0]


def _serve(head: PodView) -> Listener:
    return ray_listeners(head)[-1]


def test_serve_listens_on_8000_by_default_located_at_the_params() -> None:
    assert _serve(_service_head()) == Listener(8000, "serve port", "serve", False, RS_HEAD_PARAMS)


def test_serve_config_http_port_wins() -> None:
    head = _service_head("http_options:\n  port: 8001\n", [{"name": SERVE_ENV, "value": "8002"}])
    assert _serve(head) == Listener(
        8001, "serveConfigV2 http_options.port", "serve", True, ("spec", "serveConfigV2")
    )


def test_an_unreadable_serve_config_falls_back() -> None:
    for config in ("- a list\n", "http_options: 8001\n", "http_options: [unclosed\n"):
        assert _serve(_service_head(config)).number == 8000, config


def test_the_serve_env_of_the_ray_container_is_read_by_name() -> None:
    env = [
        "not a variable",
        {"name": "OTHER", "value": "9000"},
        {"name": SERVE_ENV, "value": "8002"},
    ]
    assert _serve(_service_head(env=env)) == Listener(
        8002, SERVE_ENV, "serve", True, (*RS_HEAD_SPEC, "containers", 0, "env", 2, "value")
    )


def test_only_a_rayservice_head_runs_serve() -> None:
    [_, worker] = _pods(rayservice(workers=[worker_group()]))
    assert [li.key for li in ray_listeners(worker)] == [
        "metrics-export-port",
        "dashboard-agent-listen-port",
    ]
    assert "serve port" not in [li.key for li in ray_listeners(_head())]


# ----------------------------------------------------------------------------- containers


def test_the_ray_container_is_the_first_or_none() -> None:
    assert ray_container(_head(containers=[])) is None
    found = ray_container(_head(container("sidecar")))
    assert found is not None
    assert found[0] == (*HEAD_SPEC, "containers", 0)
    assert found[1]["name"] == "ray-head"


def test_existing_is_the_longest_present_prefix() -> None:
    [obj] = objects_from_docs([raycluster(workers=[])], "t")
    assert existing(obj, ("spec", "missing", "deeper")) == ("spec",)
    assert existing(obj, (*HEAD_SPEC, "containers", 0)) == (*HEAD_SPEC, "containers", 0)
    assert existing(obj, ("status", "x")) == ()


def test_declared_ports_are_numbered_ports_with_their_names() -> None:
    ports: Ports = [(8265, "dashboard"), 8080, {"name": "", "containerPort": 1}, {"name": "x"}]
    c = ((*HEAD_SPEC, "containers", 0), container("ray-head", ports))
    assert declared_ports(c) == [("dashboard", 8265), (None, 8080), (None, 1)]


def test_ports_or_container_is_the_ports_field_when_there_is_one() -> None:
    path = (*HEAD_SPEC, "containers", 0)
    assert ports_or_container((path, container("a", [80]))) == (*path, "ports")
    assert ports_or_container((path, container("a"))) == path


def test_an_unnamed_container_is_named_by_its_index() -> None:
    assert container_name(((*HEAD_SPEC, "containers", 1), {"image": "x"})) == "#1"
    assert container_name(((*HEAD_SPEC, "containers", 1), {"name": "log"})) == "log"


# ----------------------------------------------------------------------------- GPUs


def test_gpu_count_reads_limits_then_requests() -> None:
    gpu = "nvidia.com/gpu"
    assert gpu_count({"resources": {"limits": {gpu: 2}, "requests": {gpu: 1}}}) == 2
    assert gpu_count({"resources": {"requests": {gpu: 1}}}) == 1
    assert gpu_count({"resources": {"limits": {"cpu": "1"}, "requests": {gpu: "3"}}}) == 3
    assert gpu_count({"resources": {"limits": {"cpu": "1"}}}) is None
    assert gpu_count({}) is None


def test_a_gpu_pod_has_a_gpu_limit_or_num_gpus_above_zero() -> None:
    one_gpu = {"resources": {"limits": {"nvidia.com/gpu": 1}}}
    assert is_gpu_pod(_head(ray=one_gpu))
    assert is_gpu_pod(_head(params={"num-gpus": "1"}))
    assert not is_gpu_pod(_head(params={"num-gpus": "0"}))
    assert not is_gpu_pod(_head(ray={"resources": {"limits": {"nvidia.com/gpu": 0}}}))
    assert not is_gpu_pod(_head())


def test_a_toleration_covers_its_key_or_with_exists_and_no_key_everything() -> None:
    gpu = "nvidia.com/gpu"
    assert tolerates_key({"key": gpu, "operator": "Exists"}, gpu)
    assert not tolerates_key({"key": "example.com/other", "operator": "Exists"}, gpu)
    assert tolerates_key({"operator": "Exists"}, gpu)
    assert not tolerates_key({"operator": "Equal"}, gpu)


def test_term_expressions_are_the_mapping_match_expressions() -> None:
    expression = {"key": "a", "operator": "Exists"}
    assert term_expressions({"matchExpressions": [expression, "junk"]}) == [expression]
    assert term_expressions({"matchFields": [expression]}) == []
