"""The static KubeRay model, fact by fact (tests/e2e/test_kuberay_model.py holds it to the
real operator on this repository; these pin the cases the repository does not exercise)."""

from __future__ import annotations

from kuberay_gitops import kuberay
from kuberay_gitops.checks import _netpol
from kuberay_gitops.index import ObjectIndex
from kuberay_gitops.manifests import objects_from_docs


def test_a_metrics_port_is_appended_to_a_ray_container_without_one() -> None:
    assert kuberay.pod_ports([("gcs-server", 6379)]) == [("gcs-server", 6379), ("metrics", 8080)]


def test_a_declared_metrics_port_is_kept_as_it_is() -> None:
    assert kuberay.pod_ports([("metrics", 9090)]) == [("metrics", 9090)]


def test_the_head_service_takes_the_declared_ports_and_metrics_only() -> None:
    ports = kuberay.head_service_ports([("dashboard", 8265), (None, 7000)])
    assert ports == {"dashboard": 8265, "7000-port": 7000, "metrics": 8080}


def test_the_head_service_gets_the_defaults_when_no_port_is_declared() -> None:
    assert kuberay.head_service_ports([]) == {
        "client": 10001,
        "gcs-server": 6379,
        "dashboard": 8265,
        "metrics": 8080,
        "serve": 8000,
    }


def test_template_labels_override_all_but_the_three_kuberay_keeps() -> None:
    labels = kuberay.pod_labels(
        "rc",
        "worker",
        "gpu",
        {"app.kubernetes.io/name": "mine", "ray.io/group": "x", "ray.io/cluster": "y", "a": "b"},
    )
    assert labels == {
        "ray.io/is-ray-node": "yes",
        "ray.io/cluster": "rc",
        "ray.io/node-type": "worker",
        "ray.io/group": "gpu",
        "ray.io/identifier": "rc-worker",
        "app.kubernetes.io/name": "mine",
        "app.kubernetes.io/created-by": "kuberay-operator",
        "a": "b",
    }


def test_group_labels_override_template_labels() -> None:
    body = {
        "spec": {
            "headGroupSpec": {
                "labels": {"team": "group"},
                "template": {"metadata": {"labels": {"team": "template"}}, "spec": {}},
            }
        }
    }
    (head,) = kuberay.ray_groups("RayCluster", "rc", body)
    assert head.labels["team"] == "group"


def test_a_rayservice_head_starts_out_of_the_serve_service_and_its_workers_in_it() -> None:
    cluster = {"headGroupSpec": {"template": {}}, "workerGroupSpecs": [{"template": {}}]}
    head, worker = kuberay.ray_groups("RayService", "s", {"spec": {"rayClusterConfig": cluster}})
    assert (head.labels["ray.io/serve"], worker.labels["ray.io/serve"]) == ("false", "true")
    assert head.labels["ray.io/cluster"] == "s-raycluster-xxxxx"


def test_the_groups_of_a_raycronjob_are_in_its_job_template() -> None:
    cluster = {
        "headGroupSpec": {"template": {}},
        "workerGroupSpecs": [{"groupName": "w", "template": {}}],
    }
    body = {"spec": {"jobTemplate": {"rayClusterSpec": cluster}}}
    groups = list(kuberay.ray_groups("RayCronJob", "c", body))
    assert [(g.role, g.group, g.template_path) for g in groups] == [
        (
            "head",
            "headgroup",
            ("spec", "jobTemplate", "rayClusterSpec", "headGroupSpec", "template"),
        ),
        (
            "worker",
            "w",
            ("spec", "jobTemplate", "rayClusterSpec", "workerGroupSpecs", 0, "template"),
        ),
    ]


def test_the_ray_start_flags_are_read_from_the_command_kuberay_writes() -> None:
    container = {
        "command": ["/bin/bash", "-c", "--"],
        "args": ["ulimit -n 65536; ray start --head  --block  --metrics-export-port=8080 "],
    }
    assert kuberay.start_flags(container) == {
        "head": "true",
        "block": "true",
        "metrics-export-port": "8080",
    }


def test_a_container_without_ray_start_has_no_flags() -> None:
    assert kuberay.start_flags({"command": ["python", "main.py"]}) is None


def test_the_owner_named_head_service_selects_the_default_app_name() -> None:
    # raycluster_controller.go passes the template's app name to the cluster's head
    # Service only; job.go builds the RayJob's own one with nil labels.
    template = {"metadata": {"labels": {"app.kubernetes.io/name": "mine"}}, "spec": {}}
    body = {"spec": {"rayClusterSpec": {"headGroupSpec": {"template": template}}}}
    cluster_svc, job_svc = kuberay.generated_services("RayJob", "job", {}, body)
    assert cluster_svc["spec"]["selector"]["app.kubernetes.io/name"] == "mine"
    assert job_svc["metadata"]["name"] == "job-head-svc"
    assert job_svc["spec"]["selector"]["app.kubernetes.io/name"] == "kuberay"


def _serve_backends(exclude: bool) -> set[str]:
    cluster = {
        "headGroupSpec": {
            "template": {
                "spec": {
                    "containers": [
                        {"name": "h", "ports": [{"name": "serve", "containerPort": 8000}]}
                    ]
                }
            }
        },
        "workerGroupSpecs": [
            {"groupName": "w", "template": {"spec": {"containers": [{"name": "w"}]}}}
        ],
    }
    body = {
        "apiVersion": "ray.io/v1",
        "kind": "RayService",
        "metadata": {"name": "s", "namespace": "kuberay"},
        "spec": {"rayClusterConfig": cluster, "excludeHeadPodFromServeSvc": exclude},
    }
    index = ObjectIndex(objects_from_docs([body], "t"), "t")
    [serve] = [v for v in _netpol.services(index) if v.name == "s-serve-svc"]
    return {str(p.ray_role) for p in serve.pods}


def test_the_head_joins_the_serve_service_unless_the_rayservice_excludes_it() -> None:
    assert _serve_backends(exclude=False) == {"head", "worker"}
    assert _serve_backends(exclude=True) == {"worker"}
