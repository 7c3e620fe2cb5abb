"""An autoscaling Ray cluster keeps its GCS on port 6379.

Risk: the cluster never autoscales. With `enableInTreeAutoscaling: true` KubeRay v1.7.0
adds an `autoscaler` sidecar to the head pod (`BuildAutoscalerContainer`,
`controllers/ray/common/pod.go`) started as `ray kuberay-autoscaler --cluster-name …
--cluster-namespace …`, with the cluster name, namespace and head pod name in its env and
no GCS address or port (KubeRay sets RAY_ADDRESS on the Ray container only). Ray's
`autoscaler/_private/kuberay/run_autoscaler.py` then waits on
`ray health-check --address <head-ip>:6379`, hard-coded, before it starts, so with
`rayStartParams.port` set to anything else it waits forever and no worker is ever added
or removed (ray-project/ray#41072, ray-project/kuberay#1644). Ports are per pod network
namespace, so GCS on 6379 in a Ray pod collides with no Redis elsewhere in the cluster.
Reads RayCluster, RayService (`spec.rayClusterConfig`), RayJob (`spec.rayClusterSpec`)
and RayCronJob (`spec.jobTemplate.rayClusterSpec`); an unset `port` is KubeRay's 6379.
PASS / FAIL examples: tests/unit/checks/test_ray_autoscaler_gcs_port.py
"""

from __future__ import annotations

from collections.abc import Iterator

from kuberay_gitops import kuberay
from kuberay_gitops.checks._api import CheckContext, CheckSpec, Issue, as_int
from kuberay_gitops.checks._pod import mapping, ray_clusters
from kuberay_gitops.findings import Profile, Severity

GCS_PORT = kuberay.DEFAULT_GCS_PORT

CHECK = CheckSpec(
    id="ray-autoscaler-gcs-port",
    severity=Severity.ERROR,
    summary="with enableInTreeAutoscaling: true, head rayStartParams.port is unset or "
    '"6379" (the autoscaler sidecar only looks for GCS there)',
    hint='set head rayStartParams port: "6379" (or drop the key), and move the head\'s '
    "gcs-server containerPort and the NetworkPolicy rules with it",
    profile=Profile.CORRECTNESS,
)


def run(ctx: CheckContext) -> Iterator[Issue]:
    """Each autoscaling Ray cluster spec whose head sets a GCS port other than 6379."""
    for cluster in ray_clusters(ctx.index):
        if not cluster.autoscaling:
            continue
        params = mapping(mapping(cluster.spec.get("headGroupSpec")).get("rayStartParams"))
        port = params.get("port")
        if port is None or as_int(port) == GCS_PORT:
            continue
        yield Issue(
            cluster.owner,
            (*cluster.path, "headGroupSpec", "rayStartParams", "port"),
            f'head rayStartParams port is "{port}" with enableInTreeAutoscaling: true; the '
            f"autoscaler sidecar waits for GCS on {GCS_PORT} only, so the cluster never "
            "autoscales",
        )
