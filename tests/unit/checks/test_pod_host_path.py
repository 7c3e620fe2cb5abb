from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.builders import Body, issues, raycluster, to_yaml, worker_group
from tests.conftest import CheckRun

CHECK = "pod-host-path"


def _cluster(**volume: Any) -> Body:
    """A RayCluster whose worker group mounts the volume `spill`."""
    spill = {"name": "spill", **volume}
    return raycluster(workers=[worker_group(min_replicas=0, volumes=[spill])])


def test_empty_dir_volume_passes() -> None:
    assert issues(CHECK, _cluster(emptyDir={})) == []


def test_host_path_volume_on_a_worker_group_is_an_error(
    run_check: Callable[..., CheckRun],
) -> None:
    cluster = _cluster(hostPath={"path": "/mnt/spill"})
    result = run_check(CHECK, {"t/raycluster.yaml": to_yaml(cluster)})
    assert result.rows() == [
        (
            CHECK,
            "rc",
            ".spec.workerGroupSpecs[0].template.spec.volumes[0].hostPath",
            "t/raycluster.yaml",
            26,
        )
    ]
    assert result.findings[0].message == (
        'the worker group cpu mounts hostPath "/mnt/spill" as volume "spill"'
    )


def test_every_host_path_volume_is_reported_after_other_volumes() -> None:
    volumes = [
        {"name": "scratch", "emptyDir": {}},
        {"name": "logs", "hostPath": {"path": "/var/log", "type": "Directory"}},
        {"hostPath": {}},
    ]
    cluster = raycluster(workers=[worker_group(min_replicas=0, volumes=volumes)])
    at = ".spec.workerGroupSpecs[0].template.spec.volumes"
    assert issues(CHECK, cluster) == [
        (
            CHECK,
            "RayCluster/rc",
            f"{at}[1].hostPath",
            'the worker group cpu mounts hostPath "/var/log" as volume "logs"',
        ),
        (
            CHECK,
            "RayCluster/rc",
            f"{at}[2].hostPath",
            'the worker group cpu mounts hostPath "" as volume "2"',
        ),
    ]
