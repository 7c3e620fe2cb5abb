from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kuberay_gitops.findings import Profile, Severity
from tests.builders import (
    Body,
    deployment,
    grades,
    head_group,
    issues,
    netpol,
    ray_container,
    raycluster,
    raycronjob,
    rayjob,
    rayservice,
    submitter,
    to_yaml,
)
from tests.conftest import CheckRun

CHECK = "ray-cluster-isolation"
TOKEN = {"mode": "token"}
RAYCLUSTER = raycluster(workers=[], authOptions=TOKEN)


def _policy(**pin: str) -> Body:
    """Ingress to the GCS of cluster rc from Ray pods (of cluster `pin` only, if given)."""
    peers = {"matchLabels": {"ray.io/is-ray-node": "yes", **pin}}
    return netpol(
        "intra",
        selector={"matchLabels": {"ray.io/cluster": "rc"}},
        types=["Ingress"],
        ingress=[{"from": [{"podSelector": peers}], "ports": [{"protocol": "TCP", "port": 6379}]}],
    )


def test_policy_pinned_to_one_cluster_and_generated_token_pass() -> None:
    assert issues(CHECK, RAYCLUSTER, _policy(**{"ray.io/cluster": "rc"})) == []


def test_peer_of_any_ray_cluster_is_reported(run_check: Callable[..., CheckRun]) -> None:
    files = {"t/raycluster.yaml": to_yaml(RAYCLUSTER), "t/networkpolicy.yaml": to_yaml(_policy())}
    assert run_check(CHECK, files).rows() == [
        (
            f"{CHECK}[netpol]",
            "intra",
            ".spec.ingress[0].from[0].podSelector",
            "t/networkpolicy.yaml",
            14,
        )
    ]


def test_token_secret_not_named_after_its_cluster_is_reported() -> None:
    shared = raycluster(workers=[], authOptions={**TOKEN, "secretName": "ray-auth-token"})
    assert issues(CHECK, shared) == [
        (
            f"{CHECK}[token]",
            "RayCluster/rc",
            ".spec.authOptions.secretName",
            "RayCluster apps/rc: auth token Secret ray-auth-token is not named after rc, so "
            "other clusters can use it too; a token that opens one Ray cluster must open no other",
        )
    ]


def test_submitter_token_from_another_secret_is_reported() -> None:
    token = {"secretKeyRef": {"name": "ray-auth-token", "key": "auth_token"}}
    client = ray_container("submitter", env=[{"name": "RAY_AUTH_TOKEN", "valueFrom": token}])
    job = rayjob(cluster={"authOptions": TOKEN}, submitterPodTemplate=submitter(client))
    assert issues(CHECK, job) == [
        (
            f"{CHECK}[token]",
            "RayJob/job",
            ".spec.submitterPodTemplate.spec.containers[0].env[0]",
            "RayJob job: the submitter reads RAY_AUTH_TOKEN from Secret ray-auth-token, not from "
            "its own cluster's token (KubeRay injects that one only when the variable is not set)",
        )
    ]


RAY_NODE = {"ray.io/is-ray-node": "yes"}
PIN_RC = {"matchLabels": {"ray.io/cluster": "rc"}}
INSTANCE = {"app.kubernetes.io/instance": "rc"}
OTHER_TOKEN = "a token that opens one Ray cluster must open no other"


def _rule(peers: list[Body], selector: Body = PIN_RC, key: str = "ingress") -> Body:
    """NetworkPolicy intra: one `key` rule whose peers are `peers`."""
    peer_key = "from" if key == "ingress" else "to"
    return netpol(
        "intra", selector=selector, types=[key.capitalize()], **{key: [{peer_key: peers}]}
    )


def _netpol_row(field: str, message: str) -> tuple[str, str, str, str]:
    return (
        f"{CHECK}[netpol]",
        "NetworkPolicy/intra",
        field,
        f"NetworkPolicy intra lets Ray pods of other clusters through ({message})",
    )


UNPINNED_PEER = "podSelector ray.io/cluster=rc, peer no identity label"
ANY_RAY_PEER: Body = {"podSelector": {"matchLabels": RAY_NODE}}


