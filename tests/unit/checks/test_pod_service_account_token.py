from __future__ import annotations

from collections.abc import Callable

from tests.builders import (
    Body,
    deployment,
    head_group,
    issues,
    raycluster,
    to_yaml,
    worker_group,
)
from tests.conftest import CheckRun

CHECK = "pod-service-account-token"
RAYCLUSTER = raycluster(
    head=head_group(serviceAccountName="ray-head"),
    workers=[worker_group(min_replicas=0, serviceAccountName="ray-worker")],
    enableInTreeAutoscaling=True,
)


def test_autoscaling_head_is_exempt_and_worker_service_account_opts_out() -> None:
    account = {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": "ray-worker", "namespace": "apps"},
        "automountServiceAccountToken": False,
    }
    assert issues(CHECK, RAYCLUSTER, account) == []


def test_worker_mounting_the_token_is_a_warning(run_check: Callable[..., CheckRun]) -> None:
    result = run_check(CHECK, {"t/raycluster.yaml": to_yaml(RAYCLUSTER)})
    assert result.rows() == [
        (CHECK, "rc", ".spec.workerGroupSpecs[0].template.spec", "t/raycluster.yaml", 21)
    ]
    finding = result.findings[0]
    assert finding.severity.value == "warning"
    assert finding.message == (
        'the worker group cpu mounts the token of ServiceAccount "ray-worker": '
        "automountServiceAccountToken is not false and its ServiceAccount is not rendered here"
    )


def test_explicit_true_is_reported_unless_the_owner_is_allowed() -> None:
    web = deployment("web", automountServiceAccountToken=True)
    assert issues(CHECK, web) == [
        (
            CHECK,
            "Deployment/web",
            ".spec.template.spec.automountServiceAccountToken",
            "the pod template sets automountServiceAccountToken: true",
        )
    ]
    assert issues(CHECK, web, options={"allow": ["Deployment/web"]}) == []


def _account(name: str, namespace: str | None = "apps", automount: bool | None = False) -> Body:
    """A ServiceAccount (namespace None: none written) with automountServiceAccountToken."""
    meta: Body = {"name": name}
    if namespace is not None:
        meta["namespace"] = namespace
    out: Body = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta}
    if automount is not None:
        out["automountServiceAccountToken"] = automount
    return out


def _unnamespaced(body: Body) -> Body:
    """`body` without metadata.namespace: it lands in the namespace `default`."""
    del body["metadata"]["namespace"]
    return body


def _mounts(name: str, account: str, where: str) -> tuple[str, str, str, str]:
    return (
        CHECK,
        f"Deployment/{name}",
        ".spec.template.spec",
        f'the pod template mounts the token of ServiceAccount "{account}": '
        f"automountServiceAccountToken is not false {where}",
    )


RENDERED_NOT_FALSE = "and its ServiceAccount does not either"


def test_every_pod_is_judged_after_one_that_opts_out() -> None:
    quiet = deployment("quiet", automountServiceAccountToken=False)
    loud = deployment("loud", automountServiceAccountToken=True)
    assert issues(CHECK, quiet, loud, deployment("web", serviceAccountName="web")) == [
        (
            CHECK,
            "Deployment/loud",
            ".spec.template.spec.automountServiceAccountToken",
            "the pod template sets automountServiceAccountToken: true",
        ),
        _mounts("web", "web", "and its ServiceAccount is not rendered here"),
    ]


def test_every_pod_is_judged_after_one_whose_account_opts_out() -> None:
    quiet = deployment("quiet", serviceAccountName="quiet")
    loud = deployment("loud", serviceAccountName="loud")
    accounts = [_account("quiet"), _account("loud", automount=None)]
    assert issues(CHECK, quiet, loud, *accounts) == [_mounts("loud", "loud", RENDERED_NOT_FALSE)]


def test_a_pod_without_service_account_name_uses_the_default_account() -> None:
    assert issues(CHECK, deployment("web"), _account("default")) == []
    assert issues(CHECK, deployment("web"), _account("default", automount=True)) == [
        _mounts("web", "default", RENDERED_NOT_FALSE)
    ]


def test_an_account_of_another_namespace_does_not_count() -> None:
    web = deployment("web", serviceAccountName="web")
    assert issues(CHECK, web, _account("web", "other")) == [
        _mounts("web", "web", "and its ServiceAccount is not rendered here")
    ]


def test_in_the_default_namespace_an_account_written_without_namespace_counts() -> None:
    web = _unnamespaced(deployment("web", serviceAccountName="web"))
    assert issues(CHECK, web, _account("web", None)) == []
    assert issues(CHECK, web, _account("web", "default")) == []
    assert issues(CHECK, web, _account("web", None, automount=None)) == [
        _mounts("web", "web", RENDERED_NOT_FALSE)
    ]


def test_outside_the_default_namespace_an_account_without_namespace_does_not_count() -> None:
    web = deployment("web", serviceAccountName="web")
    assert issues(CHECK, web, _account("web", None)) == [
        _mounts("web", "web", "and its ServiceAccount is not rendered here")
    ]
