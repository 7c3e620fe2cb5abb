"""The shared NetworkPolicy model (`checks/_netpol.py`), function by function.

The netpol-*, selector-* and monitor-* checks read pods, ports, peers, policies and
Services through it; these pin its semantics where a check's own tests only see them
through one finding.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kuberay_gitops.checks._netpol import (
    ALL_PORTS,
    EGRESS,
    INGRESS,
    ContainerPort,
    Endpoint,
    MonitorScope,
    RayPort,
    ServicePort,
    ServiceView,
    allowed_intervals,
    any_address,
    container_ports,
    fmt_interval,
    listens_on,
    monitor_scope,
    peer_matches,
    pod_endpoint,
    pod_name,
    policies,
    policy_types,
    port_entry_intervals,
    ray_ports,
    rule_intervals,
    rule_matches_peer,
    selector_is_empty,
    services,
    uncovered,
)
from kuberay_gitops.index import Generated, ObjectIndex, PodView
from kuberay_gitops.manifests import objects_from_docs
from tests.builders import (
    Body,
    container,
    deployment,
    head_group,
    index,
    namespace,
    netpol,
    raycluster,
    raycronjob,
    rayjob,
    rayservice,
    service,
    service_monitor,
    worker_group,
)

APPS = Endpoint("apps", {"app": "web"}, {"kubernetes.io/metadata.name": "apps"})
OTHER = Endpoint("other", {"app": "web"}, {"kubernetes.io/metadata.name": "other"})


def _pod(*bodies: Body, i: int = 0) -> PodView:
    """The `i`-th pod of an index of `bodies`."""
    return index(*bodies).pods[i]


def _without_namespace(body: Body) -> Body:
    meta = {k: v for k, v in body["metadata"].items() if k != "namespace"}
    return {**body, "metadata": meta}


def _twin(body: Body, *made: Body) -> ObjectIndex:
    """An index of `body` with `made` as what the operator created for it on the twin."""
    [owner] = objects_from_docs([body], "t")
    real = objects_from_docs(list(made), "t")
    return ObjectIndex([owner], "t", generated=[Generated(m, owner) for m in real])


# --------------------------------------------------------------------------- ports


def test_init_container_ports_come_first_and_each_port_once() -> None:
    sidecar = container("proxy", ports=[(15001, "proxy")])
    app = container("app", ports=[{"containerPort": 53, "protocol": "UDP"}, 8080])
    pod = _pod(deployment("web", containers=[app], initContainers=[sidecar]))
    assert container_ports(pod) == [
        ContainerPort(15001, "TCP", "proxy"),
        ContainerPort(53, "UDP", None),
        ContainerPort(8080, "TCP", None),
    ]


def test_the_ray_container_gets_the_metrics_port_kuberay_appends() -> None:
    head = head_group(container("log-shipper", ports=[9000]), ports=[(6379, "gcs-server")])
    pod = _pod(raycluster(head=head, workers=[]))
    assert container_ports(pod) == [
        ContainerPort(6379, "TCP", "gcs-server"),
        ContainerPort(8080, "TCP", "metrics"),
        ContainerPort(9000, "TCP", None),
    ]


def test_a_workload_gets_no_metrics_port() -> None:
    pod = _pod(deployment("web", containers=[container(ports=[80])]))
    assert container_ports(pod) == [ContainerPort(80, "TCP", None)]


def test_the_real_pod_s_ports_are_taken_as_they_are() -> None:
    real = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "rc-head-x",
            "namespace": "apps",
            "labels": {"ray.io/group": "headgroup"},
        },
        "spec": {"containers": [container("ray-head", ports=[(6379, "gcs-server")])]},
    }
    [head] = _twin(raycluster(workers=[]), real).pods
    assert head.real is not None
    assert container_ports(head) == [ContainerPort(6379, "TCP", "gcs-server")]


def test_malformed_container_ports_are_skipped_and_the_next_ones_read() -> None:
    app = {**container(), "ports": ["80", {"name": "no-number"}, {"containerPort": 81}]}
    pod = _pod(deployment("web", containers=[app]))
    assert container_ports(pod) == [ContainerPort(81, "TCP", None)]


def _head(**params: str) -> PodView:
    return _pod(raycluster(head=head_group(params=params), workers=[]))


def test_a_worker_port_list_replaces_the_worker_port_range() -> None:
    ports = ray_ports(_head(**{"worker-port-list": "10002, 10003,x"}))
    assert [p for p in ports if p.key.endswith("worker-port")] == []
    assert [p for p in ports if p.key == "worker-port-list"] == [
        RayPort("worker-port-list", 10002, 10002),
        RayPort("worker-port-list", 10003, 10003),
    ]


def test_an_unset_min_worker_port_is_ray_s_default() -> None:
    ports = ray_ports(_head(**{"max-worker-port": "12000"}))
    assert ports[-1] == RayPort("min-worker-port..max-worker-port", 10002, 12000)


def test_listens_on_reads_tcp_container_ports_inclusively() -> None:
    pod = _pod(deployment("web", containers=[container(ports=[80])]))
    assert listens_on(pod, 80, 80)
    assert not listens_on(pod, 80, 80, "UDP")
    assert not listens_on(pod, 81, 90)


def test_fmt_interval() -> None:
    assert fmt_interval((8080, 8080)) == "8080"
    assert fmt_interval((8310, 8600)) == "8310-8600"


def test_uncovered_finds_the_first_gap() -> None:
    assert uncovered((1, 10), [(1, 9)]) == (10, 10)
    assert uncovered((1, 10), [(10, 20)]) == (1, 9)
    assert uncovered((1, 10), [(5, 6), (1, 3)]) == (4, 4)
    assert uncovered((1, 10), [(1, 4), (5, 10)]) is None


def test_a_named_port_entry_resolves_on_the_destination_s_ports_of_its_protocol() -> None:
    dest = [ContainerPort(5353, "UDP", "dns"), ContainerPort(53, "TCP", "dns")]
    assert port_entry_intervals({"port": "dns"}, dest, "TCP") == [(53, 53)]


def test_an_end_port_widens_a_numeric_port_and_never_narrows_it() -> None:
    assert port_entry_intervals({"port": 80, "endPort": 90}, [], "TCP") == [(80, 90)]
    assert port_entry_intervals({"port": 80, "endPort": 70}, [], "TCP") == [(80, 80)]
    assert port_entry_intervals({"port": 80}, [], "TCP") == [(80, 80)]


def test_rule_intervals_are_tcp_unless_asked_and_a_malformed_ports_field_allows_nothing() -> None:
    rule = {"ports": [{"port": 80}, {"protocol": "UDP", "port": 53}]}
    assert rule_intervals(rule, []) == [(80, 80)]
    assert rule_intervals(rule, [], "UDP") == [(53, 53)]
    assert rule_intervals({"ports": 5}, []) == []
    assert rule_intervals({}, []) == [ALL_PORTS]


# --------------------------------------------------------------------------- peers


def test_a_pod_endpoint_carries_its_namespace_labels_and_ports() -> None:
    web = deployment("web", containers=[container(ports=[80])])
    idx = index(namespace("apps", {"team": "a"}), web)
    assert pod_endpoint(idx, idx.pods[0]) == Endpoint(
        "apps",
        {"app": "web"},
        {"kubernetes.io/metadata.name": "apps", "team": "a"},
        [ContainerPort(80, "TCP", None)],
    )


def test_any_address_is_a_prefix_length_of_zero() -> None:
    assert any_address("0.0.0.0/0")
    assert any_address("::/0")
    assert any_address("10.1.2.3/0")
    assert not any_address("10.0.0.0/8")
    assert not any_address("anywhere")


def test_an_ip_block_peer_matches_only_as_an_any_address_block() -> None:
    assert peer_matches({"ipBlock": {"cidr": "0.0.0.0/0"}}, "apps", OTHER)
    assert not peer_matches({"ipBlock": {"cidr": "10.0.0.0/8"}}, "apps", APPS)


def test_a_peer_without_selectors_matches_nothing() -> None:
    assert not peer_matches({}, "apps", APPS)


def test_a_pod_selector_alone_matches_pods_of_the_policy_s_namespace() -> None:
    peer = {"podSelector": {"matchLabels": {"app": "web"}}}
    assert peer_matches(peer, "apps", APPS)
    assert not peer_matches(peer, "apps", OTHER)


def test_both_selectors_need_the_namespace_and_the_pod_to_match() -> None:
    peer = {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "other"}},
        "podSelector": {"matchLabels": {"app": "web"}},
    }
    assert peer_matches(peer, "apps", OTHER)
    assert not peer_matches(peer, "apps", APPS)


def test_a_rule_without_peers_admits_everyone_and_a_malformed_list_no_one() -> None:
    assert rule_matches_peer({}, INGRESS, "apps", OTHER)
    assert rule_matches_peer({"to": [{"podSelector": {}}]}, EGRESS, "apps", APPS)
    assert not rule_matches_peer({"to": [{"podSelector": {}}]}, EGRESS, "apps", OTHER)
    assert not rule_matches_peer({"from": 5}, INGRESS, "apps", APPS)


def test_selector_is_empty() -> None:
    assert selector_is_empty(None)
    assert selector_is_empty({})
    assert not selector_is_empty({"matchLabels": {"app": "web"}})
    assert not selector_is_empty({"matchExpressions": [{"key": "app", "operator": "Exists"}]})


# --------------------------------------------------------------------------- policies


def test_policy_types_as_given_or_as_the_api_server_defaults_them() -> None:
    assert policy_types({"policyTypes": ["Egress"], "ingress": [{}]}) == {EGRESS}
    assert policy_types({"policyTypes": [], "egress": [{}]}) == {INGRESS, EGRESS}
    assert policy_types({"policyTypes": "Egress"}) == {INGRESS}
    assert policy_types({"egress": []}) == {INGRESS}
    assert policy_types({"egress": {"to": []}}) == {INGRESS}


def test_policies_of_the_target_in_render_order() -> None:
    np = _without_namespace(netpol("a", selector={"matchLabels": {"app": "web"}}, types=None))
    [first, second] = policies(index(np, netpol("b", "apps", types=["Egress"])))
    assert (first.name, first.namespace, dict(first.pod_selector), first.types) == (
        "a",
        "default",
        {"matchLabels": {"app": "web"}},
        frozenset({INGRESS}),
    )
    assert (second.name, second.namespace, second.types) == ("b", "apps", frozenset({EGRESS}))


def test_policy_rules_by_direction_with_their_index() -> None:
    np = netpol("a", ingress=[{"from": []}], egress=[{"to": []}, {"ports": []}])
    np["spec"]["egress"].insert(1, "junk")
    [pol] = policies(index(np))
    assert pol.rules(INGRESS) == [(0, {"from": []})]
    assert pol.rules(EGRESS) == [(0, {"to": []}), (2, {"ports": []})]
    assert pol.rules_key(EGRESS) == "egress"


def test_a_policy_selects_pods_of_its_namespace_by_labels() -> None:
    [pol] = policies(index(netpol("a", selector={"matchLabels": {"app": "web"}})))
    assert pol.selects({"app": "web"}, "apps")
    assert not pol.selects({"app": "web"}, "other")
    assert not pol.selects({"app": "db"}, "apps")


def test_only_an_empty_selector_without_rules_is_a_default_deny() -> None:
    deny, narrow = policies(
        index(netpol("deny"), netpol("narrow", selector={"matchLabels": {"app": "web"}}))
    )
    assert deny.is_default_deny(INGRESS)
    assert not narrow.is_default_deny(INGRESS)


def test_allowed_intervals_read_the_protocol_asked_for() -> None:
    rule = {"ports": [{"protocol": "UDP", "port": 53}, {"port": 80}]}
    pols = policies(index(netpol("dns", types=["Egress"], egress=[rule])))
    assert allowed_intervals(pols, EGRESS, APPS, [], "UDP") == [(53, 53)]
    assert allowed_intervals(pols, EGRESS, APPS, []) == [(80, 80)]


# --------------------------------------------------------------------------- pods


def test_pod_names() -> None:
    template = {"spec": {"containers": [container()]}}
    idx = index(rayjob(submitterPodTemplate=template))
    head, submitter = idx.pods
    assert pod_name(head) == "RayJob/apps/job head group headgroup"
    assert pod_name(submitter) == "RayJob/apps/job submitter"
    assert pod_name(_pod(deployment("web"))) == "Deployment/apps/web"
    cron = index(raycronjob(job={"submitterPodTemplate": template})).pods[-1]
    assert pod_name(cron) == "RayCronJob/apps/cron submitter"


# --------------------------------------------------------------------------- services


def test_rendered_service_ports_with_their_targets_and_protocols() -> None:
    ports: list[Mapping[str, Any]] = [
        {"name": "http", "port": 80, "targetPort": "web"},
        {"port": "81", "targetPort": "8081", "protocol": "UDP"},
        {"name": "no-number"},
        {"port": 82},
    ]
    svc = service("web", ports=ports)
    svc["spec"]["ports"].insert(0, "junk")
    [view] = services(index(svc))
    assert view.ports == (
        ServicePort("http", 80, "web", "TCP"),
        ServicePort("", 81, 8081, "UDP"),
        ServicePort("", 82, None, "TCP"),
    )
    assert view.describe() == "Service apps/web"


def test_a_malformed_ports_field_has_no_ports() -> None:
    svc = service("web")
    svc["spec"]["ports"] = 5
    [view] = services(index(svc))
    assert view.ports == ()


def test_a_rendered_service_without_a_namespace_is_in_default_with_its_pods() -> None:
    web = _without_namespace(deployment("web"))
    svc = _without_namespace(service("web", selector={"app": "web"}, labels={"tier": "front"}))
    [view] = services(index(web, svc))
    assert (view.name, view.namespace, dict(view.labels), view.synthetic) == (
        "web",
        "default",
        {"tier": "front"},
        False,
    )
    assert [p.owner.ref.name for p in view.pods] == ["web"]
    assert view.obj.ref.kind == "Service"


def _generated(idx: ObjectIndex) -> dict[str, ServiceView]:
    return {v.name: v for v in services(idx) if v.synthetic}


def test_kuberay_s_head_service_is_generated_with_the_head_pod_behind_it() -> None:
    cluster = raycluster(workers=[worker_group()])
    views = _generated(index(cluster))
    assert list(views) == ["rc-head-svc"]
    head_svc = views["rc-head-svc"]
    assert head_svc.namespace == "apps"
    assert head_svc.labels["ray.io/cluster"] == "rc"
    assert [p.ray_role for p in head_svc.pods] == ["head"]
    assert head_svc.obj.ref.name == "rc"
    assert ServicePort("dashboard", 8265) in head_svc.ports
    assert (
        head_svc.describe()
        == "Service apps/rc-head-svc (generated by KubeRay for RayCluster apps/rc)"
    )


def test_a_generated_service_of_an_object_without_a_namespace_is_in_default() -> None:
    views = _generated(index(_without_namespace(raycluster(workers=[]))))
    assert views["rc-head-svc"].namespace == "default"
    assert views["rc-head-svc"].origin == "RayCluster default/rc"
    assert len(views["rc-head-svc"].pods) == 1


def test_pods_of_another_namespace_are_not_behind_a_generated_service() -> None:
    views = _generated(index(raycluster(workers=[]), raycluster(namespace="other", workers=[])))
    assert [(v.namespace, len(v.pods)) for v in views.values()] == [("other", 1)]


def test_the_serve_service_has_every_pod_unless_the_head_is_excluded() -> None:
    serving = head_group(ports=[(8000, "serve")])
    llm = rayservice("llm", head=serving, workers=[worker_group()])
    serve = _generated(index(llm))["llm-serve-svc"]
    assert sorted(str(p.ray_role) for p in serve.pods) == ["head", "worker"]
    excluded = {**llm, "spec": {**llm["spec"], "excludeHeadPodFromServeSvc": True}}
    excluded_pods = _generated(index(excluded))["llm-serve-svc"].pods
    assert [p.ray_role for p in excluded_pods] == ["worker"]


def test_a_rayjob_gets_its_own_head_service() -> None:
    views = _generated(index(rayjob()))
    assert sorted(views) == ["job-head-svc", "job-raycluster-xxxxx-head-svc"]
    assert [p.ray_role for p in views["job-head-svc"].pods] == ["head"]


def _real_service(name: str, cluster: str, **meta: Any) -> Body:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "labels": {"ray.io/cluster": cluster}, **meta},
        "spec": {
            "selector": {"ray.io/cluster": cluster, "ray.io/node-type": "head"},
            "ports": [{"name": "client", "port": 10001}],
        },
    }


def test_a_service_the_operator_created_replaces_the_model_s() -> None:
    made = _real_service("rc-head-svc", "rc", namespace="apps")
    views = [v for v in services(_twin(raycluster(workers=[]), made)) if v.synthetic]
    assert [(v.name, v.ports) for v in views] == [("rc-head-svc", (ServicePort("client", 10001),))]
    assert views[0].origin == "RayCluster apps/rc"


def test_a_real_service_of_a_generated_cluster_name_stands_for_its_role() -> None:
    cluster = "job-raycluster-abcde"
    real = _real_service(f"{cluster}-head-svc", cluster)
    real["metadata"].pop("labels")
    views = [v.name for v in services(_twin(rayjob(), real)) if v.synthetic]
    assert views == [f"{cluster}-head-svc", "job-head-svc"]


def test_a_real_service_in_its_own_namespace_selects_pods_there() -> None:
    made = _real_service("rc-head-svc", "rc", namespace="other")
    [view] = [v for v in services(_twin(raycluster(workers=[]), made)) if v.synthetic]
    assert (view.namespace, view.pods) == ("other", ())


# --------------------------------------------------------------------------- monitors


def _scope(**spec: Any) -> MonitorScope:
    [obj] = index(service_monitor("m", **spec)).of_kind("ServiceMonitor")
    return monitor_scope(obj)


def test_monitor_scope() -> None:
    assert _scope() == MonitorScope(frozenset({"apps"}))
    assert _scope(namespaceSelector={"any": True}) == MonitorScope(any_ns=True)
    assert _scope(namespaceSelector={"any": False}) == MonitorScope(frozenset({"apps"}))
    assert _scope(namespaceSelector={"matchNames": ["a", "b"]}) == MonitorScope(
        frozenset({"a", "b"})
    )
    assert _scope(namespaceSelector={"matchNames": []}) == MonitorScope(frozenset({"apps"}))


def test_a_monitor_without_a_namespace_looks_in_default() -> None:
    [obj] = index(_without_namespace(service_monitor("m"))).of_kind("ServiceMonitor")
    assert monitor_scope(obj) == MonitorScope(frozenset({"default"}))


def test_a_real_service_labelled_with_its_cluster_stands_for_its_role() -> None:
    real = _real_service("rc-head-svc", "rc", namespace="apps")
    real["spec"].pop("selector")
    views = [v for v in services(_twin(raycluster(workers=[]), real)) if v.synthetic]
    assert [(v.name, v.pods) for v in views] == [("rc-head-svc", ())]


def test_a_real_service_without_a_spec_has_no_ports_and_no_pods() -> None:
    real = _real_service("rc-head-svc", "rc", namespace="apps")
    real.pop("spec")
    [view] = [v for v in services(_twin(raycluster(workers=[]), real)) if v.synthetic]
    assert (view.name, view.ports, view.pods) == ("rc-head-svc", (), ())


def test_a_raycluster_annotated_for_serving_gets_a_serve_service() -> None:
    serving = raycluster(
        head=head_group(ports=[(8000, "serve")]),
        workers=[],
        annotations={"ray.io/enable-serve-service": "true"},
    )
    views = _generated(index(serving))
    assert sorted(views) == ["rc-head-svc", "rc-serve-svc"]
    assert views["rc-serve-svc"].ports == (ServicePort("serve", 8000),)


def test_a_malformed_pod_selector_selects_every_pod() -> None:
    np = netpol("a")
    np["spec"]["podSelector"] = "web"
    [pol] = policies(index(np))
    assert pol.pod_selector == {}
    assert pol.selects({"app": "web"}, "apps")


def test_malformed_policy_rules_are_none() -> None:
    np = netpol("a")
    np["spec"]["ingress"] = 5
    [pol] = policies(index(np))
    assert pol.rules(INGRESS) == []


def test_match_names_other_than_a_list_mean_the_monitor_s_own_namespace() -> None:
    assert _scope(namespaceSelector={"matchNames": "ab"}) == MonitorScope(frozenset({"apps"}))
