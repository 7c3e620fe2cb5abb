from __future__ import annotations

from collections.abc import Callable

from tests.builders import deployment, head_group, issues, raycluster, to_yaml, worker_group
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
