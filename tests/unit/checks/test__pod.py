"""The pod-template helpers every pod, exposure and secret check reads (checks/_pod.py).

Each helper is pinned on in-memory objects: which pod templates and Ray clusters a target
has, how a template and a container are named in messages, where a finding lands when the
field is absent, and which Ray ports (KubeRay v1.7.0 defaults, named container ports,
rayStartParams) a Ray pod listens on.
"""

from __future__ import annotations

from typing import Any

from kuberay_gitops.checks._pod import (
    ContainerView,
    RayClusterRef,
    RayPort,
    cluster_of,
    container_ports,
    containers,
    field_at,
    items,
    mapping,
    match_port,
    pod_label,
    pod_templates,
    ray_clusters,
    ray_ports,
    split_image,
)
from kuberay_gitops.index import PodView
from tests.builders import (
    Body,
    container,
    deployment,
    head_group,
    index,
    raycluster,
    raycronjob,
    rayjob,
    rayservice,
    submitter,
    worker_group,
)


def _pods(*bodies: Body) -> list[PodView]:
    return pod_templates(index(*bodies))


def _head(**spec: Any) -> PodView:
    """The head pod of a RayCluster rc (one worker group cpu) with `spec` keys."""
    return _pods(raycluster(**spec))[0]


def _worker(**spec: Any) -> PodView:
    return _pods(raycluster(**spec))[1]


def _ref(**spec: Any) -> RayClusterRef:
    """The cluster of a RayCluster rc with `spec` keys."""
    (ref,) = ray_clusters(index(raycluster(**spec)))
    return ref


# --------------------------------------------------------------------------- mapping, items


def test_mapping_keeps_a_mapping_and_empties_anything_else() -> None:
    assert mapping({"a": 1}) == {"a": 1}
    assert mapping(["a"]) == {}
    assert mapping("a") == {}
    assert mapping(None) == {}


def test_items_keeps_a_list_and_empties_anything_else() -> None:
    assert items([1, 2]) == [1, 2]
    assert items((1, 2)) == []
    assert items({"a": 1}) == []
    assert items(None) == []


# --------------------------------------------------------------------------- field_at


BODY = {"spec": {"containers": [{"name": "a", "env": None}], "replicas": 2}}


def test_field_at_returns_a_field_that_exists_whole() -> None:
    assert field_at(BODY, ("spec", "containers", 0, "name")) == ("spec", "containers", 0, "name")
    assert field_at(BODY, ("spec", "containers", 0, "env")) == ("spec", "containers", 0, "env")
    assert field_at(BODY, ()) == ()


def test_field_at_stops_at_the_nearest_parent_of_a_missing_key() -> None:
    assert field_at(BODY, ("spec", "volumes", 0)) == ("spec",)
    assert field_at(BODY, ("status", "phase")) == ()


def test_field_at_stops_at_an_index_outside_the_list() -> None:
    assert field_at(BODY, ("spec", "containers", 1, "name")) == ("spec", "containers")
    assert field_at(BODY, ("spec", "containers", -1, "name")) == ("spec", "containers")


def test_field_at_stops_where_the_shape_is_not_the_path_s() -> None:
    # an index into a mapping, a key into a list or into a scalar
    assert field_at(BODY, ("spec", 0)) == ("spec",)
    assert field_at(BODY, ("spec", "containers", "name")) == ("spec", "containers")
    assert field_at(BODY, ("spec", "replicas", "value")) == ("spec", "replicas")
    assert field_at(BODY, ("spec", "containers", 0, "env", 0)) == (
        "spec",
        "containers",
        0,
        "env",
    )


# --------------------------------------------------------------------------- Ray clusters


def test_token_auth_is_mode_token_only() -> None:
    assert _ref(authOptions={"mode": "token"}).token_auth is True
    assert _ref(authOptions={"mode": "disabled"}).token_auth is False
    assert _ref(authOptions="token").token_auth is False
    assert _ref().token_auth is False


def test_kubernetes_token_auth_needs_token_mode_and_the_boolean_true() -> None:
    on = {"mode": "token", "enableK8sTokenAuth": True}
    assert _ref(authOptions=on).k8s_token_auth is True
    assert _ref(authOptions={**on, "enableK8sTokenAuth": "true"}).k8s_token_auth is False
    assert _ref(authOptions={**on, "mode": "disabled"}).k8s_token_auth is False
    assert _ref(authOptions={"mode": "token"}).k8s_token_auth is False


def test_autoscaling_is_the_boolean_true_only() -> None:
    assert _ref(enableInTreeAutoscaling=True).autoscaling is True
    assert _ref(enableInTreeAutoscaling="true").autoscaling is False
    assert _ref().autoscaling is False


