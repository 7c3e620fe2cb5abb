"""The static KubeRay model (`kuberay.py`) agrees with what the real v1.7.0 operator generates.

`kuberay.py` is what the checks fall back on where the control-plane twin cannot answer
(`--no-cluster`, groups without a Pod yet). These tests apply the dev environment of the
repository to the twin, read back the Pods and Services the real operator created, and
compare them with what the model says for the same repository object and group: Pod
labels (`labelPod`), the Ray container's ports (`metrics` appended) and the head
Service's ports (`getServicePorts`). A drift between the model and the operator fails here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pytest
import yaml

from kuberay_gitops import kuberay
from kuberay_gitops.cluster import CACHE_DIR
from kuberay_gitops.diff import normalised
from kuberay_gitops_dev.mutation import copy_repository
from tests.conftest import REPO_ROOT, TOOLS_DIR, CliResult, cli, require_setup, shared_dir

Run = Callable[..., CliResult]
Generated = list[tuple[Mapping[str, Any], Mapping[str, Any]]]  # (owner body, generated body)
TWIN = ("etcd", "kube-apiserver", "kuberay-operator")
# Derived from the RayCluster name, which the operator generates for RayJobs/RayServices.
NAME_DERIVED = (kuberay.CLUSTER_LABEL, kuberay.IDENTIFIER_LABEL)
LATE_SERVICES = {
    "RayJob": ["finetune-job-head-svc"],
    "RayService": ["serve-app-head-svc", "serve-app-serve-svc"],
}


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Generated:
    """(owner, object) for everything the operator generated for the dev environment."""
    require_setup()
    missing = [b for b in TWIN if not (TOOLS_DIR / b).is_file()]
    if missing:
        pytest.fail(f"{', '.join(missing)} missing from .tools/bin: run `make setup`")
    run: Run = cli
    root = tmp_path_factory.mktemp("repo")
    copy_repository(REPO_ROOT, root)
    cache = tmp_path_factory.mktemp("cache")
    env = {
        "KUBERAY_GITOPS_SHARED_DIR": str(shared_dir()),
        "KUBERAY_GITOPS_TOOLS_DIR": str(TOOLS_DIR),
        "KUBERAY_GITOPS_CACHE_DIR": str(cache),
    }
    result = run(
        "--repo", str(root), "validate", "--skip-checkov", "overlays/dev/raycluster", env=env
    )
    assert result.exit_code in (0, 1), result.stderr
    rendered: dict[str, list[Any]] = {}
    out: Generated = []
    for verdict in sorted((cache / CACHE_DIR).glob("*.json")):
        for (target, position), body in json.loads(verdict.read_text())["generated"]:
            if target not in rendered:
                shown = run("--repo", str(root), "render", target, env=env)
                assert shown.exit_code == 0, shown.stderr
                rendered[target] = [d for d in yaml.safe_load_all(shown.stdout) if d]
            out.append((rendered[target][position], body))
    assert out, "the operator generated nothing for the dev environment"
    return out


def _pods(generated: Generated) -> list[tuple[Mapping[str, Any], Mapping[str, Any]]]:
    return [
        (owner, body)
        for owner, body in generated
        if body["kind"] == "Pod" and kuberay.GROUP_LABEL in body["metadata"].get("labels", {})
    ]


def _group(owner: Mapping[str, Any], name: str) -> kuberay.RayGroup:
    groups = kuberay.ray_groups(owner["kind"], owner["metadata"]["name"], owner)
    return next(g for g in groups if g.group == name)


def _at(owner: Mapping[str, Any], path: Sequence[str | int]) -> Any:
    node: Any = owner
    for part in path:
        node = node[part] if isinstance(part, int) else node.get(part)
    return node


def _template(owner: Mapping[str, Any], group: kuberay.RayGroup) -> Mapping[str, Any]:
    node = _at(owner, group.template_path)
    assert isinstance(node, Mapping)
    return node


def _declared(container: Mapping[str, Any]) -> list[tuple[str | None, int]]:
    return [(p.get("name"), int(p["containerPort"])) for p in container.get("ports") or []]


def _model_labels(owner: Mapping[str, Any], labels: Mapping[str, str]) -> dict[str, str]:
    skip = kuberay.PER_REPLICA_LABELS
    if owner["kind"] != "RayCluster":
        skip |= frozenset(NAME_DERIVED)
    return {k: v for k, v in labels.items() if k not in skip}


def test_the_operator_created_pods_of_every_ray_kind(generated: Generated) -> None:
    kinds = {owner["kind"] for owner, _ in _pods(generated)}
    assert {"RayCluster", "RayJob"} <= kinds, kinds


def test_pod_labels_are_what_the_model_implies(generated: Generated) -> None:
    for owner, pod in _pods(generated):
        real = pod["metadata"]["labels"]
        group = _group(owner, real[kuberay.GROUP_LABEL])
        assert _model_labels(owner, real) == _model_labels(owner, group.labels), (
            owner["metadata"]["name"],
            group.group,
        )


def test_the_ray_container_ports_are_what_the_model_implies(generated: Generated) -> None:
    for owner, pod in _pods(generated):
        group = _group(owner, pod["metadata"]["labels"][kuberay.GROUP_LABEL])
        declared = _declared(_template(owner, group)["spec"]["containers"][0])
        real = _declared(pod["spec"]["containers"][kuberay.RAY_CONTAINER_INDEX])
        assert real == kuberay.pod_ports(declared), (owner["metadata"]["name"], group.group)


def _head_services(generated: Generated) -> Sequence[tuple[Mapping[str, Any], Mapping[str, Any]]]:
    return [
        (owner, body)
        for owner, body in generated
        if body["kind"] == "Service"
        and body["metadata"].get("labels", {}).get(kuberay.NODE_TYPE_LABEL) == "head"
    ]


def test_the_head_service_ports_are_what_the_model_implies(generated: Generated) -> None:
    services = _head_services(generated)
    assert services
    for owner, svc in services:
        head = _template(owner, _group(owner, kuberay.HEAD_GROUP))
        model = kuberay.head_service_ports(_declared(head["spec"]["containers"][0]))
        real = {p["name"]: int(p["port"]) for p in svc["spec"]["ports"]}
        assert real == model, svc["metadata"]["name"]


def test_a_head_declaring_no_port_gets_the_default_service_ports() -> None:
    assert kuberay.head_service_ports([]) == dict(kuberay.DEFAULT_SERVICE_PORTS)
    assert kuberay.head_service_ports([(None, 9000)]) == {"9000-port": 9000, "metrics": 8080}


def test_the_ray_start_command_carries_the_defaults_the_model_assumes(
    generated: Generated,
) -> None:
    """setMissingRayStartParams: the parameters KubeRay completes, at the model's values."""
    completed = [p for p in kuberay.PORT_PARAMS if p.default is not None and not p.head_only]
    assert completed
    for owner, pod in _pods(generated):
        group = _group(owner, pod["metadata"]["labels"][kuberay.GROUP_LABEL])
        node = _at(owner, group.params_path) or {}
        flags = kuberay.start_flags(pod["spec"]["containers"][kuberay.RAY_CONTAINER_INDEX])
        assert flags is not None
        for param in completed:
            expected = str(node[param.key]) if param.key in node else str(param.default)
            assert flags.get(param.key) == expected, (group.group, param.key)