def test_a_policy_of_another_namespace_or_of_no_ray_pod_is_not_judged() -> None:
    elsewhere = netpol("intra", "other", selector=PIN_RC, ingress=[{"from": [ANY_RAY_PEER]}])
    web = _rule([{"podSelector": {}}], selector={"matchLabels": {"app": "web"}})
    assert issues(CHECK, RAYCLUSTER, elsewhere) == []
    assert issues(CHECK, RAYCLUSTER, deployment("web"), web) == []


def test_peers_of_another_namespace_are_skipped_the_own_namespace_judged() -> None:
    away = {"namespaceSelector": {"matchLabels": {"team": "x"}}, **ANY_RAY_PEER}
    here = {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "apps"}},
        **ANY_RAY_PEER,
    }
    assert issues(CHECK, RAYCLUSTER, _rule([away, here])) == [
        _netpol_row(
            ".spec.ingress[0].from[1].podSelector",
            f"ingress peer 1 of rule 0 pins no cluster the podSelector pins: {UNPINNED_PEER}",
        )
    ]


def test_a_namespace_peer_without_pod_selector_is_reported_at_the_peer() -> None:
    assert issues(CHECK, RAYCLUSTER, _rule([{"namespaceSelector": {}}])) == [
        _netpol_row(
            ".spec.ingress[0].from[0]",
            f"ingress peer 0 of rule 0 pins no cluster the podSelector pins: {UNPINNED_PEER}",
        )
    ]


def test_egress_ip_blocks_and_non_ray_peers_skipped_another_cluster_reported() -> None:
    peers = [
        {"ipBlock": {"cidr": "10.0.0.0/8"}},
        {"podSelector": {"matchLabels": {"app": "web"}}},
        {"podSelector": {"matchLabels": {"ray.io/cluster": "other"}}},
    ]
    assert issues(CHECK, RAYCLUSTER, _rule(peers, key="egress")) == [
        _netpol_row(
            ".spec.egress[0].to[2].podSelector",
            "egress peer 2 of rule 0 pins no cluster the podSelector pins: "
            "podSelector ray.io/cluster=rc, peer ray.io/cluster=other",
        )
    ]


def test_in_with_one_value_pins_in_with_two_or_not_in_does_not() -> None:
    def expr(op: str, *values: str) -> Body:
        return {
            "podSelector": {
                "matchExpressions": [{"key": "ray.io/cluster", "operator": op, "values": [*values]}]
            }
        }

    assert issues(CHECK, RAYCLUSTER, _rule([expr("In", "rc")])) == []
    assert issues(CHECK, RAYCLUSTER, _rule([expr("In", "rc", "x"), expr("NotIn", "rc")])) == [
        _netpol_row(
            f".spec.ingress[0].from[{j}].podSelector",
            f"ingress peer {j} of rule 0 pins no cluster the podSelector pins: {UNPINNED_PEER}",
        )
        for j in (0, 1)
    ]


def test_the_instance_label_pins_unless_the_option_leaves_it_out() -> None:
    cluster = raycluster(head=head_group(labels=INSTANCE), workers=[], authOptions=TOKEN)
    policy = _rule([{"podSelector": {"matchLabels": INSTANCE}}], selector={"matchLabels": INSTANCE})
    assert issues(CHECK, cluster, policy) == []
    assert issues(CHECK, cluster, policy, options={"identity_labels": ["ray.io/cluster"]}) == [
        _netpol_row(
            ".spec.ingress[0].from[0].podSelector",
            "ingress peer 0 of rule 0 pins no cluster the podSelector pins: "
            "podSelector no identity label, peer no identity label",
        )
    ]


