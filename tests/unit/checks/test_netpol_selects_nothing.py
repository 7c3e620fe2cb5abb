from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.builders import container, issues, netpol, raycluster, rayjob, submitter, to_yaml
from tests.conftest import CheckRun

CHECK = "netpol-selects-nothing"
HEAD = {"matchLabels": {"ray.io/node-type": "head"}}
SUBMITTER = {"app.kubernetes.io/component": "ray-job-submitter"}


def _policy(name: str, selector: dict[str, Any], namespace: str = "apps") -> dict[str, Any]:
    return netpol(name, namespace, selector, types=["Ingress"])


def test_selectors_matching_kuberay_labels_and_empty_selectors_pass() -> None:
    workers = {"matchExpressions": [{"key": "ray.io/group", "operator": "In", "values": ["cpu"]}]}
    assert (
        issues(
            CHECK,
            raycluster(),
            _policy("head", HEAD),
            _policy("workers", workers),
            _policy("deny", {}),
            _policy("deny", {}, namespace="elsewhere"),
        )
        == []
    )


def test_networkpolicy_selecting_no_pods_is_an_error(run_check: Callable[..., CheckRun]) -> None:
    typo = _policy("head", {"matchLabels": {"ray.io/node-type": "haed"}})
    tree = {"t/raycluster.yaml": to_yaml(raycluster()), "t/networkpolicy.yaml": to_yaml(typo)}
    result = run_check(CHECK, tree)
    assert result.rows() == [(CHECK, "head", ".spec.podSelector", "t/networkpolicy.yaml", 7)]
    assert "RayCluster/apps/rc head group headgroup" in result.findings[0].message


def test_policy_in_a_namespace_without_pods_is_reported_as_no_pods() -> None:
    operator = _policy("operator", HEAD, namespace="kuberay-system")
    assert issues(CHECK, raycluster(), operator) == [
        (
            f"{CHECK}[no-pods]",
            "NetworkPolicy/operator",
            ".spec.podSelector",
            'podSelector selects nothing: namespace "kuberay-system" has no pods in this target',
        )
    ]


def test_pods_of_another_target_can_be_declared_with_external_pods() -> None:
    objects = (raycluster(), _policy("submitter", {"matchLabels": SUBMITTER}))
    assert issues(CHECK, *objects) == [
        (
            CHECK,
            "NetworkPolicy/submitter",
            ".spec.podSelector",
            'podSelector matches none of the 2 pod template(s) of namespace "apps": '
            "RayCluster/apps/rc head group headgroup, RayCluster/apps/rc worker group cpu",
        )
    ]
    assert issues(CHECK, *objects, options={"external_pods": [SUBMITTER]}) == []


def test_rayjob_submitter_pod_template_counts_as_a_pod() -> None:
    job = rayjob(submitterPodTemplate=submitter(labels=SUBMITTER))
    assert issues(CHECK, job, _policy("submitter", {"matchLabels": SUBMITTER})) == []


def test_pods_of_a_custom_resource_template_count() -> None:
    pool = {"app": "python-runtime-pool"}
    runtime = container(
        "runtime", image="registry.k8s.io/agent-sandbox/python-runtime-sandbox:v0.4.6"
    )
    sandbox = {
        "apiVersion": "extensions.agents.x-k8s.io/v1beta1",
        "kind": "SandboxTemplate",
        "metadata": {"name": "python-runtime", "namespace": "apps"},
        "spec": {"podTemplate": {"metadata": {"labels": pool}, "spec": {"containers": [runtime]}}},
    }
    assert issues(CHECK, sandbox, _policy("sandbox-egress", {"matchLabels": pool})) == []


POOL = {"app": "python-runtime-pool"}
TYPO = {"matchLabels": {"ray.io/node-type": "haed"}}


def _sandbox(namespace: str = "apps") -> dict[str, Any]:
    """A SandboxTemplate (a kind the tool does not model) whose pods carry POOL."""
    runtime = container("runtime", image="registry.k8s.io/agent-sandbox/runtime:v0.4.6")
    template = {"metadata": {"labels": POOL}, "spec": {"containers": [runtime]}}
    return {
        "apiVersion": "extensions.agents.x-k8s.io/v1beta1",
        "kind": "SandboxTemplate",
        "metadata": {"name": "python-runtime", "namespace": namespace},
        "spec": {"podTemplate": template},
    }


def _matches_none(name: str) -> tuple[str, str, str, str]:
    return (
        CHECK,
        f"NetworkPolicy/{name}",
        ".spec.podSelector",
        'podSelector matches none of the 2 pod template(s) of namespace "apps": '
        "RayCluster/apps/rc head group headgroup, RayCluster/apps/rc worker group cpu",
    )


def test_every_policy_is_judged_after_a_passing_or_reported_one() -> None:
    policies = [
        _policy("deny", {}),
        _policy("head", HEAD),
        _policy("submitter", {"matchLabels": SUBMITTER}),
        _policy("sandbox", {"matchLabels": POOL}),
        _policy("operator", HEAD, namespace="kuberay-system"),
        _policy("typo", TYPO),
    ]
    found = issues(
        CHECK, raycluster(), _sandbox(), *policies, options={"external_pods": [SUBMITTER]}
    )
    assert found == [
        (
            f"{CHECK}[no-pods]",
            "NetworkPolicy/operator",
            ".spec.podSelector",
            'podSelector selects nothing: namespace "kuberay-system" has no pods in this target',
        ),
        _matches_none("typo"),
    ]


def test_external_pods_count_only_when_the_selector_matches_them() -> None:
    options = {"external_pods": [SUBMITTER, "not-a-label-map"]}
    assert issues(CHECK, raycluster(), _policy("typo", TYPO), options=options) == [
        _matches_none("typo")
    ]


def test_custom_resource_pods_count_only_in_the_namespace_and_when_matched() -> None:
    sandbox = _policy("sandbox", {"matchLabels": POOL})
    assert issues(CHECK, raycluster(), _sandbox(), _policy("typo", TYPO)) == [_matches_none("typo")]
    assert issues(CHECK, raycluster(), _sandbox("other"), sandbox) == [_matches_none("sandbox")]
