from __future__ import annotations

from collections.abc import Callable

from tests.builders import (
    Body,
    issues,
    netpol,
    ray_container,
    raycluster,
    rayjob,
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