def test_a_cluster_is_labelled_by_its_owner_kind_namespace_and_name() -> None:
    assert _ref().label == "RayCluster apps/rc"
    job = rayjob()
    del job["metadata"]["namespace"]
    (ref,) = ray_clusters(index(job))
    assert ref.label == "RayJob default/job"


def test_every_ray_kind_has_its_cluster_spec_in_render_order() -> None:
    job_on_existing_cluster = rayjob("attached", clusterSelector={"ray.io/cluster": "rc"})
    del job_on_existing_cluster["spec"]["rayClusterSpec"]
    bodies = (
        raycronjob(),
        deployment("web"),
        job_on_existing_cluster,
        rayservice(),
        raycluster(),
        rayjob(),
    )
    found = [(str(r.owner.ref), r.path) for r in ray_clusters(index(*bodies))]
    assert found == [
        ("RayCronJob/apps/cron", ("spec", "jobTemplate", "rayClusterSpec")),
        ("RayService/apps/rs", ("spec", "rayClusterConfig")),
        ("RayCluster/apps/rc", ("spec",)),
        ("RayJob/apps/job", ("spec", "rayClusterSpec")),
    ]


def test_a_cluster_spec_reads_through_its_owner() -> None:
    (ref,) = ray_clusters(index(rayjob(cluster={"enableInTreeAutoscaling": True})))
    assert ref.spec["enableInTreeAutoscaling"] is True
    assert RayClusterRef(ref.owner, ("spec", "entrypoint")).spec == {}


def test_the_cluster_of_head_and_worker_pods_is_their_owner_s_cluster_spec() -> None:
    job = rayjob(workers=[worker_group()], submitterPodTemplate=submitter())
    head, worker, submitter_pod = _pods(job)
    expected = ("spec", "rayClusterSpec")
    assert cluster_of(head) == RayClusterRef(head.owner, expected)
    assert cluster_of(worker) == RayClusterRef(head.owner, expected)
    assert cluster_of(submitter_pod) is None
    assert cluster_of(_pods(deployment("web"))[0]) is None


def _ray_pod(role: str, group_path: tuple[str | int, ...] | None) -> PodView:
    """A Ray pod of the RayCluster rc whose group sits at `group_path` (as no index makes)."""
    head = _head()
    return PodView(head.owner, head.path, {}, "apps", role, "x", None, group_path)


def test_a_ray_pod_whose_group_is_neither_head_nor_worker_has_no_cluster() -> None:
    assert cluster_of(_ray_pod("head", None)) is None
    for group_path in [(), ("spec", "headGroupSpecs"), ("workerGroupSpecs",), ("spec", 0)]:
        assert cluster_of(_ray_pod("head", group_path)) is None
    worker = _ray_pod("worker", ("workerGroupSpecs", 0))
    assert cluster_of(worker) == RayClusterRef(worker.owner, ())


# --------------------------------------------------------------------------- templates


def test_each_template_is_named_by_its_role_in_the_owner() -> None:
    job = rayjob(workers=[worker_group("gpu")], submitterPodTemplate=submitter())
    cron = raycronjob(job={"submitterPodTemplate": submitter()})
    assert [pod_label(p) for p in _pods(job, cron, deployment("web"))] == [
        "head group headgroup",
        "worker group gpu",
        "submitter pod",
        "head group headgroup",
        "submitter pod",
        "pod template",
    ]


def test_a_template_at_a_path_not_ending_in_submitter_pod_template_is_a_pod_template() -> None:
    (web,) = _pods(deployment("web"))
    assert pod_label(PodView(web.owner, (), {}, "apps")) == "pod template"


# --------------------------------------------------------------------------- containers


def _views(pod: PodView, init: bool = True) -> list[tuple[Any, ...]]:
    return [(c.path, c.name, c.kind, c.anchor, c.label) for c in containers(pod, init=init)]


HEAD = ("spec", "headGroupSpec", "template", "spec")


def test_containers_are_the_init_containers_then_the_containers() -> None:
    head = _head(
        head=head_group(
            container("logs"),
            initContainers=[container("wait"), "not a container", {"image": "busybox"}],
        )
    )
    assert _views(head) == [
        ((*HEAD, "initContainers", 0), "wait", "init container", None, 'init container "wait"'),
        ((*HEAD, "initContainers", 2), "2", "init container", None, 'init container "2"'),
        ((*HEAD, "containers", 0), "ray-head", "container", None, 'container "ray-head"'),
        ((*HEAD, "containers", 1), "logs", "container", None, 'container "logs"'),
    ]
    assert [c.name for c in containers(head, init=False)] == ["ray-head", "logs"]