def test_match_expressions_of_the_policy_select_ray_pods_by_their_operator() -> None:
    selecting = {
        "matchExpressions": [
            {"key": "ray.io/node-type", "operator": "In", "values": ["head"]},
            {"key": "ray.io/is-ray-node", "operator": "Exists"},
            {"key": "nope", "operator": "DoesNotExist"},
            {"key": "ray.io/node-type", "operator": "NotIn", "values": ["worker"]},
        ]
    }
    assert issues(CHECK, RAYCLUSTER, _rule([ANY_RAY_PEER], selector=selecting)) == [
        _netpol_row(
            ".spec.ingress[0].from[0].podSelector",
            "ingress peer 0 of rule 0 pins no cluster the podSelector pins: "
            "podSelector no identity label, peer no identity label",
        )
    ]
    missing = [
        {"key": "ray.io/node-type", "operator": "In", "values": ["worker"]},
        {"key": "ray.io/node-type", "operator": "NotIn", "values": ["head"]},
        {"key": "nope", "operator": "Exists"},
        {"key": "ray.io/node-type", "operator": "DoesNotExist"},
    ]
    for expr in missing:
        policy = _rule([ANY_RAY_PEER], selector={"matchExpressions": [expr]})
        assert issues(CHECK, RAYCLUSTER, policy) == [], expr


def test_submitter_pods_count_as_ray_pods_on_either_side() -> None:
    job = rayjob(submitterPodTemplate=submitter(labels={"role": "submit"}))
    submitters = {"matchLabels": {"role": "submit"}}
    heads = {"matchLabels": {"ray.io/node-type": "head"}}
    unpinned = (
        "ingress peer 0 of rule 0 pins no cluster the podSelector pins: "
        "podSelector no identity label, peer no identity label"
    )
    row = _netpol_row(".spec.ingress[0].from[0].podSelector", unpinned)
    assert issues(CHECK, job, _rule([ANY_RAY_PEER], selector=submitters)) == [row]
    assert issues(CHECK, job, _rule([{"podSelector": submitters}], selector=heads)) == [row]


def _token_cluster(name: str, namespace: str = "apps", **auth: Any) -> Body:
    return raycluster(name, namespace, workers=[], authOptions={**TOKEN, **auth})


def _token_row(obj: str, field: str, label: str, why: str) -> tuple[str, str, str, str]:
    return (f"{CHECK}[token]", obj, field, f"{label}: auth token Secret {why}; {OTHER_TOKEN}")


def test_a_token_secret_shared_in_one_namespace_is_reported_on_each_user() -> None:
    bodies = [
        _token_cluster("a", secretName="a-token"),
        _token_cluster("b", secretName="a-token"),
        _token_cluster("c", "other", secretName="a-token"),
        _token_cluster("d", secretName="d"),
    ]
    shared = "a-token is shared with another Ray cluster of this target"
    field = ".spec.authOptions.secretName"
    assert issues(CHECK, *bodies) == [
        _token_row("RayCluster/a", field, "RayCluster apps/a", shared),
        _token_row("RayCluster/b", field, "RayCluster apps/b", shared),
        _token_row(
            "RayCluster/c",
            field,
            "RayCluster other/c",
            "a-token is not named after c, so other clusters can use it too",
        ),
    ]


def test_no_token_auth_kubernetes_token_auth_or_an_empty_name_is_not_judged() -> None:
    bodies = [
        raycluster("e", workers=[], authOptions={"secretName": "x"}),
        _token_cluster("f", secretName="x", enableK8sTokenAuth=True),
        _token_cluster("g", secretName=""),
        _token_cluster("h", secretName="x"),
    ]
    assert issues(CHECK, *bodies) == [
        _token_row(
            "RayCluster/h",
            ".spec.authOptions.secretName",
            "RayCluster apps/h",
            "x is not named after h, so other clusters can use it too",
        )
    ]


def test_rayjob_and_rayservice_clusters_are_reported_at_their_cluster_spec() -> None:
    auth = {"authOptions": {**TOKEN, "secretName": "shared"}}
    shared = "shared is shared with another Ray cluster of this target"
    assert issues(CHECK, rayjob(cluster=auth), rayservice(cluster=auth)) == [
        _token_row(
            "RayJob/job", ".spec.rayClusterSpec.authOptions.secretName", "RayJob apps/job", shared
        ),
        _token_row(
            "RayService/rs",
            ".spec.rayClusterConfig.authOptions.secretName",
            "RayService apps/rs",
            shared,
        ),
    ]


