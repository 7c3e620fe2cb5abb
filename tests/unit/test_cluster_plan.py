"""The cluster stage's pure parts: Argo CD's order, environments, error classes, locations,
and the verdict cache. The twin itself is exercised in tests/e2e/test_cluster.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kuberay_gitops import cluster
from kuberay_gitops.checks._api import RepoFacts
from kuberay_gitops.exitcodes import ConfigError
from kuberay_gitops.findings import Severity
from kuberay_gitops.index import Generated, ObjectIndex
from kuberay_gitops.manifests import K8sObject, objects_from_docs
from kuberay_gitops.settings import load
from kuberay_gitops.tools import twin
from kuberay_gitops.tools.kubeapi import ApiError, Cause
from tests.conftest import TOOLS_DIR, require_setup

REPO = "https://github.com/platform-team/kuberay-gitops.git"


def obj(
    kind: str, name: str, *, api: str = "v1", ns: str | None = "kuberay", **meta: Any
) -> K8sObject:
    body: dict[str, Any] = {"apiVersion": api, "kind": kind, "metadata": {"name": name, **meta}}
    if ns:
        body["metadata"]["namespace"] = ns
    [o] = objects_from_docs([body], "t")
    return o


def names(objects: list[K8sObject]) -> list[str]:
    return [f"{o.ref.kind}/{o.ref.name}" for o in objects]


# --------------------------------------------------------------------- Argo CD's order


def test_kinds_follow_argocd_order_and_custom_resources_come_last() -> None:
    order = cluster.sync_order(
        [
            obj("RayCluster", "a", api="ray.io/v1"),
            obj("Deployment", "a", api="apps/v1"),
            obj("CustomResourceDefinition", "x", api="apiextensions.k8s.io/v1", ns=None),
            obj("ServiceAccount", "a"),
            obj("Namespace", "kuberay", ns=None),
        ]
    )
    assert names(order) == [
        "Namespace/kuberay",
        "ServiceAccount/a",
        "CustomResourceDefinition/x",
        "Deployment/a",
        "RayCluster/a",
    ]


def test_a_later_sync_wave_goes_after_every_kind_of_an_earlier_one() -> None:
    late_ns = obj(
        "Namespace", "kuberay", ns=None, annotations={"argocd.argoproj.io/sync-wave": "1"}
    )
    order = cluster.sync_order([late_ns, obj("ConfigMap", "c")])
    assert names(order) == ["ConfigMap/c", "Namespace/kuberay"]


def test_presync_hooks_go_first_and_names_break_ties() -> None:
    hook = obj("Job", "z", api="batch/v1", annotations={"argocd.argoproj.io/hook": "PreSync"})
    order = cluster.sync_order([obj("ConfigMap", "b"), obj("ConfigMap", "a"), hook])
    assert names(order) == ["Job/z", "ConfigMap/a", "ConfigMap/b"]


def test_a_negative_wave_goes_before_wave_zero() -> None:
    early = obj(
        "Deployment", "d", api="apps/v1", annotations={"argocd.argoproj.io/sync-wave": "-1"}
    )
    assert names(cluster.sync_order([obj("Namespace", "n", ns=None), early])) == [
        "Deployment/d",
        "Namespace/n",
    ]


# --------------------------------------------------------------------- environments


def _appset(steps: list[list[str]] | None, sync_options: list[str]) -> K8sObject:
    elements = [
        {"unit": u, "target": f"overlays/dev/{u}"} for u in ("crds", "operator", "raycluster")
    ]
    spec: dict[str, Any] = {
        "goTemplate": True,
        "generators": [{"list": {"elements": elements}}],
        "template": {
            "metadata": {"name": "dev-{{.unit}}", "labels": {"unit": "{{.unit}}"}},
            "spec": {
                "source": {"repoURL": REPO, "path": "{{.target}}"},
                "destination": {"name": "dev", "namespace": "kuberay"},
                "syncPolicy": {"syncOptions": sync_options},
            },
        },
    }
    if steps is not None:
        spec["strategy"] = {
            "type": "RollingSync",
            "rollingSync": {
                "steps": [
                    {"matchExpressions": [{"key": "unit", "operator": "In", "values": s}]}
                    for s in steps
                ]
            },
        }
    body = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "ApplicationSet",
        "metadata": {"name": "dev", "namespace": "argocd"},
        "spec": spec,
    }
    return objects_from_docs([body], "argocd")[0]


FACTS = RepoFacts(
    targets=frozenset(f"overlays/dev/{u}" for u in ("crds", "operator", "raycluster")),
    repo_url=REPO,
)


def test_rolling_sync_steps_order_the_units_of_an_environment() -> None:
    appset = _appset([["raycluster"], ["crds"], ["operator"]], ["ServerSideApply=true"])
    [env] = cluster.environments(ObjectIndex([appset], "argocd"), FACTS)
    assert env.name == "dev"
    assert [(u.app, u.step) for u in env.units] == [
        ("dev-raycluster", 0),
        ("dev-crds", 1),
        ("dev-operator", 2),
    ]


def test_without_rolling_sync_every_unit_is_one_step_in_generator_order() -> None:
    [env] = cluster.environments(ObjectIndex([_appset(None, [])], "argocd"), FACTS)
    assert [(u.app, u.step) for u in env.units] == [
        ("dev-crds", 0),
        ("dev-operator", 0),
        ("dev-raycluster", 0),
    ]


def test_a_unit_no_step_selects_goes_last() -> None:
    [env] = cluster.environments(ObjectIndex([_appset([["operator"]], [])], "argocd"), FACTS)
    assert (env.units[0].app, env.units[0].step) == ("dev-operator", 0)
    assert {u.step for u in env.units[1:]} == {1}


def test_sync_options_and_their_lines_come_from_the_application() -> None:
    appset = _appset(None, ["CreateNamespace=true", "ServerSideApply=true"])
    [env] = cluster.environments(ObjectIndex([appset], "argocd"), FACTS)
    unit = env.units[0]
    assert unit.option("ServerSideApply")
    assert unit.option("CreateNamespace")
    assert not unit.option("SkipDryRunOnMissingResource")
    assert unit.owner is appset
    assert unit.option_fields["ServerSideApply"] == (
        "spec",
        "template",
        "spec",
        "syncPolicy",
        "syncOptions",
        1,
    )


def test_a_resource_annotation_overrides_the_application_sync_option() -> None:
    appset = _appset(None, ["ServerSideApply=true"])
    [env] = cluster.environments(ObjectIndex([appset], "argocd"), FACTS)
    own = obj(
        "ConfigMap", "c", annotations={"argocd.argoproj.io/sync-options": "ServerSideApply=false"}
    )
    assert not env.units[0].option("ServerSideApply", own)
    assert env.units[0].option("ServerSideApply", obj("ConfigMap", "d"))


def test_an_application_of_another_repository_is_no_unit() -> None:
    facts = RepoFacts(targets=FACTS.targets, repo_url="https://example.com/other.git")
    assert cluster.environments(ObjectIndex([_appset(None, [])], "argocd"), facts) == []


# --------------------------------------------------------------------- refusals


def test_field_paths_of_api_server_causes() -> None:
    assert cluster.parse_field("spec.containers[0].ports[11].name") == (
        "spec",
        "containers",
        0,
        "ports",
        11,
        "name",
    )
    assert cluster.parse_field("metadata.labels[app.kubernetes.io/name]") == (
        "metadata",
        "labels",
        "app.kubernetes.io/name",
    )


CEL_RULES = ["the managedBy field value must be either 'ray.io/kuberay-operator'"]


def test_a_crd_rule_message_makes_a_cel_refusal() -> None:
    err = ApiError(
        422,
        "Invalid",
        'RayJob.ray.io "x" is invalid: spec.managedBy: Invalid value: "string": ' + CEL_RULES[0],
        (Cause("spec.managedBy", "Invalid value: ...", "FieldValueInvalid"),),
    )
    assert cluster.classify(err, CEL_RULES) == cluster.CEL


def test_a_schema_refusal_is_no_cel_refusal() -> None:
    err = ApiError(422, "Invalid", "spec.x: Unsupported value", ())
    assert cluster.classify(err, CEL_RULES) == cluster.APPLY


def test_pod_security_and_webhooks_are_admission_refusals() -> None:
    psa = ApiError(403, "Forbidden", 'pods "x" is forbidden: violates PodSecurity "restricted"')
    hook = ApiError(400, "BadRequest", 'admission webhook "w" denied the request')
    assert cluster.classify(psa, []) == cluster.ADMISSION
    assert cluster.classify(hook, []) == cluster.ADMISSION
    assert cluster.classify(ApiError(403, "Forbidden", "rbac says no"), []) == cluster.APPLY


def test_cel_rules_are_read_from_every_level_of_a_crd() -> None:
    crd = {
        "spec": {
            "versions": [
                {
                    "schema": {
                        "openAPIV3Schema": {
                            "x-kubernetes-validations": [{"rule": "self.a", "message": "top"}],
                            "properties": {
                                "spec": {"x-kubernetes-validations": [{"rule": "has(self.b)"}]}
                            },
                        }
                    }
                }
            ]
        }
    }
    assert cluster._cel_texts([crd]) == ["top", "self.a", "has(self.b)"]


def test_operator_rbac_denials_are_read_from_its_json_log() -> None:
    log = (
        '{"level":"error","msg":"x","error":"pods is forbidden: User '
        '\\"system:serviceaccount:kuberay-system:kuberay-operator\\" cannot list resource '
        '\\"pods\\" in API group \\"\\" in the namespace \\"kuberay\\""}\n'
        '{"level":"info","msg":"pods \\"h\\" is forbidden: violates PodSecurity"}\n'
    )
    assert cluster.rbac_denials(log) == ['list pods in API group ""']


def test_generated_name_suffixes_are_folded_so_retries_make_one_finding() -> None:
    a = cluster._generic('pods "raycluster-head-w9vhz" is forbidden')
    b = cluster._generic('pods "raycluster-head-4h7g9" is forbidden')
    assert a == b == 'pods "raycluster-head-*" is forbidden'


RAYCLUSTER: dict[str, Any] = {
    "apiVersion": "ray.io/v1",
    "kind": "RayCluster",
    "metadata": {"name": "rc", "namespace": "kuberay"},
    "spec": {
        "autoscalerOptions": {},
        "headGroupSpec": {"template": {"spec": {"containers": [{"name": "ray-head"}]}}},
        "workerGroupSpecs": [
            {"groupName": "gpu", "template": {"spec": {"containers": [{"name": "w"}]}}},
            {"groupName": "cpu", "template": {"spec": {"containers": [{"name": "w"}]}}},
        ],
    },
}


def test_a_pod_field_in_an_event_points_into_the_group_template() -> None:
    [rc] = objects_from_docs([RAYCLUSTER], "t")
    msg = 'Failed to create head Pod: Pod "rc-head-x" is invalid: spec.containers[0].ports[3].name'
    assert cluster._event_field(rc, msg) == (
        "spec",
        "headGroupSpec",
        "template",
        "spec",
        "containers",
        0,
        "ports",
        3,
        "name",
    )


def test_the_autoscaler_container_points_at_autoscaler_options() -> None:
    [rc] = objects_from_docs([RAYCLUSTER], "t")
    msg = 'Failed to create head Pod: violates PodSecurity: (container "autoscaler" must not)'
    assert cluster._event_field(rc, msg) == ("spec", "autoscalerOptions")


def test_a_worker_event_points_at_its_group_by_name() -> None:
    [rc] = objects_from_docs([RAYCLUSTER], "t")
    msg = 'Failed to create worker Pod: pods "rc-cpu-worker-abcde" is forbidden: (container "w")'
    assert cluster._event_field(rc, msg) == (
        "spec",
        "workerGroupSpecs",
        1,
        "template",
        "spec",
        "containers",
        0,
    )


def test_a_rayjob_event_points_inside_its_cluster_spec() -> None:
    body = {**RAYCLUSTER, "kind": "RayJob", "spec": {"rayClusterSpec": RAYCLUSTER["spec"]}}
    [job] = objects_from_docs([body], "t")
    assert cluster._event_field(job, "Failed to create head Pod x") == (
        "spec",
        "rayClusterSpec",
        "headGroupSpec",
        "template",
    )


def test_workers_wanted_are_replicas_clamped_to_the_bounds() -> None:
    spec = {
        "workerGroupSpecs": [
            {"groupName": "a", "replicas": 9, "minReplicas": 1, "maxReplicas": 4},
            {"groupName": "b", "replicas": 0, "minReplicas": 2, "maxReplicas": 4},
            {"groupName": "c", "minReplicas": 1, "numOfHosts": 2},
            {"groupName": "d", "replicas": 3, "suspend": True},
        ]
    }
    assert cluster._desired_workers({"spec": spec}) == {"a": 4, "b": 2, "c": 2}
    assert cluster._desired_workers({"spec": {**spec, "suspend": True}}) == {}


def test_watch_namespace_flags() -> None:
    assert cluster.watched_namespaces(["--watch-namespace=a,b"]) == {"a", "b"}
    assert cluster.watched_namespaces(["--watch-namespace="]) is None
    assert cluster.watched_namespaces([]) is None


def test_the_operator_deployment_is_found_by_its_image_and_runs_with_its_args() -> None:
    body = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "op", "namespace": "kuberay-system"},
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {
                            "name": "kuberay-operator",
                            "image": "quay.io/kuberay/operator:v1.7.0",
                            "args": ["--watch-namespace=kuberay"],
                            "env": [
                                {"name": "A", "value": "1"},
                                {
                                    "name": "NS",
                                    "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}},
                                },
                            ],
                        }
                    ]
                }
            }
        },
    }
    [dep] = objects_from_docs([body], "t")
    assert cluster.operator_deployment([obj("ConfigMap", "c"), dep]) is dep
    command = cluster.operator_args(dep)
    assert command.args == ("--watch-namespace=kuberay",)
    assert command.env == {}  # A is no variable the operator reads; NS is a namespace ref
    assert [(f, why.split(" is ")[0]) for f, why in command.refused] == [
        (("spec", "template", "spec", "containers", 0, "env", 0), "operator environment variable A")
    ]


def test_operator_flags_that_reach_outside_the_twin_are_refused() -> None:
    args = [
        "--kubeconfig=/etc/kubernetes/admin.conf",
        "--config=/etc/passwd",
        "--log-file-path=/tmp/x",
        "--metrics-addr",
        ":8080",
        "--enable-leader-election=true",
        "--batch-scheduler=volcano",
        "--enable-metrics",
    ]
    env = [
        {"name": "ENABLE_ZERO_DOWNTIME", "value": "false"},
        {"name": "GOGC", "value": "off"},
        {"name": "HTTPS_PROXY", "value": "http://evil"},
    ]
    body = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "op", "namespace": "kuberay-system"},
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {"name": "x", "image": "nginx"},
                        {"image": "quay.io/kuberay/operator:v1.7.0", "args": args, "env": env},
                    ]
                }
            }
        },
    }
    [dep] = objects_from_docs([body], "t")
    command = cluster.operator_args(dep)
    assert command.args == ("--batch-scheduler=volcano", "--enable-metrics")
    assert command.env == {"ENABLE_ZERO_DOWNTIME": "false"}
    refused = [f[-2:] for f, _ in command.refused]
    # --metrics-addr and --enable-leader-election are the twin's own: dropped, and a value
    # given as a separate argument is refused (Go's flag parsing would stop at it).
    assert refused == [("args", 0), ("args", 1), ("args", 2), ("args", 4),
                       ("env", 1), ("env", 2)]  # fmt: skip
    assert all(f[:5] == ("spec", "template", "spec", "containers", 1) for f, _ in command.refused)
    other = {**body, "spec": {"template": {"spec": {"containers": [{"image": "nginx"}]}}}}
    assert cluster.operator_deployment(objects_from_docs([other], "t")) is None


# --------------------------------------------------------------------- verdict cache


@pytest.fixture
def binaries() -> twin.TwinBinaries:
    require_setup()
    return twin.TwinBinaries(
        TOOLS_DIR / "etcd", TOOLS_DIR / "kube-apiserver", TOOLS_DIR / "kuberay-operator"
    )


def _env_and_objects(value: str) -> tuple[cluster.Environment, dict[str, list[K8sObject]]]:
    unit = cluster.Unit("dev-raycluster", "t", 0, "kuberay", {"ServerSideApply": "false"})
    body = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "c"},
        "data": {"k": value},
    }
    return cluster.Environment("dev", (unit,)), {"t": objects_from_docs([body], "t")}


def test_the_verdict_key_changes_with_any_applied_byte(binaries: twin.TwinBinaries) -> None:
    env, objects = _env_and_objects("1")
    key = cluster.result_key(env, objects, [], binaries, 90)
    assert key == cluster.result_key(env, objects, [], binaries, 90)
    assert key != cluster.result_key(env, _env_and_objects("2")[1], [], binaries, 90)
    assert key != cluster.result_key(env, objects, [{"kind": "Namespace"}], binaries, 90)
    other = cluster.Unit("dev-raycluster", "t", 0, "kuberay", {"ServerSideApply": "true"})
    assert key != cluster.result_key(
        cluster.Environment("dev", (other,)), objects, [], binaries, 90
    )


def test_a_stored_verdict_comes_back_on_this_run_s_objects(tmp_path: Path) -> None:
    _, objects = _env_and_objects("1")
    [cm] = objects["t"]
    pod = objects_from_docs([{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}}], "t")
    result = cluster.EnvironmentResult(
        "dev",
        1,
        (Generated(pod[0], cm),),
        (cluster.Problem(cm, ("data", "k"), cluster.APPLY, "refused", Severity.WARNING),),
        3.0,
    )
    cluster.store(tmp_path, "k", result)
    loaded = cluster.load(tmp_path, "k", objects)
    assert loaded is not None
    assert loaded.cached
    assert loaded.problems == result.problems
    assert [(g.obj.ref, g.owner) for g in loaded.generated] == [(pod[0].ref, cm)]
    assert cluster.load(tmp_path, "other", objects) is None
    (tmp_path / cluster.CACHE_DIR / "k.json").write_text("{broken")
    assert cluster.load(tmp_path, "k", objects) is None


# --------------------------------------------------------------------- CRD layers


def _crd(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": name},
    }


def test_only_leading_crd_only_units_make_a_layer() -> None:
    objects = {
        "crds": objects_from_docs([_crd("a.x.io"), _crd("b.x.io")], "crds"),
        "op": objects_from_docs([_crd("c.x.io"), {"apiVersion": "v1", "kind": "Namespace"}], "op"),
        "more": objects_from_docs([_crd("d.x.io")], "more"),
    }
    units = tuple(cluster.Unit(t, t, i, "", {}) for i, t in enumerate(("crds", "op", "more")))
    assert cluster.layer_units(cluster.Environment("dev", units), objects) == units[:1]
    reversed_env = cluster.Environment("dev", (units[1], units[0]))
    assert cluster.layer_units(reversed_env, objects) == ()


def test_environments_with_the_same_crds_share_a_layer_key(
    binaries: twin.TwinBinaries, tmp_path: Path
) -> None:
    layers = cluster.Layers(tmp_path, binaries, tmp_path)
    dev = {"overlays/dev/crds": objects_from_docs([_crd("a.x.io")], "overlays/dev/crds")}
    prod = {"overlays/prod/crds": objects_from_docs([_crd("a.x.io")], "overlays/prod/crds")}
    ssa = {"ServerSideApply": "true"}
    key = layers.key([cluster.Unit("dev-crds", "overlays/dev/crds", 0, "", ssa)], dev)
    assert key == layers.key([cluster.Unit("prod-crds", "overlays/prod/crds", 0, "", ssa)], prod)
    csa = cluster.Unit("dev-crds", "overlays/dev/crds", 0, "", {"ServerSideApply": "false"})
    assert key != layers.key([csa], dev)
    other = {"overlays/dev/crds": objects_from_docs([_crd("b.x.io")], "overlays/dev/crds")}
    assert key != layers.key([cluster.Unit("dev-crds", "overlays/dev/crds", 0, "", ssa)], other)


def test_a_group_name_that_ends_another_is_not_confused_with_it() -> None:
    groups = [
        {"groupName": "gpu-large", "template": {"spec": {"containers": [{"name": "w"}]}}},
        {"groupName": "gpu", "template": {"spec": {"containers": [{"name": "w"}]}}},
    ]
    body = {**RAYCLUSTER, "spec": {**RAYCLUSTER["spec"], "workerGroupSpecs": groups}}
    [rc] = objects_from_docs([body], "t")
    msg = 'Failed to create worker Pod: pods "rc-gpu-large-worker-abcde" is forbidden'
    assert cluster._event_field(rc, msg) == ("spec", "workerGroupSpecs", 0, "template")


def test_suspended_and_foreign_managed_objects_are_not_waited_for() -> None:
    def ray(kind: str, spec: dict[str, Any]) -> K8sObject:
        body = {"apiVersion": "ray.io/v1", "kind": kind, "metadata": {"name": "x"}, "spec": spec}
        return objects_from_docs([body], "t")[0]

    assert cluster._left_alone(ray("RayCluster", {"suspend": True}))
    assert cluster._left_alone(ray("RayJob", {"managedBy": "kueue.x-k8s.io/multikueue"}))
    assert cluster._left_alone(ray("RayJob", {"clusterSelector": {"ray.io/cluster": "c"}}))
    assert not cluster._left_alone(ray("RayJob", {"managedBy": "ray.io/kuberay-operator"}))
    assert not cluster._left_alone(ray("RayCluster", {"suspend": False}))


def test_an_application_with_two_sources_in_the_repository_is_two_ordered_units() -> None:
    appset = _appset(None, [])
    spec = dict(appset.body["spec"]["template"]["spec"])
    source = spec.pop("source")
    spec["sources"] = [source, {**source, "path": "overlays/dev/raycluster"}]
    template = {**appset.body["spec"]["template"], "spec": spec}
    body = {**appset.body, "spec": {**appset.body["spec"], "template": template}}
    [obj] = objects_from_docs([body], "argocd")
    [env] = cluster.environments(ObjectIndex([obj], "argocd"), FACTS)
    assert [(u.app, u.target) for u in env.units][:2] == [
        ("dev-crds", "overlays/dev/crds"),
        ("dev-crds", "overlays/dev/raycluster"),
    ]


def test_prerequisites_stay_inside_the_shared_directory(tmp_path: Path) -> None:
    (tmp_path / "toolchain.env").write_text(
        "KUSTOMIZE_VERSION=v5.8.1\nKUBECONFORM_VERSION=v0.7.0\n"
    )
    (tmp_path / "shared" / "crds" / "x").mkdir(parents=True)
    config = tmp_path / "kuberay-gitops.yaml"
    config.write_text(
        "shared_dir: shared\ncluster:\n  prerequisites:\n"
        "    dev: {crds: [crds/x]}\n    bad: {crds: [../../etc]}\n    abs: {crds: [/]}\n"
    )
    settings = load(tmp_path, env={})
    assert settings.prerequisite_paths("dev") == [(tmp_path / "shared/crds/x").resolve()]
    for env in ("bad", "abs"):
        with pytest.raises(ConfigError, match="not a directory inside shared_dir"):
            settings.prerequisite_paths(env)


def test_the_operator_wait_is_bounded(tmp_path: Path) -> None:
    (tmp_path / "toolchain.env").write_text(
        "KUSTOMIZE_VERSION=v5.8.1\nKUBECONFORM_VERSION=v0.7.0\n"
    )
    (tmp_path / "kuberay-gitops.yaml").write_text("cluster:\n  timeout_seconds: 86400\n")
    with pytest.raises(ConfigError, match="at most 600"):
        load(tmp_path, env={})


# --------------------------------------------------------------------- generated objects


def test_ray_pod_views_take_the_labels_of_the_pods_the_operator_created() -> None:
    [rc] = objects_from_docs([RAYCLUSTER], "t")
    real_head = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "rc-head-abcde",
            "labels": {"ray.io/group": "headgroup", "ray.io/cluster": "rc", "only": "real"},
        },
    }
    [pod] = objects_from_docs([real_head], "t")
    index = ObjectIndex([rc], "t", generated=[Generated(pod, rc)])
    by_group = {p.group: p for p in index.ray_pods()}
    assert by_group["headgroup"].labels == {
        "ray.io/group": "headgroup",
        "ray.io/cluster": "rc",
        "only": "real",
    }
    # No Pod of group gpu was created: the model's labels stay.
    assert by_group["gpu"].labels["ray.io/node-type"] == "worker"
    assert "only" not in by_group["gpu"].labels
    assert ObjectIndex([rc], "t").ray_pods()[0].labels["ray.io/node-type"] == "head"


def test_the_kinds_an_environment_uses_are_named_as_a_crd_names_them() -> None:
    objects = objects_from_docs(
        [
            {
                "apiVersion": "monitoring.coreos.com/v1",
                "kind": "ServiceMonitor",
                "metadata": {"name": "s"},
            },
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}},
            {"apiVersion": "ray.io/v1", "kind": "RayCluster", "metadata": {"name": "r"}},
        ],
        "t",
    )
    assert cluster.kinds_used(objects) == {
        ("monitoring.coreos.com", "ServiceMonitor"),
        ("", "ConfigMap"),
        ("ray.io", "RayCluster"),
    }
