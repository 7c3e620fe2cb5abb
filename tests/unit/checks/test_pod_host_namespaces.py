from __future__ import annotations

from collections.abc import Callable

from tests.builders import Body, container, daemonset, head_group, issues, rayjob, to_yaml
from tests.conftest import CheckRun

CHECK = "pod-host-namespaces"


def _job(host_network: bool) -> Body:
    return rayjob(head=head_group(hostNetwork=host_network))


def test_host_network_false_passes() -> None:
    assert issues(CHECK, _job(False)) == []


def test_host_network_on_a_rayjob_head_is_an_error(run_check: Callable[..., CheckRun]) -> None:
    result = run_check(CHECK, {"t/rayjob.yaml": to_yaml(_job(True))})
    assert result.rows() == [
        (
            CHECK,
            "job",
            ".spec.rayClusterSpec.headGroupSpec.template.spec.hostNetwork",
            "t/rayjob.yaml",
            16,
        )
    ]
    assert result.findings[0].message == "the head group headgroup sets hostNetwork: true"


def test_host_pid_and_ipc_are_reported_separately() -> None:
    agent = daemonset("agent", containers=[container("agent")], hostPID=True, hostIPC=True)
    assert issues(CHECK, agent) == [
        (
            CHECK,
            "DaemonSet/agent",
            ".spec.template.spec.hostPID",
            "the pod template sets hostPID: true",
        ),
        (
            CHECK,
            "DaemonSet/agent",
            ".spec.template.spec.hostIPC",
            "the pod template sets hostIPC: true",
        ),
    ]
