"""A Ray object queued by Kueue is one that Kueue's admission webhooks accept.

Why: Kueue validates every object carrying `kueue.x-k8s.io/queue-name` when it is created
and updated, and refuses it outright: Argo CD's sync of the whole unit fails and the Ray
cluster never exists. From Kueue's source (`pkg/controller/jobs/raycluster/raycluster_webhook.go`
`validateCreate`, `pkg/controller/jobs/raycluster/common.go` `ValidateCreate`,
`pkg/controller/jobs/rayjob/rayjob_webhook.go` `validateCreate`):
`[autoscaling]` a queued RayCluster or RayJob cluster with `enableInTreeAutoscaling: true`
that is not an elastic job (annotation `kueue.x-k8s.io/elastic-job: "true"`, which also
needs Kueue's ElasticJobsViaWorkloadSlices feature gate and scheduling gates on every
template, so this repository keeps Kueue for RayJobs);
`[shutdown]` a queued RayJob without `shutdownAfterJobFinishes: true` (its cluster would hold
the queue's quota after the job);
`[cluster-selector]` a queued RayJob with both `clusterSelector` and `rayClusterSpec`;
`[unsupported]` a queued RayService: Kueue has no RayService integration, the label does
nothing.
PASS / FAIL examples: tests/unit/checks/test_ray_kueue_autoscaling.py
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from kuberay_gitops.checks._api import CheckContext, CheckSpec, Issue
from kuberay_gitops.findings import Profile, Severity

QUEUE_LABEL = "kueue.x-k8s.io/queue-name"
ELASTIC = "kueue.x-k8s.io/elastic-job"

CHECK = CheckSpec(
    id="ray-kueue-autoscaling",
    severity=Severity.ERROR,
    summary="RayClusters and RayJobs queued by Kueue pass Kueue's webhooks (no in-tree "
    "autoscaling unless elastic, RayJob clusters shut down after the job)",
    hint="queue RayJobs only (fixed-size cluster, shutdownAfterJobFinishes: true); drop the "
    "kueue.x-k8s.io/queue-name label from autoscaled RayClusters, or make them elastic jobs",
    profile=Profile.CORRECTNESS,
)


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def run(ctx: CheckContext) -> Iterator[Issue]:
    """Every RayCluster, RayJob and RayService labelled with a Kueue queue."""
    for obj in ctx.index.of_kind("RayCluster", "RayJob", "RayService"):
        queue = obj.labels.get(QUEUE_LABEL)
        if not queue:
            continue
        kind = obj.ref.kind
        what = f"{kind} {obj.ref.name} (queue {queue})"
        if kind == "RayService":
            yield Issue(
                obj,
                ("metadata", "labels", QUEUE_LABEL),
                f"{what}: Kueue has no RayService integration; the label queues nothing",
                variant="unsupported",
            )
            continue
        path: tuple[str, ...] = ("spec",) if kind == "RayCluster" else ("spec", "rayClusterSpec")
        cluster = (
            _mapping(obj.spec) if kind == "RayCluster" else _mapping(obj.spec.get("rayClusterSpec"))
        )
        annotations = _mapping(_mapping(obj.body.get("metadata")).get("annotations"))
        elastic = str(annotations.get(ELASTIC, "")) == "true"
        if kind == "RayJob":
            if obj.spec.get("clusterSelector") and cluster:
                yield Issue(
                    obj,
                    ("spec", "clusterSelector"),
                    f"{what}: Kueue refuses a queued RayJob with both clusterSelector and "
                    "rayClusterSpec",
                    variant="cluster-selector",
                )
            if cluster and obj.spec.get("shutdownAfterJobFinishes") is not True:
                yield Issue(
                    obj,
                    ("spec", "shutdownAfterJobFinishes")
                    if "shutdownAfterJobFinishes" in obj.spec
                    else ("spec",),
                    f"{what}: Kueue refuses a queued RayJob whose cluster outlives the job "
                    "(shutdownAfterJobFinishes must be true)",
                    variant="shutdown",
                )
        if cluster.get("enableInTreeAutoscaling") is True and not elastic:
            yield Issue(
                obj,
                (*path, "enableInTreeAutoscaling"),
                f"{what}: Kueue refuses a queued Ray cluster with in-tree autoscaling unless it "
                f'is an elastic job ({ELASTIC}: "true" and the ElasticJobsViaWorkloadSlices gate)',
                variant="autoscaling",
            )