def test_an_autoscaling_head_gets_the_sidecar_from_autoscaler_options() -> None:
    options = {"image": "rayproject/ray:2.55.1", "securityContext": {"runAsNonRoot": True}}
    head = _head(enableInTreeAutoscaling=True, autoscalerOptions=options)
    sidecar = list(containers(head))[-1]
    assert sidecar == ContainerView(
        ("spec", "autoscalerOptions"),
        options,
        "autoscaler",
        "autoscaler",
        ("spec", "enableInTreeAutoscaling"),
    )
    assert sidecar.label == "the autoscaler sidecar (autoscalerOptions)"
    assert sidecar.security_context == {"runAsNonRoot": True}


def test_the_sidecar_without_autoscaler_options_has_no_settings() -> None:
    head = _head(enableInTreeAutoscaling=True)
    assert list(containers(head))[-1].body == {}


def test_only_the_head_of_an_autoscaling_cluster_gets_the_sidecar() -> None:
    assert [c.kind for c in containers(_head())] == ["container"]
    assert [c.kind for c in containers(_worker(enableInTreeAutoscaling=True))] == ["container"]
    assert [c.kind for c in containers(_pods(deployment("web"))[0])] == ["container"]


def test_a_container_security_context_is_empty_when_absent_or_malformed() -> None:
    assert ContainerView((), {"securityContext": ["x"]}, "a", "container").security_context == {}
    assert ContainerView((), {}, "a", "container").security_context == {}


def test_a_container_field_is_trimmed_to_what_exists() -> None:
    head = _head(head=head_group(ray={"securityContext": {"runAsUser": 1000}}))
    (ray,) = containers(head)
    assert ray.at(head.owner, "securityContext", "runAsUser") == (
        *HEAD,
        "containers",
        0,
        "securityContext",
        "runAsUser",
    )
    assert ray.at(head.owner, "securityContext", "capabilities", "drop") == (
        *HEAD,
        "containers",
        0,
        "securityContext",
    )
    assert ray.at(head.owner, "resources") == (*HEAD, "containers", 0)


def test_a_sidecar_field_lands_on_enable_in_tree_autoscaling_without_autoscaler_options() -> None:
    head = _head(enableInTreeAutoscaling=True)
    sidecar = list(containers(head))[-1]
    assert sidecar.at(head.owner, "securityContext") == ("spec", "enableInTreeAutoscaling")
    with_options = _head(enableInTreeAutoscaling=True, autoscalerOptions={"resources": {}})
    sidecar = list(containers(with_options))[-1]
    assert sidecar.at(with_options.owner, "securityContext", "runAsUser") == (
        "spec",
        "autoscalerOptions",
    )


def test_a_container_without_anchor_is_trimmed_above_its_own_path() -> None:
    (web,) = _pods(deployment("web"))
    gone = ContainerView((*web.spec_path, "containers", 5), {}, "x", "container")
    assert gone.at(web.owner, "image") == (*web.spec_path, "containers")


# --------------------------------------------------------------------------- images


def test_split_image_separates_name_tag_and_digest() -> None:
    digest = "sha256:" + "a" * 64
    assert split_image("rayproject/ray:2.55.1") == ("rayproject/ray", "2.55.1", None)
    assert split_image(f"rayproject/ray:2.55.1@{digest}") == ("rayproject/ray", "2.55.1", digest)
    assert split_image(f"rayproject/ray@{digest}") == ("rayproject/ray", None, digest)
    assert split_image("ray") == ("ray", None, None)


def test_a_registry_port_is_not_a_tag() -> None:
    assert split_image("registry.example:5000/ray") == ("registry.example:5000/ray", None, None)
    assert split_image("registry.example:5000/ray:1.0") == (
        "registry.example:5000/ray",
        "1.0",
        None,
    )


def test_an_empty_tag_or_digest_is_none() -> None:
    assert split_image("ray:") == ("ray", None, None)
    assert split_image("ray:1.0@") == ("ray", "1.0", None)


# --------------------------------------------------------------------------- ports


def test_container_ports_are_every_mapping_entry_of_the_main_containers() -> None:
    web = deployment(
        "web",
        containers=[container("a", ports=[8080]), container("b", ports=[(9090, "metrics")])],
        initContainers=[container("init", ports=[7000])],
    )
    web["spec"]["template"]["spec"]["containers"][1]["ports"].insert(0, 9091)
    (pod,) = _pods(web)
    spec = pod.spec_path
    assert list(container_ports(pod)) == [
        ((*spec, "containers", 0, "ports", 0), {"containerPort": 8080}),
        ((*spec, "containers", 1, "ports", 1), {"name": "metrics", "containerPort": 9090}),
    ]


def test_a_ray_port_prints_its_role_and_number() -> None:
    assert [str(RayPort(r, n)) for r, n in [("gcs", 6379), ("client", 10001)]] == [
        "GCS port 6379",
        "Ray client port 10001",
    ]
    assert str(RayPort("dashboard", 8265, "dash")) == "dashboard port 8265"
    assert str(RayPort("serve", 8000)) == "Serve port 8000"