def _service_shape(body: Mapping[str, Any]) -> tuple[Any, ...]:
    """What checks read of a Service: name, labels, selector, port names and numbers.

    Generated names end in `-*` on both sides (the model's placeholder cluster name too).
    """
    text = json.dumps(body).replace(kuberay.PLACEHOLDER_CLUSTER_SUFFIX, "x7k2p")
    b = normalised(json.loads(text))
    ports = sorted((str(p.get("name")), int(p["port"])) for p in b["spec"].get("ports") or [])
    return (
        b["metadata"]["name"],
        b["metadata"].get("labels") or {},
        b["spec"].get("selector") or {},
        ports,
    )


def test_the_services_are_the_ones_the_model_builds(generated: Generated) -> None:
    owners: dict[tuple[str, str], Mapping[str, Any]] = {}
    real: dict[tuple[str, str], list[tuple[Any, ...]]] = {}
    for owner, body in generated:
        if body["kind"] == "Service":
            key = (owner["kind"], owner["metadata"]["name"])
            owners[key] = owner
            real.setdefault(key, []).append(_service_shape(body))
    assert {kind for kind, _ in owners} >= {"RayCluster", "RayJob", "RayService"}, owners
    for key, owner in owners.items():
        meta = owner["metadata"]
        model = kuberay.generated_services(key[0], key[1], meta.get("annotations") or {}, owner)
        shapes = [_service_shape(s) for s in model]
        assert [r for r in real[key] if r not in shapes] == [], key
        # Created only once the cluster runs, which it never does on the twin (no kubelet):
        # `<job>-head-svc` (rayjob_controller.go, Running) and a RayService's own head and
        # serve Services (rayservice_controller.go `reconcileServicesToReadyCluster`).
        late = sorted(m[0] for m in shapes if m not in real[key])
        assert late == LATE_SERVICES.get(key[0], []), key


# --- The platform as the twin shows it (issue 15: per-cluster tokens, placement) ----------


def _ray_container_env(pod: Mapping[str, Any]) -> dict[str, Any]:
    container = pod["spec"]["containers"][kuberay.RAY_CONTAINER_INDEX]
    return {e["name"]: e for e in container.get("env") or []}


def test_every_ray_cluster_authenticates_with_a_token_of_its_own(generated: Generated) -> None:
    secrets: dict[str, set[str]] = {}
    for _, pod in _pods(generated):
        ref = _ray_container_env(pod)["RAY_AUTH_TOKEN"]["valueFrom"]["secretKeyRef"]
        cluster = pod["metadata"]["labels"][kuberay.CLUSTER_LABEL]
        secrets.setdefault(ref["name"], set()).add(cluster)
    # One Secret per cluster, named after it (raycluster_controller.go reconcileAuthSecret).
    assert all(clusters == {name} for name, clusters in secrets.items()), secrets
    assert len(secrets) >= 3


def _required_absent(pod: Mapping[str, Any]) -> set[str]:
    terms = (
        pod["spec"]
        .get("affinity", {})
        .get("nodeAffinity", {})
        .get("requiredDuringSchedulingIgnoredDuringExecution", {})
        .get("nodeSelectorTerms", [])
    )
    keys = [
        {e["key"] for e in t.get("matchExpressions", []) if e["operator"] == "DoesNotExist"}
        for t in terms
    ]
    return set.intersection(*keys) if keys else set()


def test_cpu_ray_pods_avoid_gpu_and_control_plane_nodes_and_heads_have_priority(
    generated: Generated,
) -> None:
    for _, pod in _pods(generated):
        limits = pod["spec"]["containers"][0].get("resources", {}).get("limits", {})
        if "nvidia.com/gpu" in limits:
            continue
        name = pod["metadata"]["name"]
        absent = _required_absent(pod)
        assert {"nvidia.com/gpu.present", "node-role.kubernetes.io/control-plane"} <= absent, name
        if pod["metadata"]["labels"][kuberay.NODE_TYPE_LABEL] == "head":
            assert pod["spec"].get("priorityClassName") == "kuberay-ray-head", name
