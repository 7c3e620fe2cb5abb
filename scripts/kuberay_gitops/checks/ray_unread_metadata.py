"""Ray objects carry no `ray.io/` label or annotation that KubeRay v1.7.0 does not read.

Why: a key in KubeRay's own domain that the operator never reads looks like configuration and
does nothing. `ray.io/scheduler-name: volcano` is the classic: older docs showed it as the
per-cluster opt-in to Volcano, but in v1.7.0 `--batch-scheduler` on the operator
gang-schedules every RayCluster and RayJob it manages and nothing reads that label, so a reader
of the repository believes scheduling is chosen per cluster when it is not.
The known keys are every `"ray.io/..."` string in the v1.7.0 operator source
(`ray-operator/controllers`, `pkg`, `apis`; test files excluded): labels, annotations and
finalizers the operator reads or writes. Keys outside `ray.io/` are not judged.
PASS / FAIL examples: tests/unit/checks/test_ray_unread_metadata.py
"""

from __future__ import annotations

from collections.abc import Iterator

from kuberay_gitops.checks._api import CheckContext, CheckSpec, Issue
from kuberay_gitops.findings import Profile, Severity
from kuberay_gitops.index import RAY_KINDS

CHECK = CheckSpec(
    id="ray-unread-metadata",
    severity=Severity.ERROR,
    summary="Ray objects carry no ray.io/ label or annotation KubeRay v1.7.0 does not read",
    hint="remove the key, or use the mechanism KubeRay v1.7.0 has for it (for Volcano: "
    "--batch-scheduler on the operator, volcano.sh/queue-name on the object)",
    profile=Profile.CORRECTNESS,
)
PREFIX = "ray.io/"
# grep -rhoE '"ray\.io/[a-z0-9.-]+"' controllers pkg apis (non-test), KubeRay v1.7.0.
KNOWN: frozenset[str] = frozenset(
    PREFIX + k
    for k in (
        "accelerator-type", "cluster", "cronjob-name", "cronjob-scheduled-timestamp",
        "deletion-blocker", "disable-provisioned-head-restart", "enable-serve-service",
        "external-storage-namespace", "ft-enabled", "gang-scheduling-enabled",
        "gcs-ft-deletion-timeout", "gcs-ft-redis-cleanup-finalizer", "group",
        "hash-without-replicas-and-workers-to-delete", "headless-worker-svc", "identifier",
        "initializing-timeout", "is-ray-node", "job-submission-mode", "kuberay-operator",
        "kuberay-version", "market-type", "node-group", "node-type", "num-worker-groups",
        "originated-from-cr-name", "originated-from-crd", "overwrite-container-cmd",
        "priority-class-name", "rayjob-finalizer", "rayservice-finalizer",
        "replica-host-index", "serve", "upgrade-strategy-recreate-hash",
        "worker-group-replica-index", "worker-group-replica-name",
    )
)  # fmt: skip


def run(ctx: CheckContext) -> Iterator[Issue]:
    """Every ray.io/ key of the labels and annotations of every Ray object."""
    for obj in ctx.index.of_kind(*RAY_KINDS):
        for where, keys in (("labels", obj.labels), ("annotations", obj.annotations)):
            for key in keys:
                if str(key).startswith(PREFIX) and key not in KNOWN:
                    yield Issue(
                        obj,
                        ("metadata", where, str(key)),
                        f"{where[:-1]} {key} is read by nothing in KubeRay v1.7.0",
                    )
