from __future__ import annotations

from collections.abc import Callable

from tests.conftest import CheckRun

RAYCLUSTER = """\
apiVersion: ray.io/v1
kind: RayCluster
metadata:
  name: rc
  namespace: kuberay
spec:
  headGroupSpec:
    rayStartParams: {{}}
    template:
      spec:
        containers:
          - name: ray-head
            image: rayproject/ray:2.46.0
  workerGroupSpecs:
    - groupName: cpu
      minReplicas: 0
      maxReplicas: 2
      rayStartParams: {{}}
      template:
        spec:
          containers:
            - name: ray-worker
              image: rayproject/ray:2.46.0
          volumes:
            - name: spill
{volume}
"""


def test_empty_dir_volume_passes(run_check: Callable[..., CheckRun]) -> None:
    files = {"t/raycluster.yaml": RAYCLUSTER.format(volume="              emptyDir: {}")}
    assert run_check("pod-host-path", files).rows() == []


def test_host_path_volume_on_a_worker_group_is_an_error(
    run_check: Callable[..., CheckRun],
) -> None:
    volume = "              hostPath:\n                path: /mnt/spill"
    result = run_check("pod-host-path", {"t/raycluster.yaml": RAYCLUSTER.format(volume=volume)})
    assert result.rows() == [
        (
            "pod-host-path",
            "rc",
            ".spec.workerGroupSpecs[0].template.spec.volumes[0].hostPath",
            "t/raycluster.yaml",
            26,
        )
    ]
    assert result.findings[0].message == (
        'the worker group cpu mounts hostPath "/mnt/spill" as volume "spill"'
    )
