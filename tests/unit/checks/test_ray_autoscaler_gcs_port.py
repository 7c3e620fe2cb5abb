from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.builders import (
    Body,
    head_group,
    issues,
    raycluster,
    raycronjob,
    rayjob,
    rayservice,
    to_yaml,
)
from tests.conftest import CheckRun

CHECK = "ray-autoscaler-gcs-port"
AUTOSCALING = {"enableInTreeAutoscaling": True}
GCS_6380 = head_group(params={"port": "6380"})
MESSAGE = (
    'head rayStartParams port is "6380" with enableInTreeAutoscaling: true; the autoscaler '
    "sidecar waits for GCS on 6379 only, so the cluster never autoscales"
)


def _cluster(autoscaling: bool, port: Any = None) -> Body:
    """A head-only RayCluster; `port` None: rayStartParams sets no GCS port."""
    params: dict[str, Any] = {"num-cpus": "0"}
    if port is not None:
        params["port"] = port
    return raycluster(
        head=head_group(params=params), workers=[], enableInTreeAutoscaling=autoscaling
    )


def test_non_default_gcs_port_with_autoscaling_is_an_error(
    run_check: Callable[..., CheckRun],
) -> None:
    result = run_check(CHECK, {"t/raycluster.yaml": to_yaml(_cluster(True, "6380"))})
    assert result.rows() == [
        (CHECK, "rc", ".spec.headGroupSpec.rayStartParams.port", "t/raycluster.yaml", 10)
    ]
    assert str(result.findings[0].obj) == "RayCluster/apps/rc"
    assert result.findings[0].message == MESSAGE


def test_unquoted_non_default_gcs_port_is_an_error_too() -> None:
    assert issues(CHECK, _cluster(True, 6380)) == [
        (CHECK, "RayCluster/rc", ".spec.headGroupSpec.rayStartParams.port", MESSAGE)
    ]


@pytest.mark.parametrize("port", ["6379", 6379], ids=["string", "int"])
def test_gcs_port_6379_with_autoscaling_passes(port: Any) -> None:
    assert issues(CHECK, _cluster(True, port)) == []


def test_unset_gcs_port_with_autoscaling_passes() -> None:
    assert issues(CHECK, _cluster(True)) == []


def test_non_default_gcs_port_without_autoscaling_passes() -> None:
    assert issues(CHECK, _cluster(False, "6380")) == []


def test_rayservice_is_reported_under_rayclusterconfig() -> None:
    service = rayservice("svc", head=GCS_6380, cluster=AUTOSCALING)
    assert issues(CHECK, service) == [
        (
            CHECK,
            "RayService/svc",
            ".spec.rayClusterConfig.headGroupSpec.rayStartParams.port",
            MESSAGE,
        )
    ]


def test_rayjob_is_reported_under_rayclusterspec() -> None:
    assert issues(CHECK, rayjob(head=GCS_6380, cluster=AUTOSCALING)) == [
        (CHECK, "RayJob/job", ".spec.rayClusterSpec.headGroupSpec.rayStartParams.port", MESSAGE)
    ]


def test_raycronjob_is_reported_under_its_job_template(
    run_check: Callable[..., CheckRun],
) -> None:
    cron = raycronjob(head=GCS_6380, cluster=AUTOSCALING)
    assert run_check(CHECK, {"t/raycronjob.yaml": to_yaml(cron)}).rows() == [
        (
            CHECK,
            "cron",
            ".spec.jobTemplate.rayClusterSpec.headGroupSpec.rayStartParams.port",
            "t/raycronjob.yaml",
            13,
        )
    ]