def test_a_pod_that_is_not_ray_has_no_ray_ports() -> None:
    (web,) = _pods(deployment("web", containers=[container("web", ports=[(8265, "dashboard")])]))
    assert ray_ports(web) == []


def test_a_head_without_ports_or_params_listens_on_kuberay_s_defaults() -> None:
    assert ray_ports(_head()) == [
        RayPort("client", 10001),
        RayPort("dashboard", 8265),
        RayPort("gcs", 6379),
        RayPort("serve", 8000),
    ]


def test_a_worker_has_only_the_serve_port() -> None:
    worker = _worker(
        workers=[worker_group(ports=[(6380, "gcs"), (8001, "serve")], params={"port": "6380"})]
    )
    assert ray_ports(worker) == [RayPort("serve", 8001, "serve")]
    assert ray_ports(_worker()) == [RayPort("serve", 8000)]


def test_named_container_ports_set_their_role_s_number() -> None:
    ports: list[int | tuple[int, str] | dict[str, Any]] = [
        (6380, "gcs-server"),
        (10002, "client"),
        (8266, "dashboard"),
        (8001, "serve"),
        (8080, "metrics"),
        {"containerPort": "9000"},
    ]
    assert ray_ports(_head(head=head_group(ports=ports))) == [
        RayPort("client", 10002, "client"),
        RayPort("dashboard", 8266, "dashboard"),
        RayPort("gcs", 6380, "gcs-server"),
        RayPort("serve", 8001, "serve"),
    ]


def test_gcs_and_redis_are_gcs_port_names_too_and_numbers_may_be_strings() -> None:
    head = _head(head=head_group(ports=[{"name": "redis", "containerPort": "6380"}, (6381, "gcs")]))
    assert [p for p in ray_ports(head) if p.role == "gcs"] == [
        RayPort("gcs", 6380, "redis"),
        RayPort("gcs", 6381, "gcs"),
    ]


def test_a_named_port_without_a_number_leaves_the_default() -> None:
    head = _head(head=head_group(ports=[{"name": "dashboard", "containerPort": "http"}]))
    assert RayPort("dashboard", 8265) in ray_ports(head)


def test_start_params_set_the_gcs_client_and_dashboard_ports() -> None:
    params = {"port": "6380", "ray-client-server-port": 10002, "dashboard-port": "8266"}
    assert ray_ports(_head(head=head_group(params=params))) == [
        RayPort("client", 10002),
        RayPort("dashboard", 8266),
        RayPort("gcs", 6380),
        RayPort("serve", 8000),
    ]


def test_a_param_and_a_named_port_that_disagree_are_both_ports() -> None:
    head = _head(head=head_group(ports=[(8266, "dashboard")], params={"dashboard-port": "8267"}))
    assert [p for p in ray_ports(head) if p.role == "dashboard"] == [
        RayPort("dashboard", 8266, "dashboard"),
        RayPort("dashboard", 8267),
    ]


def test_a_param_equal_to_the_named_port_keeps_the_name() -> None:
    head = _head(head=head_group(ports=[(8266, "dashboard")], params={"dashboard-port": "8266"}))
    assert [p for p in ray_ports(head) if p.role == "dashboard"] == [
        RayPort("dashboard", 8266, "dashboard")
    ]


# --------------------------------------------------------------------------- match_port


PORTS = [RayPort("dashboard", 8265, "dash"), RayPort("gcs", 6379), RayPort("serve", 8000)]


def test_a_number_matches_the_port_of_that_number() -> None:
    assert match_port(PORTS, 6379) == RayPort("gcs", 6379)
    assert match_port(PORTS, "8000") == RayPort("serve", 8000)
    assert match_port(PORTS, 10001) is None


def test_a_name_matches_the_port_s_own_name_or_a_name_of_its_role() -> None:
    assert match_port(PORTS, "dash") == PORTS[0]
    assert match_port(PORTS, "dashboard") == PORTS[0]
    assert match_port(PORTS, "redis") == PORTS[1]
    assert match_port(PORTS, "gcs-server") == PORTS[1]
    assert match_port(PORTS, "gcs") == PORTS[1]
    assert match_port(PORTS, "serve") == PORTS[2]


def test_an_unknown_name_or_a_reference_of_another_type_matches_nothing() -> None:
    assert match_port(PORTS, "client") is None
    assert match_port(PORTS, "metrics") is None
    assert match_port(PORTS, None) is None
    assert match_port([RayPort("gcs", 6379)], None) is None
    assert match_port(PORTS, 1.5) is None


def test_the_first_port_matching_wins() -> None:
    two = [RayPort("gcs", 6379, "gcs-server"), RayPort("gcs", 6380)]
    assert match_port(two, "gcs-server") == two[0]
    assert match_port(two, 6380) == two[1]
