from __future__ import annotations

from collections.abc import Callable

from kuberay_gitops.findings import Profile, Severity
from tests.builders import Body, grades, issues, raycluster, rayjob, rayservice, to_yaml
from tests.conftest import CheckRun

CHECK = "ray-kueue-autoscaling"
QUEUED = {"kueue.x-k8s.io/queue-name": "q"}
ELASTIC = "kueue.x-k8s.io/elastic-job"


def _job(shutdown: bool) -> Body:
    """A queued RayJob on a fixed-size cluster."""
    return rayjob(
        "rc",
        labels=QUEUED,
        cluster={"enableInTreeAutoscaling": False},
        shutdownAfterJobFinishes=shutdown,
    )


def _autoscaling(labels: dict[str, str] | None = QUEUED, **annotations: str) -> Body:
    return raycluster(
        workers=[], labels=labels, annotations=annotations, enableInTreeAutoscaling=True
    )


def test_queued_rayjob_with_fixed_size_cluster_that_shuts_down_passes() -> None:
    assert issues(CHECK, _job(shutdown=True)) == []


def test_queued_autoscaling_raycluster_is_refused_by_kueue(
    run_check: Callable[..., CheckRun],
) -> None:
    assert run_check(CHECK, {"t/rc.yaml": to_yaml(_autoscaling())}).rows() == [
        (f"{CHECK}[autoscaling]", "rc", ".spec.enableInTreeAutoscaling", "t/rc.yaml", 16)
    ]


def test_elastic_raycluster_may_autoscale() -> None:
    assert issues(CHECK, _autoscaling(**{"kueue.x-k8s.io/elastic-job": "true"})) == []


def test_unqueued_autoscaling_raycluster_passes() -> None:
    assert issues(CHECK, _autoscaling(labels=None)) == []


def test_queued_rayjob_whose_cluster_outlives_the_job_is_refused() -> None:
    assert issues(CHECK, _job(shutdown=False)) == [
        (
            f"{CHECK}[shutdown]",
            "RayJob/rc",
            ".spec.shutdownAfterJobFinishes",
            "RayJob rc (queue q): Kueue refuses a queued RayJob whose cluster outlives the job "
            "(shutdownAfterJobFinishes must be true)",
        )
    ]


BATCH = {"kueue.x-k8s.io/queue-name": "batch"}
SHUTDOWN = (
    "Kueue refuses a queued RayJob whose cluster outlives the job "
    "(shutdownAfterJobFinishes must be true)"
)
AUTOSCALING = (
    "Kueue refuses a queued Ray cluster with in-tree autoscaling unless it is an elastic job "
    '(kueue.x-k8s.io/elastic-job: "true" and the ElasticJobsViaWorkloadSlices gate)'
)


def test_queued_rayservice_is_reported_at_the_label_and_nothing_else() -> None:
    service = rayservice(labels=BATCH, cluster={"enableInTreeAutoscaling": True})
    assert issues(CHECK, service) == [
        (
            f"{CHECK}[unsupported]",
            "RayService/rs",
            ".metadata.labels.kueue.x-k8s.io/queue-name",
            "RayService rs (queue batch): Kueue has no RayService integration; the label "
            "queues nothing",
        )
    ]


def test_an_empty_queue_label_queues_nothing() -> None:
    empty = {"kueue.x-k8s.io/queue-name": ""}
    bodies = [
        rayservice(labels=empty),
        raycluster(labels=empty, enableInTreeAutoscaling=True),
        rayjob(labels=empty, shutdownAfterJobFinishes=False),
    ]
    assert issues(CHECK, *bodies) == []


def test_queued_rayjob_breaking_every_rule_is_reported_three_times_in_order() -> None:
    job = rayjob(
        labels=BATCH,
        clusterSelector={"ray.io/cluster": "shared"},
        cluster={"enableInTreeAutoscaling": True},
    )
    what = "RayJob job (queue batch)"
    assert issues(CHECK, job) == [
        (
            f"{CHECK}[cluster-selector]",
            "RayJob/job",
            ".spec.clusterSelector",
            f"{what}: Kueue refuses a queued RayJob with both clusterSelector and rayClusterSpec",
        ),
        (f"{CHECK}[shutdown]", "RayJob/job", ".spec", f"{what}: {SHUTDOWN}"),
        (
            f"{CHECK}[autoscaling]",
            "RayJob/job",
            ".spec.rayClusterSpec.enableInTreeAutoscaling",
            f"{what}: {AUTOSCALING}",
        ),
    ]


def test_queued_rayjob_on_an_existing_cluster_passes() -> None:
    job = rayjob(labels=BATCH, clusterSelector={"ray.io/cluster": "shared"}, rayClusterSpec=None)
    assert issues(CHECK, job) == []


def test_shutdown_must_be_the_boolean_true() -> None:
    job = rayjob(labels=BATCH, shutdownAfterJobFinishes="true")
    assert issues(CHECK, job) == [
        (
            f"{CHECK}[shutdown]",
            "RayJob/job",
            ".spec.shutdownAfterJobFinishes",
            f"RayJob job (queue batch): {SHUTDOWN}",
        )
    ]


def test_a_raycluster_needs_no_shutdown_and_autoscaling_must_be_the_boolean_true() -> None:
    cluster = raycluster(labels=BATCH, enableInTreeAutoscaling="true")
    assert issues(CHECK, cluster) == []


def test_elastic_only_when_the_annotation_is_exactly_true() -> None:
    bodies = [
        raycluster("a", labels=BATCH, annotations={ELASTIC: "True"}, enableInTreeAutoscaling=True),
        raycluster("b", labels=BATCH, annotations={ELASTIC: "false"}, enableInTreeAutoscaling=True),
        raycluster("c", labels=BATCH, enableInTreeAutoscaling=True),
    ]
    assert issues(CHECK, *bodies) == [
        (
            f"{CHECK}[autoscaling]",
            f"RayCluster/{name}",
            ".spec.enableInTreeAutoscaling",
            f"RayCluster {name} (queue batch): {AUTOSCALING}",
        )
        for name in ("a", "b", "c")
    ]


def test_elastic_rayjob_may_autoscale_but_must_still_shut_down() -> None:
    job = rayjob(
        labels=BATCH,
        annotations={ELASTIC: "true"},
        cluster={"enableInTreeAutoscaling": True},
        shutdownAfterJobFinishes=True,
    )
    assert issues(CHECK, job) == []


def test_every_finding_is_an_error_of_the_correctness_profile() -> None:
    bodies = [rayservice(labels=BATCH), rayjob(labels=BATCH)]
    assert grades(CHECK, *bodies) == [
        (f"{CHECK}[unsupported]", Severity.ERROR, Profile.CORRECTNESS),
        (f"{CHECK}[shutdown]", Severity.ERROR, Profile.CORRECTNESS),
    ]
