"""The posture diff (`posture.py`): each facet's widenings and narrowings, in words.

In memory: small object indexes built with `tests.builders`, base against head, one
behaviour per test. `tests/e2e/test_trust_boundary.py` runs it on copies of the repository
as the pull-request gate does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from kuberay_gitops import posture
from kuberay_gitops.settings import PostureAllow
from tests.builders import (
    Body,
    app_project,
    binding,
    container,
    deployment,
    index,
    namespace,
    netpol,
    raycluster,
    role,
    service_account,
)

WEB = {"matchLabels": {"app": "web"}}
DB = {"matchLabels": {"app": "db"}}
DB_PORT = [{"port": 5432}]


def _platform(*extra: Body, web_egress: Sequence[Mapping[str, Any]] | None = None) -> list[Body]:
    """Namespace apps: web and db, default-deny both ways, web may reach db on 5432."""
    egress = [{"to": [{"podSelector": DB}], "ports": DB_PORT}]
    return [
        namespace("apps"),
        deployment("web", containers=[container(ports=[(8080, "http")])]),
        deployment("db", containers=[container(ports=[5432])]),
        netpol("default-deny"),
        netpol(
            "db-from-web",
            selector=DB,
            types=["Ingress"],
            ingress=[{"from": [{"podSelector": WEB}], "ports": DB_PORT}],
        ),
        netpol("web-egress", selector=WEB, types=["Egress"], egress=[*egress, *(web_egress or [])]),
        *extra,
    ]


def _diff(base: Sequence[Body], head: Sequence[Body]) -> list[posture.Change]:
    return posture.diff({"dev": index(*base)}, {"dev": index(*head)})


def _widened(changes: Sequence[posture.Change], facet: str) -> list[posture.Change]:
    return [c for c in changes if c.widened and c.facet == facet]


def _where(change: posture.Change) -> tuple[str, tuple[str | int, ...]]:
    assert change.obj is not None
    return f"{change.obj.ref.kind}/{change.obj.ref.name}", change.field


# --------------------------------------------------------------------------- reachability


def test_the_same_platform_on_both_sides_changes_nothing() -> None:
    assert _diff(_platform(), _platform()) == []


def test_egress_to_the_internet_is_a_widening_at_the_rule_that_grants_it() -> None:
    internet = {"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"port": 443}]}
    (change,) = [
        c
        for c in _widened(_diff(_platform(), _platform(web_egress=[internet])), "reachability")
        if "any address" in c.text
    ]
    assert change.words == (
        "dev: pods of Deployment/apps/web can now reach any address (0.0.0.0/0) on TCP 443"
    )
    assert _where(change) == ("NetworkPolicy/web-egress", ("spec", "egress", 1))


def test_an_except_keeps_the_metadata_address_out_and_without_it_any_address_is_reached() -> None:
    fenced = {
        "to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["169.254.169.254/32"]}}],
        "ports": [{"port": 80}],
    }
    open_ = {"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"port": 80}]}
    fenced_texts = [c.text for c in _diff(_platform(), _platform(web_egress=[fenced]))]
    open_texts = [c.text for c in _diff(_platform(), _platform(web_egress=[open_]))]
    web = "pods of Deployment/apps/web can now reach"
    assert f"{web} any address except 169.254.169.254/32 on TCP 80" in fenced_texts
    assert f"{web} any address (0.0.0.0/0) on TCP 80" in open_texts


def test_excepts_that_remove_every_probe_point_still_leave_the_internet_reached() -> None:
    halves = {
        "to": [
            {"ipBlock": {"cidr": "0.0.0.0/1", "except": ["0.0.0.0/8"]}},
            {"ipBlock": {"cidr": "128.0.0.0/1", "except": ["128.0.0.0/8", "169.254.169.254/32"]}},
        ]
    }
    texts = [c.text for c in _diff(_platform(), _platform(web_egress=[halves]))]
    assert (
        "pods of Deployment/apps/web can now reach any address except 0.0.0.0/8, 128.0.0.0/8, "
        "169.254.169.254/32 on every TCP port; every UDP port; every SCTP port"
    ) in texts


def test_a_port_range_joining_two_allowed_ports_widens_by_the_ports_between() -> None:
    two = {"to": [{"ipBlock": {"cidr": "10.0.0.0/8"}}], "ports": [{"port": 1000}, {"port": 2000}]}
    span = {"to": [{"ipBlock": {"cidr": "10.0.0.0/8"}}], "ports": [{"port": 1000, "endPort": 2000}]}
    texts = [
        c.text
        for c in _widened(
            _diff(_platform(web_egress=[two]), _platform(web_egress=[span])), "reachability"
        )
    ]
    assert texts == [
        "pods of Deployment/apps/web can now reach addresses in 10.0.0.0/8 on TCP 1001-1999"
    ]


def test_a_namespace_outside_the_rendered_output_is_probed_from_the_selector() -> None:
    dns = {
        "to": [
            {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}}}
        ],
        "ports": [{"protocol": "UDP", "port": 53}],
    }
    wide = {**dns, "ports": [{"protocol": "UDP"}, {"protocol": "TCP"}]}
    texts = [
        c.text
        for c in _widened(
            _diff(_platform(web_egress=[dns]), _platform(web_egress=[wide])), "reachability"
        )
    ]
    assert texts == [
        "pods of Deployment/apps/web can now reach any pod in namespace kube-system on every TCP "
        "port; UDP 1-52, 54-65535"
    ]


def test_deleting_the_default_deny_widens_at_the_pod_templates_it_no_longer_covers() -> None:
    head = [b for b in _platform() if b["metadata"]["name"] != "default-deny"]
    changes = _widened(_diff(_platform(), head), "reachability")
    texts = [c.text for c in changes]
    assert (
        "pods of any other namespace can now reach pods of Deployment/apps/web on every TCP port; "
        "every UDP port; every SCTP port"
    ) in texts
    db_out = next(
        c for c in changes if c.text.startswith("pods of Deployment/apps/db can now reach")
    )
    assert _where(db_out) == ("Deployment/db", ("spec", "template"))


def test_an_all_namespaces_ingress_rule_is_a_widening_to_every_other_namespace() -> None:
    anyone = netpol(
        "web-from-all",
        selector=WEB,
        types=["Ingress"],
        ingress=[{"from": [{"namespaceSelector": {}}], "ports": [{"port": 8080}]}],
    )
    texts = [c.text for c in _widened(_diff(_platform(), _platform(anyone)), "reachability")]
    assert (
        "pods of any other namespace can now reach pods of Deployment/apps/web on TCP 8080 (http)"
        in texts
    )


def test_a_new_pod_is_judged_under_the_base_policies_so_a_contained_one_widens_nothing() -> None:
    worker = deployment("worker")
    assert _widened(_diff(_platform(), _platform(worker)), "reachability") == []


def test_a_label_that_lets_a_pod_use_another_pods_grant_is_a_widening() -> None:
    impostor = deployment("batch", labels={"app": "web"})
    base = _platform(deployment("batch", labels={"app": "batch"}))
    texts = [c.text for c in _widened(_diff(base, _platform(impostor)), "reachability")]
    assert (
        "pods of Deployment/apps/batch can now reach pods of Deployment/apps/db on TCP 5432"
        in texts
    )


def test_a_removed_grant_is_a_narrowing_in_words_only() -> None:
    head = [b for b in _platform() if b["metadata"]["name"] != "db-from-web"]
    changes = _diff(_platform(), head)
    assert [c for c in changes if c.widened] == []
    (narrowed,) = changes
    assert (
        narrowed.text
        == "pods of Deployment/apps/web can no longer reach pods of Deployment/apps/db on TCP 5432"
    )
    assert narrowed.obj is None


# --------------------------------------------------------------------------- rbac


def _rbac(*verbs: str, resource: str = "pods") -> list[Body]:
    return [
        role("reader", [{"apiGroups": [""], "resources": [resource], "verbs": list(verbs)}]),
        binding("reader", "Role", "reader", [service_account("ray")]),
    ]


def test_a_verb_added_to_a_bound_role_is_a_widening_at_the_rule() -> None:
    (change,) = _widened(_diff(_rbac("get"), _rbac("get", "delete")), "rbac")
    assert change.text == "ServiceAccount apps/ray can now delete pods in namespace apps"
    assert _where(change) == ("Role/reader", ("rules", 0))


def test_a_base_wildcard_covers_what_the_head_spells_out() -> None:
    assert _widened(_diff(_rbac("*"), _rbac("get", "delete")), "rbac") == []


def test_cluster_admin_bound_to_every_authenticated_user_is_a_widening() -> None:
    admin = role("cluster-admin", [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}], None)
    everyone = binding(
        "oops",
        "ClusterRole",
        "cluster-admin",
        [{"kind": "Group", "name": "system:authenticated"}],
        None,
    )
    (change,) = _widened(_diff([admin], [admin, everyone]), "rbac")
    assert change.text == "Group system:authenticated can now * every resource cluster-wide"


# --------------------------------------------------------------------------- exposure


def _token_cluster(env: Sequence[Mapping[str, str]] = ()) -> Body:
    rc = raycluster(authOptions={"mode": "token"})
    if env:
        rc["spec"]["headGroupSpec"]["template"]["spec"]["containers"][0]["env"] = list(env)
    return rc


def _load_balancer() -> Body:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "dash", "namespace": "apps"},
        "spec": {
            "type": "LoadBalancer",
            "selector": {"ray.io/node-type": "head"},
            "ports": [{"port": 8265, "targetPort": 8265}],
        },
    }


def test_a_new_load_balancer_to_the_dashboard_is_a_widening_with_its_auth_state() -> None:
    (change,) = _widened(
        _diff([_token_cluster()], [_token_cluster(), _load_balancer()]), "exposure"
    )
    assert change.text.startswith("now Service with type LoadBalancer exposes the dashboard")
    assert change.text.endswith("(Ray token auth on)")
    assert _where(change) == ("Service/dash", ("spec", "ports", 0))


def test_an_env_entry_that_turns_token_auth_off_is_a_widening() -> None:
    disabled = [{"name": "RAY_AUTH_MODE", "value": "disabled"}]
    changes = _widened(_diff([_token_cluster()], [_token_cluster(disabled)]), "exposure")
    assert [c.text for c in changes] == [
        "RayCluster apps/rc runs without Ray token auth (it had it)"
    ]
    head_env = ("spec", "headGroupSpec", "template", "spec", "containers", 0, "env", 0)
    assert _where(changes[0]) == ("RayCluster/rc", head_env)


# --------------------------------------------------------------------------- pod security


def test_a_lowered_pod_security_level_is_a_widening_at_the_label() -> None:
    label = "pod-security.kubernetes.io/enforce"
    (change,) = _widened(
        _diff(
            [namespace("apps", {label: "restricted"})], [namespace("apps", {label: "privileged"})]
        ),
        "pod-security",
    )
    assert change.text == "namespace apps now enforces Pod Security privileged (was restricted)"
    assert _where(change) == ("Namespace/apps", ("metadata", "labels", label))


def test_a_weakness_a_hardening_check_reports_only_in_the_head_is_a_widening() -> None:
    spc = {"securityContext": {"seLinuxOptions": {"type": "spc_t"}}}
    base = [deployment("web")]
    head = [deployment("web", containers=[container(**spc)])]
    changes = _widened(_diff(base, head), "pod-security")
    assert changes
    assert all(c.text.startswith("now: ") for c in changes)
    assert any("spc_t" in c.text for c in changes)


# --------------------------------------------------------------------------- project


def test_a_wildcard_source_repository_is_a_widening_at_its_entry() -> None:
    base = app_project(sourceRepos=["https://github.com/platform-team/kuberay-gitops.git"])
    head = app_project(sourceRepos=["https://github.com/platform-team/kuberay-gitops.git", "*"])
    (change,) = _widened(_diff([base], [head]), "project")
    assert change.text == "AppProject argocd/platform now allows sourceRepos *"
    assert _where(change) == ("AppProject/platform", ("spec", "sourceRepos", 1))


def test_a_removed_deny_entry_is_a_widening() -> None:
    deny = [{"group": "", "kind": "Namespace"}]
    (change,) = _widened(
        _diff([app_project(clusterResourceBlacklist=deny)], [app_project()]), "project"
    )
    assert change.text == (
        "AppProject argocd/platform no longer denies clusterResourceBlacklist "
        "group=, kind=Namespace"
    )


def test_a_base_glob_covers_a_head_entry_it_matches() -> None:
    base = app_project(sourceRepos=["https://github.com/platform-team/*"])
    head = app_project(sourceRepos=["https://github.com/platform-team/other.git"])
    assert _widened(_diff([base], [head]), "project") == []


# --------------------------------------------------------------------------- allow entries


@pytest.mark.parametrize(
    ("entry", "covered"),
    [
        (PostureAllow("reachability", "dev", "pods of Deployment/apps/web *", "r"), True),
        (PostureAllow("*", "*", "*443", "r"), True),
        (PostureAllow("rbac", "dev", "*", "r"), False),
        (PostureAllow("reachability", "prod", "*", "r"), False),
        (PostureAllow("reachability", "dev", "pods of Deployment/apps/db *", "r"), False),
    ],
)
def test_an_allow_entry_covers_by_facet_env_and_words(entry: PostureAllow, covered: bool) -> None:
    change = posture.Change(
        "dev", "reachability", "pods of Deployment/apps/web can now reach x on TCP 443", True
    )
    assert (posture.allowed_by(change, [entry]) is entry) is covered


# --------------------------------------------------------------------------- review findings


def test_a_new_pod_with_another_pods_labels_borrows_its_grant_and_that_is_a_widening() -> None:
    copy = deployment("web-copy", labels={"app": "web"})
    texts = [c.text for c in _widened(_diff(_platform(), _platform(copy)), "reachability")]
    assert (
        "pods of Deployment/apps/web-copy can now reach pods of Deployment/apps/db on TCP 5432"
        in texts
    )


def test_a_binding_to_a_role_the_repository_does_not_hold_is_a_widening_at_the_subject() -> None:
    admin = binding("admins", "ClusterRole", "admin", [service_account("default")])
    (change,) = _widened(_diff([], [namespace("apps"), admin]), "rbac")
    assert change.text == (
        "ServiceAccount apps/default is now bound to ClusterRole admin (rules not in the "
        "repository) in namespace apps"
    )
    assert _where(change) == ("RoleBinding/admins", ("subjects", 0))


def test_a_cluster_role_that_aggregates_into_a_built_in_role_is_a_widening() -> None:
    extra = role("extra", [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}], None)
    extra["metadata"]["labels"] = {"rbac.authorization.k8s.io/aggregate-to-edit": "true"}
    (change,) = _widened(_diff([], [extra]), "rbac")
    assert change.text == (
        "every holder of ClusterRole edit is now given the rules of ClusterRole extra "
        "(aggregation) cluster-wide"
    )


def test_a_subresource_wildcard_covers_the_subresource() -> None:
    assert (
        _widened(_diff(_rbac("get", resource="pods/*"), _rbac("get", resource="pods/exec")), "rbac")
        == []
    )


def test_an_older_enforce_version_is_a_widening() -> None:
    labels = {"pod-security.kubernetes.io/enforce": "restricted"}
    old = {**labels, "pod-security.kubernetes.io/enforce-version": "v1.32"}
    new = {**labels, "pod-security.kubernetes.io/enforce-version": "v1.0"}
    (change,) = _widened(_diff([namespace("apps", old)], [namespace("apps", new)]), "pod-security")
    assert change.text == (
        "namespace apps now enforces the Pod Security rules of v1.0 (was v1.32): an older "
        "version checks less"
    )


def test_the_same_weakness_in_a_new_deployment_is_a_widening() -> None:
    privileged = [container(securityContext={"privileged": True})]
    base = [deployment("agent", containers=privileged)]
    head = [*base, deployment("other", containers=privileged)]
    texts = [c.text for c in _widened(_diff(base, head), "pod-security")]
    assert any(t.startswith("now: Deployment/apps/other: ") and "privileged" in t for t in texts)


def test_dropping_the_namespaced_kind_allow_list_allows_every_kind() -> None:
    base = app_project(namespaceResourceWhitelist=[{"group": "ray.io", "kind": "RayCluster"}])
    (change,) = _widened(_diff([base], [app_project()]), "project")
    assert (
        change.text
        == "AppProject argocd/platform now allows namespaceResourceWhitelist group=*, kind=*"
    )


def test_dropping_an_excluded_repository_is_a_widening() -> None:
    base = app_project(sourceRepos=["*", "!https://github.com/evil/*"])
    (change,) = _widened(_diff([base], [app_project(sourceRepos=["*"])]), "project")
    assert (
        change.text
        == "AppProject argocd/platform no longer denies sourceRepos !https://github.com/evil/*"
    )


def test_a_group_added_to_a_project_role_is_a_widening() -> None:
    role_ = {
        "name": "ci",
        "policies": ["p, proj:platform:ci, applications, sync, platform/*, allow"],
    }
    grouped = {**role_, "groups": ["system:authenticated"]}
    (change,) = _widened(
        _diff([app_project(roles=[role_])], [app_project(roles=[grouped])]), "project"
    )
    assert change.text == "AppProject argocd/platform now allows role ci group system:authenticated"


def test_an_object_without_a_namespace_is_placed_in_its_units_namespace() -> None:
    policy = netpol("allow-all", ingress=[{}], egress=[{}])
    del policy["metadata"]["namespace"]
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {"scope": "Cluster", "names": {"kind": "Widget"}},
    }
    widget = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}
    admin = role("admin", [], None)
    objects = index(policy, crd, widget, admin).objects
    kinds = posture.cluster_scoped_kinds(objects)
    placed = posture.placed(objects, "kuberay", kinds)
    assert [(o.ref.kind, o.ref.namespace) for o in placed] == [
        ("NetworkPolicy", "kuberay"),
        ("CustomResourceDefinition", None),
        ("Widget", None),
        ("ClusterRole", None),
    ]
    assert placed[0].body["metadata"]["namespace"] == "kuberay"
    assert (placed[0].target, placed[0].position) == (objects[0].target, objects[0].position)


def test_an_allow_all_policy_placed_in_the_namespace_widens_it() -> None:
    policy = netpol("allow-all", ingress=[{}], egress=[{}])
    del policy["metadata"]["namespace"]
    head_objects = index(*_platform(), policy).objects
    head = index(*(o.body for o in posture.placed(head_objects, "apps", frozenset({"Namespace"}))))
    changes = posture.diff({"dev": index(*_platform())}, {"dev": head})
    assert any(c.widened and c.obj is not None and c.obj.ref.name == "allow-all" for c in changes)