def test_only_a_submitter_token_from_a_foreign_secret_is_reported() -> None:
    def token(name: str) -> Body:
        return {"secretKeyRef": {"name": name, "key": "auth_token"}}

    ignored = ray_container(
        "a",
        env=[
            {"name": "OTHER", "valueFrom": token("x")},
            {"name": "RAY_AUTH_TOKEN", "value": "literal"},
            {"name": "RAY_AUTH_TOKEN", "valueFrom": {"configMapKeyRef": {"name": "x"}}},
        ],
    )
    mixed = ray_container(
        "b",
        env=[
            {"name": "RAY_AUTH_TOKEN", "valueFrom": token("job-token")},
            {"name": "RAY_AUTH_TOKEN", "valueFrom": token("stolen")},
        ],
    )
    job = rayjob(
        cluster={"authOptions": {**TOKEN, "secretName": "job-token"}},
        submitterPodTemplate=submitter(ignored, mixed),
    )
    assert issues(CHECK, job) == [
        (
            f"{CHECK}[token]",
            "RayJob/job",
            ".spec.submitterPodTemplate.spec.containers[1].env[1]",
            "RayJob job: the submitter reads RAY_AUTH_TOKEN from Secret stolen, not from its "
            "own cluster's token (KubeRay injects that one only when the variable is not set)",
        )
    ]


def test_findings_are_errors_of_the_platform_profile() -> None:
    bodies = [_token_cluster("h", secretName="x"), RAYCLUSTER, _rule([ANY_RAY_PEER])]
    assert grades(CHECK, *bodies) == [
        (f"{CHECK}[netpol]", Severity.ERROR, Profile.PLATFORM),
        (f"{CHECK}[token]", Severity.ERROR, Profile.PLATFORM),
    ]


def test_every_peer_after_a_pinned_one_or_a_peerless_rule_is_judged() -> None:
    both = {"ray.io/cluster": "rc", **INSTANCE}
    cluster = raycluster(head=head_group(labels=INSTANCE), workers=[], authOptions=TOKEN)
    policy = netpol(
        "intra",
        selector={"matchLabels": both},
        ingress=[
            {"ports": [{"port": 6379}]},
            {"from": [{"podSelector": {"matchLabels": {"ray.io/cluster": "rc"}}}, ANY_RAY_PEER]},
        ],
    )
    assert issues(CHECK, cluster, policy) == [
        _netpol_row(
            ".spec.ingress[1].from[1].podSelector",
            "ingress peer 1 of rule 1 pins no cluster the podSelector pins: podSelector "
            "app.kubernetes.io/instance=rc, ray.io/cluster=rc, peer no identity label",
        )
    ]


def test_identity_expressions_are_ignored_but_later_ones_still_apply() -> None:
    selector = {
        "matchExpressions": [
            {"key": "ray.io/cluster", "operator": "In", "values": ["rc"]},
            {"key": "ray.io/node-type", "operator": "In", "values": ["worker"]},
        ]
    }
    assert issues(CHECK, RAYCLUSTER, _rule([ANY_RAY_PEER], selector=selector)) == []


def test_a_foreign_token_after_another_variable_is_reported() -> None:
    token = {"secretKeyRef": {"name": "stolen", "key": "auth_token"}}
    client = ray_container(
        "submitter",
        env=[{"name": "OTHER", "value": "x"}, {"name": "RAY_AUTH_TOKEN", "valueFrom": token}],
    )
    job = rayjob(cluster={"authOptions": TOKEN}, submitterPodTemplate=submitter(client))
    assert [row[2] for row in issues(CHECK, job)] == [
        ".spec.submitterPodTemplate.spec.containers[0].env[1]"
    ]


def test_a_raycronjob_submitter_counts_as_a_ray_pod() -> None:
    cron = raycronjob(job={"submitterPodTemplate": submitter(labels={"role": "submit"})})
    policy = _rule([ANY_RAY_PEER], selector={"matchLabels": {"role": "submit"}})
    assert issues(CHECK, cron, policy) == [
        _netpol_row(
            ".spec.ingress[0].from[0].podSelector",
            "ingress peer 0 of rule 0 pins no cluster the podSelector pins: "
            "podSelector no identity label, peer no identity label",
        )
    ]
