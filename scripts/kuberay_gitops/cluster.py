"""The cluster stage: apply each environment to a real control plane, as Argo CD would.

For every environment (an Argo CD destination cluster of the Applications this repository
generates), a fresh control-plane twin (`tools/twin.py`: etcd, kube-apiserver with RBAC
and Pod Security admission) receives:

1. the cluster's prerequisites the repository does not own (`cluster.prerequisites`:
   CRD directories of the shared dir, e.g. prometheus-operator, Kueue, Volcano), applied
   server-side, as whoever installed them would have;
2. every rendered unit of the environment, in Argo CD's order: RollingSync step, then,
   inside one Application, sync phase, sync wave, Argo CD's kind order and name
   (gitops-engine `pkg/sync/sync_tasks.go`), with the Application's sync options
   (`ServerSideApply`, `CreateNamespace`, `SkipDryRunOnMissingResource`,
   `FailOnSharedResource`; a resource's own `argocd.argoproj.io/sync-options` win);
3. the real KubeRay operator, started with the args and environment of the operator
   Deployment the environment deploys and acting as that Deployment's ServiceAccount
   (a token from the TokenRequest API), so the repository's RBAC is what it gets.

The API server's refusals and the operator's Warning events are findings; the objects the
operator generates (head and worker Pods, Services, the autoscaler's RBAC, the RayClusters
of RayJobs and RayServices) are returned for the checks. Nothing here decides whether an
object is valid: the API server and the operator do.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from kuberay_gitops import diskcache
from kuberay_gitops.checks import _argocd
from kuberay_gitops.checks._api import RepoFacts
from kuberay_gitops.exitcodes import ToolFailed
from kuberay_gitops.findings import FieldPath, Severity
from kuberay_gitops.index import (
    RAY_KINDS,
    WORKLOAD_TEMPLATE,
    Generated,
    ObjectIndex,
    get_path,
    operator_container,
)
from kuberay_gitops.manifests import K8sObject, objects_from_docs
from kuberay_gitops.tools import twin
from kuberay_gitops.tools.kubeapi import ApiError, KubeAPI, Resource
from kuberay_gitops.tools.runner import Service, one_line

APPLY = "cluster-apply"
CEL = "cluster-cel"
ADMISSION = "cluster-admission"
OPERATOR = "cluster-operator"
CHECK_IDS = (APPLY, CEL, ADMISSION, OPERATOR)
HINTS: Mapping[str, str] = MappingProxyType(
    {
        APPLY: "the API server refused the object as Argo CD would apply it; fix the field it "
        "names (run `kuberay-gitops validate` again to see the object in the twin)",
        CEL: "the object breaks a validation rule (x-kubernetes-validations) of its CRD; change "
        "the fields the rule's message names",
        ADMISSION: "an admission controller (Pod Security admission, a webhook) refused the "
        "object; harden the pod template or relabel the namespace deliberately",
        OPERATOR: "the KubeRay operator could not reconcile the object as written; fix the "
        "field its event names, or the operator's RBAC and flags",
    }
)
FIELD_MANAGER = "argocd-controller"
PREREQUISITE_MANAGER = "cluster-prerequisites"
ESTABLISHED_SECONDS = 20.0
# How long ago a prerequisite CRD is marked established (`_established_long_ago`).
PREREQUISITE_AGE = 3600
OPERATOR_GRACE = 2.0  # how long an operator with nothing to reconcile must stay up
CRD_PARALLEL = 2  # CRDs applied side by side (the machines this runs on have 2 cores)
# The kinds whose objects the operator (or the API server for it) may generate.
GENERATED_KINDS: tuple[tuple[str, str], ...] = (
    ("v1", "Pod"),
    ("v1", "Service"),
    ("v1", "ServiceAccount"),
    ("v1", "Secret"),
    ("v1", "ConfigMap"),
    ("rbac.authorization.k8s.io/v1", "Role"),
    ("rbac.authorization.k8s.io/v1", "RoleBinding"),
    ("batch/v1", "Job"),
    ("networking.k8s.io/v1", "Ingress"),
    ("ray.io/v1", "RayCluster"),
    ("ray.io/v1", "RayJob"),
    ("scheduling.volcano.sh/v1beta1", "PodGroup"),
)

# Argo CD's apply order of kinds inside one sync wave (gitops-engine pkg/sync/sync_tasks.go,
# `kindOrder`); every other kind (custom resources) comes after these.
ARGOCD_KIND_ORDER: tuple[str, ...] = (
    "Namespace", "NetworkPolicy", "ResourceQuota", "LimitRange", "PodSecurityPolicy",
    "PodDisruptionBudget", "ServiceAccount", "Secret", "SecretList", "ConfigMap",
    "StorageClass", "PersistentVolume", "PersistentVolumeClaim", "CustomResourceDefinition",
    "ClusterRole", "ClusterRoleList", "ClusterRoleBinding", "ClusterRoleBindingList", "Role",
    "RoleList", "RoleBinding", "RoleBindingList", "Service", "DaemonSet", "Pod",
    "ReplicationController", "ReplicaSet", "Deployment", "HorizontalPodAutoscaler",
    "StatefulSet", "Job", "CronJob", "IngressClass", "Ingress", "APIService",
)  # fmt: skip
_KIND_RANK = MappingProxyType(
    {k: i - len(ARGOCD_KIND_ORDER) for i, k in enumerate(ARGOCD_KIND_ORDER)}
)
_PHASE_RANK = MappingProxyType({"PreSync": -1, "Sync": 0, "PostSync": 1, "SyncFail": 2})
_SYNC_OPTIONS = "argocd.argoproj.io/sync-options"
_HOOK = "argocd.argoproj.io/hook"


# ---------------------------------------------------------------------------- values


@dataclass(frozen=True, slots=True)
class Unit:
    """One Application of an environment: its render target and how Argo CD syncs it."""

    app: str
    target: str
    step: int
    namespace: str
    options: Mapping[str, str]
    # The Application or ApplicationSet that generates it, and where each sync option is set
    # there: a failure caused by a sync option is reported at that line.
    owner: K8sObject | None = None
    option_fields: Mapping[str, FieldPath] = field(default_factory=dict)

    def option(self, name: str, obj: K8sObject | None = None) -> bool:
        """A sync option's truth, the resource's own annotation first (Argo CD's rule)."""
        if obj is not None:
            own = _parse_options(str(obj.annotations.get(_SYNC_OPTIONS, "")))
            if name in own:
                return own[name].lower() == "true"
        return self.options.get(name, "false").lower() == "true"


@dataclass(frozen=True, slots=True)
class Environment:
    """One destination cluster and the units that Argo CD syncs to it, in order."""

    name: str
    units: tuple[Unit, ...]

    @property
    def targets(self) -> frozenset[str]:
        """The render targets of its units."""
        return frozenset(u.target for u in self.units)


@dataclass(frozen=True, slots=True)
class Problem:
    """A refusal or a Warning, on the repository object (or the owner of a generated one)."""

    obj: K8sObject
    field: FieldPath
    check_id: str
    message: str
    severity: Severity = Severity.ERROR

    @property
    def hint(self) -> str:
        """The fix for this kind of failure."""
        return HINTS[self.check_id]


@dataclass(frozen=True, slots=True)
class EnvironmentResult:
    """What one environment's twin said."""

    name: str
    applied: int
    generated: tuple[Generated, ...]
    problems: tuple[Problem, ...]
    seconds: float
    cached: bool = False  # the verdict of an earlier run with the same inputs
    complete: bool = True  # False when the operator's wait timed out: never cached


# ---------------------------------------------------------------------------- environments


def _parse_options(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in re.split(r"[,\s]+", text):
        if "=" in part:
            k, v = part.split("=", 1)
            out[k.strip()] = v.strip()
    return out


def _matches(expr: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    key, op = str(expr.get("key", "")), str(expr.get("operator", ""))
    values = [str(v) for v in (expr.get("values") or [])]
    if op == "In":
        return labels.get(key) in values
    if op == "NotIn":
        return labels.get(key) not in values
    return False


def _step(app: _argocd.GeneratedApp) -> int:
    """The app's RollingSync step; every app is step 0 without the strategy.

    Apps no step selects are never synced by the ApplicationSet; they go last here.
    """
    if not app.generated:
        return 0
    strategy = app.owner.spec.get("strategy") or {}
    if strategy.get("type") != "RollingSync":
        return 0
    steps = (strategy.get("rollingSync") or {}).get("steps") or []
    for i, step in enumerate(steps):
        exprs = step.get("matchExpressions") or [] if isinstance(step, Mapping) else []
        if exprs and all(_matches(e, app.labels) for e in exprs if isinstance(e, Mapping)):
            return i
    return len(steps)


def environments(argocd_index: ObjectIndex, facts: RepoFacts) -> list[Environment]:
    """Every destination cluster with the units this repository syncs to it, in order."""
    by_cluster: dict[str, list[tuple[int, int, int, Unit]]] = {}
    for n, app in enumerate(_argocd.applications(argocd_index, facts)):
        for i, src in enumerate(app.sources):
            path = _argocd.normalize_path(src.get("path") or "")
            if path not in facts.targets or not _argocd.same_repo(
                src.get("repoURL"), facts.repo_url
            ):
                continue
            options = _parse_options(" ".join(o for _, o in app.sync_options))
            fields = {  # "" is the list itself, where a missing option would go
                "": app.field("spec", "syncPolicy", "syncOptions"),
                **{
                    o.split("=", 1)[0]: app.field("spec", "syncPolicy", "syncOptions", i)
                    for i, o in app.sync_options
                },
            }
            unit = Unit(
                app.name,
                path,
                _step(app),
                str(app.destination.get("namespace") or ""),
                options,
                app.owner,
                fields,
            )
            by_cluster.setdefault(app.cluster, []).append((unit.step, n, i, unit))
    return [
        Environment(name, tuple(u for *_, u in sorted(units, key=lambda x: x[:3])))
        for name, units in sorted(by_cluster.items())
        if name
    ]


# ---------------------------------------------------------------------------- order


def _wave(obj: K8sObject) -> int:
    try:
        return int(str(obj.annotations.get(_argocd.SYNC_WAVE, "0")).strip())
    except ValueError:
        return 0


def sync_order(objects: Sequence[K8sObject]) -> list[K8sObject]:
    """One Application's objects in Argo CD's apply order: phase, wave, kind, name."""

    def key(o: K8sObject) -> tuple[int, int, int, str]:
        phase = _PHASE_RANK.get(str(o.annotations.get(_HOOK, "Sync")).split(",")[0], 0)
        return (phase, _wave(o), _KIND_RANK.get(o.ref.kind, 0), o.ref.name)

    return sorted(objects, key=key)


# ---------------------------------------------------------------------------- field paths

_FIELD_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]|\[([^\]]*)\]")


def parse_field(text: str) -> FieldPath:
    """`spec.containers[0].ports[1].name` (an API server cause) as a FieldPath."""
    out: list[str | int] = []
    for name, index, key in _FIELD_PART.findall(text.strip()):
        if index:
            out.append(int(index))
        elif name:
            out.append(name)
        elif key:
            out.append(key)
    return tuple(out)


def _cel_texts(crds: Sequence[Mapping[str, Any]]) -> list[str]:
    """The messages and rules of every x-kubernetes-validations of the CRDs."""
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, Mapping):
            for rule in node.get("x-kubernetes-validations") or []:
                if isinstance(rule, Mapping):
                    for k in ("message", "rule"):
                        if isinstance(rule.get(k), str) and rule[k].strip():
                            out.append(rule[k].strip())
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    for crd in crds:
        walk(crd.get("spec"))
    return out


def classify(error: ApiError, cel_texts: Sequence[str]) -> str:
    """Which kind of refusal: a CRD's CEL rule, an admission controller, or any other."""
    text = " ".join([error.message, *(c.message for c in error.causes)])
    if error.status == 403 and ("PodSecurity" in text or "admission" in text):
        return ADMISSION
    if "admission webhook" in text:
        return ADMISSION
    if error.status == 422 and any(t in text for t in cel_texts):
        return CEL
    return APPLY


def _too_big_for_client_side(error: ApiError) -> bool:
    """Client-side apply's annotation pushed the object over the 256 KiB limit."""
    return any(
        c.field == "metadata.annotations" and "Too long" in c.message for c in error.causes
    ) or ("metadata.annotations: Too long" in error.message)


def _problem_field(error: ApiError) -> FieldPath:
    for cause in error.causes:
        if cause.field:
            return parse_field(cause.field)
    return ()


# ---------------------------------------------------------------------------- the twin run


@dataclass(slots=True)
class _Run:
    """The state of one environment's twin while it is being applied."""

    api: KubeAPI
    cel_texts: list[str]
    abort: threading.Event = field(default_factory=threading.Event)
    problems: list[Problem] = field(default_factory=list)
    applied: dict[str, K8sObject] = field(default_factory=dict)  # uid -> repo object
    owners: dict[tuple[str, str, str], str] = field(default_factory=dict)  # key -> app
    count: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    # The namespace each object was applied in (the destination's, when it names none).
    namespaces: dict[tuple[str, int], str] = field(default_factory=dict)
    timed_out: bool = False  # a verdict that depends on the machine's speed is not kept

    def namespace(self, obj: K8sObject) -> str:
        """Where `obj` lives in the twin."""
        return self.namespaces.get((obj.target, obj.position)) or obj.ref.namespace or "default"

    def check_abort(self) -> None:
        """Stop this environment when the run is interrupted or another twin failed."""
        if self.abort.is_set():
            raise ToolFailed("cluster stage interrupted")

    def refuse(self, obj: K8sObject, check_id: str, message: str, fld: FieldPath = ()) -> None:
        with self.lock:
            self.problems.append(Problem(obj, fld, check_id, one_line(message)))


def _with_namespace(obj: K8sObject, res: Resource, unit: Unit) -> dict[str, Any]:
    body = dict(obj.body)
    meta = dict(body.get("metadata") or {})
    if res.namespaced and not meta.get("namespace"):
        meta["namespace"] = unit.namespace or "default"
    if not res.namespaced:
        meta.pop("namespace", None)
    body["metadata"] = meta
    return body


def _resource(run: _Run, obj: K8sObject) -> Resource | None:
    res = run.api.resource(obj.ref.api_version, obj.ref.kind)
    if res is None:
        run.api.discover()  # a CRD applied earlier may have been established since
        res = run.api.resource(obj.ref.api_version, obj.ref.kind)
    return res


def _wait_established(api: KubeAPI, names: Sequence[str]) -> None:
    """Wait until CRDs are Established (their kinds served), then re-read discovery."""
    res = api.resource("apiextensions.k8s.io/v1", "CustomResourceDefinition")
    if res is None or not names:
        return
    deadline = time.monotonic() + ESTABLISHED_SECONDS
    pending = set(names)
    while pending and time.monotonic() < deadline:
        for name in sorted(pending):
            with contextlib.suppress(ApiError):
                crd = api.get(res, None, name)
                conds = (crd.get("status") or {}).get("conditions") or []
                if any(c.get("type") == "Established" and c.get("status") == "True" for c in conds):
                    pending.discard(name)
        if pending:
            time.sleep(0.1)
    api.discover()


def _apply_unit(run: _Run, unit: Unit, objects: Sequence[K8sObject]) -> None:
    """One Application's sync: its destination namespace, then its objects in order."""
    api = run.api
    if unit.option("CreateNamespace") and unit.namespace:
        ns_res = api.resource("v1", "Namespace")
        assert ns_res is not None
        with contextlib.suppress(ApiError):  # it may exist already: that is fine
            api.create(ns_res, None, {"metadata": {"name": unit.namespace}})
    ordered = sync_order(objects)
    i = 0
    while i < len(ordered):
        run.check_abort()
        # Consecutive CRDs (same wave, one kind) do not depend on each other: applied side
        # by side, the API server's work on megabyte-sized schemas uses both cores.
        j = i
        while j < len(ordered) and ordered[j].ref.kind == "CustomResourceDefinition":
            j += 1
        if j > i + 1:
            with ThreadPoolExecutor(max_workers=CRD_PARALLEL) as pool:
                applied = list(pool.map(lambda o: _apply_one(run, unit, o), ordered[i:j]))
            _wait_established(
                api, [o.ref.name for o, ok in zip(ordered[i:j], applied, strict=True) if ok]
            )
            i = j
            continue
        if _apply_one(run, unit, ordered[i]) and ordered[i].ref.kind == "CustomResourceDefinition":
            _wait_established(api, [ordered[i].ref.name])
        i += 1


def _apply_one(run: _Run, unit: Unit, obj: K8sObject) -> bool:
    """Apply one object as its Application would; True when the API server took it."""
    api = run.api
    res = _resource(run, obj)
    if res is None:
        how = (
            "its apply fails"
            if unit.option("SkipDryRunOnMissingResource", obj)
            else "Argo CD's dry run fails (SkipDryRunOnMissingResource is not set)"
        )
        run.refuse(
            obj,
            APPLY,
            f"{obj.ref.kind} {obj.ref.api_version} is not served by the cluster when "
            f"{unit.app} syncs: {how}; its CRD is not installed by an earlier unit or "
            "a cluster prerequisite",
            ("apiVersion",),
        )
        return False
    body = _with_namespace(obj, res, unit)
    meta = body["metadata"]
    key = (f"{obj.ref.api_version}/{obj.ref.kind}", str(meta.get("namespace", "")), obj.ref.name)
    with run.lock:
        other = run.owners.get(key)
    if other is not None and other != unit.app and unit.option("FailOnSharedResource", obj):
        run.refuse(
            obj,
            APPLY,
            f"{obj.ref.kind} {obj.ref.name} is also synced by {other}: {unit.app} fails "
            "with FailOnSharedResource=true",
            ("metadata", "name"),
        )
        return False
    server_side = unit.option("ServerSideApply", obj)
    try:
        live = api.apply(res, body, server_side=server_side, manager=FIELD_MANAGER)
    except ApiError as exc:
        if not server_side and _too_big_for_client_side(exc) and unit.owner is not None:
            run.refuse(
                unit.owner,
                APPLY,
                f"{obj.ref.kind} {obj.ref.name} is too big for client-side apply "
                f"({exc.message}): Application {unit.app} needs ServerSideApply=true",
                unit.option_fields.get("ServerSideApply", unit.option_fields.get("", ())),
            )
        run.refuse(obj, classify(exc, run.cel_texts), str(exc), _problem_field(exc))
        return False
    uid = str((live.get("metadata") or {}).get("uid", ""))
    with run.lock:
        run.owners[key] = unit.app
        run.namespaces[(obj.target, obj.position)] = str(meta.get("namespace") or "")
        run.count += 1
        if uid:
            run.applied[uid] = obj
        if obj.ref.kind == "CustomResourceDefinition":
            run.cel_texts.extend(_cel_texts([obj.body]))
    return True


def _install_prerequisites(
    api: KubeAPI,
    objects: Sequence[Mapping[str, Any]],
    used: Collection[tuple[str, str]] = (),
) -> None:
    """The cluster's own namespaces and CRDs (not the repository's), applied server-side.

    `used`: the (API group, kind) pairs the environment's objects have; the CRDs serving
    them are marked established long ago (`_established_long_ago`).
    """

    def install(obj: Mapping[str, Any]) -> None:
        res = api.resource(str(obj.get("apiVersion")), str(obj.get("kind")))
        assert res is not None  # Namespaces and CRDs are always served
        api.apply(res, obj, server_side=True, manager=PREREQUISITE_MANAGER)

    with ThreadPoolExecutor(max_workers=CRD_PARALLEL) as pool:
        list(pool.map(install, objects))
    crds = {
        str((o.get("metadata") or {}).get("name", "")): o
        for o in objects
        if o.get("kind") == "CustomResourceDefinition"
    }
    _wait_established(api, list(crds))
    _established_long_ago(api, [name for name, crd in crds.items() if _serves(crd) in used])


def kinds_used(objects: Iterable[K8sObject]) -> set[tuple[str, str]]:
    """The (API group, kind) pairs of the objects, as a CRD's `spec.group` and kind name them."""
    return {(o.ref.api_version.rpartition("/")[0], o.ref.kind) for o in objects}


def _serves(crd: Mapping[str, Any]) -> tuple[str, str]:
    """The (API group, kind) a CRD serves, as `kinds_used` names an object's."""
    spec = crd.get("spec") or {}
    return str(spec.get("group", "")), str((spec.get("names") or {}).get("kind", ""))


def _established_long_ago(api: KubeAPI, names: Sequence[str]) -> None:
    """Move the Established time of these CRDs back by `PREREQUISITE_AGE` seconds.

    kube-apiserver holds every create of a custom resource for two seconds while its CRD
    was established less than two seconds ago (apiextensions-apiserver v0.32
    `customresource_handler.go`, `justCreated`: so that the other servers of an HA
    cluster have seen it). A prerequisite is what the cluster had long before Argo CD
    syncs, so that pause is none of the sync's; it was two seconds of every environment's
    twin, on its first ServiceMonitor. Only the condition's time changes; a CRD that
    changed meanwhile (the `test` fails) or cannot be read keeps its own.
    """
    res = api.resource("apiextensions.k8s.io/v1", "CustomResourceDefinition")
    if res is None or not names:
        return
    then = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - PREREQUISITE_AGE))

    def backdate(name: str) -> None:
        with contextlib.suppress(ApiError):
            conds = (api.get(res, None, name).get("status") or {}).get("conditions") or []
            at = next(
                (
                    i
                    for i, c in enumerate(conds)
                    if c.get("type") == "Established" and c.get("status") == "True"
                ),
                None,
            )
            if at is not None:
                api.json_patch(
                    res.path(None, name) + "/status",
                    [
                        {
                            "op": "test",
                            "path": f"/status/conditions/{at}/type",
                            "value": "Established",
                        },
                        {
                            "op": "replace",
                            "path": f"/status/conditions/{at}/lastTransitionTime",
                            "value": then,
                        },
                    ],
                )

    with ThreadPoolExecutor(max_workers=CRD_PARALLEL) as pool:
        list(pool.map(backdate, names))


def _default_service_accounts(api: KubeAPI) -> None:
    """kube-controller-manager's ServiceAccount controller: a `default` one per namespace."""
    ns_res = api.resource("v1", "Namespace")
    sa_res = api.resource("v1", "ServiceAccount")
    assert ns_res is not None
    assert sa_res is not None
    for ns in api.list(ns_res):
        name = ns["metadata"]["name"]
        with contextlib.suppress(ApiError):  # already there
            api.create(sa_res, name, {"metadata": {"name": "default", "namespace": name}})


def _workload_pods(run: _Run, objects: Sequence[K8sObject]) -> None:
    """The Pod each applied workload's controller would create, sent as a dry run.

    There is no kube-controller-manager in the twin, so a Deployment's Pods are never
    created; Pod Security admission (which only warns on a Deployment) and ServiceAccount
    admission judge them here, as they would judge the controller's Pods.
    """
    pod_res = run.api.resource("v1", "Pod")
    assert pod_res is not None
    for obj in objects:
        path = WORKLOAD_TEMPLATE.get(obj.ref.kind)
        with run.lock:
            applied = (obj.target, obj.position) in run.namespaces
        if path is None or not applied:
            continue
        template = get_path(obj.body, path)
        if not isinstance(template, Mapping):
            continue
        meta = template.get("metadata") or {}
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"generateName": f"{obj.ref.name}-", "labels": meta.get("labels") or {}},
            "spec": template.get("spec") or {},
        }
        try:
            run.api.request(
                "POST",
                pod_res.path(run.namespace(obj)),
                pod,
                query={"dryRun": "All", "fieldManager": FIELD_MANAGER},
            )
        except ApiError as exc:
            check = ADMISSION if exc.status == 403 else APPLY
            run.refuse(
                obj,
                check,
                f"the Pods of {obj.ref.kind} {obj.ref.name} would be refused: {exc}",
                (*path, *_pod_field(exc, template)),
            )


def _pod_field(error: ApiError, template: Mapping[str, Any]) -> FieldPath:
    """The template field a refused Pod's error names.

    A field path, or a container by name (its securityContext when it has one: that is
    what Pod Security admission judges).
    """
    text = " ".join([error.message, *(c.field for c in error.causes)])
    named = _POD_FIELD.search(text)
    if named:
        return parse_field(named.group(1))
    pod_level = _pod_level_field(text, template)
    if pod_level:
        return pod_level
    container = _CONTAINER.search(text)
    spec = template.get("spec") or {}
    at = _container_at(spec, container.group(1)) if container else None
    if at is None:
        return ("spec",)
    judged = "securityContext" in spec[at[0]][at[1]]
    return ("spec", *at, *(("securityContext",) if judged else ()))


def _container_at(pod_spec: Any, name: str) -> tuple[str, int] | None:
    """(`containers` or `initContainers`, index) of the container called `name`."""
    for key in ("containers", "initContainers"):
        items = pod_spec.get(key) if isinstance(pod_spec, Mapping) else None
        for i, c in enumerate(items if isinstance(items, list) else []):
            if isinstance(c, Mapping) and c.get("name") == name:
                return key, i
    return None


# ---------------------------------------------------------------------------- the operator

_BOOL_FLAGS = frozenset(
    {"--enable-batch-scheduler", "--forced-cluster-upgrade", "--enable-metrics",
     "--use-kubernetes-proxy"}
)  # fmt: skip


def operator_deployment(objects: Sequence[K8sObject]) -> K8sObject | None:
    """The environment's KubeRay operator Deployment (by its image), if it deploys one."""
    return next((o for o in objects if operator_container(o) is not None), None)


# What the repository may pass to the operator binary the twin runs: the flags of
# ray-operator/main.go that change what it reconciles, and the environment variables its
# controllers read (os.Getenv in controllers/, v1.7.0). Anything else (--kubeconfig,
# --config, --log-file-path, zap's file sinks, GO*, proxies) would let a pull request point
# the operator at another cluster or at files: it is a finding, and not passed.
OPERATOR_FLAGS = frozenset(
    {
        "--watch-namespace",
        "--feature-gates",
        "--enable-batch-scheduler",
        "--batch-scheduler",
        "--reconcile-concurrency",
        "--forced-cluster-upgrade",
        "--enable-metrics",
        "--use-kubernetes-proxy",
        "--qps",
        "--burst",
        "--log-stdout-encoder",
        "--leader-election-namespace",
    }
)
OPERATOR_ENV = frozenset(
    {
        "CLUSTER_DOMAIN",
        "DELETE_RAYJOB_CR_AFTER_JOB_FINISHES",
        "ENABLE_DETERMINISTIC_HEAD_POD_NAME",
        "ENABLE_GCS_FT_REDIS_CLEANUP",
        "ENABLE_INIT_CONTAINER_INJECTION",
        "ENABLE_LOGIN_SHELL",
        "ENABLE_PROBES_INJECTION",
        "ENABLE_RANDOM_POD_DELETE",
        "ENABLE_RAY_HEAD_CLUSTER_IP_SERVICE",
        "ENABLE_ZERO_DOWNTIME",
        "RAYCLUSTER_DEFAULT_REQUEUE_SECONDS_ENV",
        "RAYJOB_DEPLOYMENT_STATUS_TRANSITION_GRACE_PERIOD_SECONDS",
        "RAYJOB_STATUS_CHECK_TIMEOUT_SECONDS",
        "USE_INGRESS_ON_OPENSHIFT",
    }
)


@dataclass(frozen=True, slots=True)
class OperatorCommand:
    """The operator's args and environment as the twin runs them, and what it refused."""

    args: tuple[str, ...]
    env: Mapping[str, str]
    refused: tuple[tuple[FieldPath, str], ...] = ()  # (container field, why)


def operator_args(deployment: K8sObject) -> OperatorCommand:
    """The operator container's allowed args and environment (namespace fieldRefs filled)."""
    index, c = operator_container(deployment) or (0, {})
    at: FieldPath = ("spec", "template", "spec", "containers", index)
    args: list[str] = []
    refused: list[tuple[FieldPath, str]] = []
    for i, raw in enumerate(c.get("args") or []):
        arg = str(raw)
        name = arg.split("=", 1)[0]
        if name in twin.OPERATOR_OWN_FLAGS:
            continue
        if name in OPERATOR_FLAGS and (
            arg.startswith("--") and ("=" in arg or name in _BOOL_FLAGS)
        ):
            args.append(arg)
        else:
            refused.append(
                (
                    (*at, "args", i),
                    f"operator argument {arg!r} is not run on the twin: only "
                    "--flag=value forms of " + ", ".join(sorted(OPERATOR_FLAGS)) + " are",
                )
            )
    env: dict[str, str] = {}
    for i, e in enumerate(c.get("env") or []):
        name = str(e.get("name", ""))
        ref = ((e.get("valueFrom") or {}).get("fieldRef") or {}).get("fieldPath")
        if name not in OPERATOR_ENV:
            if ref != "metadata.namespace":  # POD_NAMESPACE and the like: harmless
                refused.append(
                    (
                        (*at, "env", i),
                        f"operator environment variable {name} is not set on "
                        "the twin: it is not one the v1.7.0 operator reads",
                    )
                )
            continue
        if "value" in e:
            env[name] = str(e["value"])
    return OperatorCommand(tuple(args), env, tuple(refused))


def watched_namespaces(args: Sequence[str]) -> frozenset[str] | None:
    """`--watch-namespace` as a set; None when the operator watches every namespace."""
    for a in args:
        if a.startswith("--watch-namespace="):
            names = frozenset(n.strip() for n in a.split("=", 1)[1].split(",") if n.strip())
            return names or None
    return None


def _owner_uid(body: Mapping[str, Any]) -> str | None:
    refs = (body.get("metadata") or {}).get("ownerReferences") or []
    for r in refs:
        if r.get("controller"):
            return str(r.get("uid"))
    return str(refs[0].get("uid")) if refs else None


def _root(
    uid: str | None, live: Mapping[str, Mapping[str, Any]], applied: Mapping[str, K8sObject]
) -> K8sObject | None:
    seen: set[str] = set()
    while uid and uid not in seen:
        if uid in applied:
            return applied[uid]
        seen.add(uid)
        body = live.get(uid)
        uid = _owner_uid(body) if body is not None else None
    return None


def _snapshot(api: KubeAPI) -> dict[str, Mapping[str, Any]]:
    live: dict[str, Mapping[str, Any]] = {}
    for item in api.items(GENERATED_KINDS):
        uid = (item.get("metadata") or {}).get("uid")
        if uid:
            live[str(uid)] = item
    return live


def _desired_workers(cluster: Mapping[str, Any]) -> dict[str, int]:
    """Worker Pods per group the operator creates at once (replicas clamped to min..max)."""
    spec = cluster.get("spec") or {}
    if spec.get("suspend") is True:
        return {}
    out: dict[str, int] = {}
    for g in spec.get("workerGroupSpecs") or []:
        if not isinstance(g, Mapping) or g.get("suspend") is True:
            continue
        lo = int(g.get("minReplicas") or 0)
        hi = int(g.get("maxReplicas") or 2**31 - 1)
        want = int(g.get("replicas", lo) or 0)
        out[str(g.get("groupName", ""))] = min(max(want, lo), hi) * int(g.get("numOfHosts") or 1)
    return out


def _key(o: K8sObject) -> str:
    return f"{o.ref.kind}/{o.ref.namespace}/{o.ref.name}"


def _settled(
    run: _Run,
    live: Mapping[str, Mapping[str, Any]],
    expected: Sequence[K8sObject],
    warned: set[str],
) -> bool:
    """Every expected Ray object has its head and workers below it, or a Warning about it."""
    pods: dict[tuple[str, str, str], int] = {}
    clusters: dict[str, tuple[str, Mapping[str, Any]]] = {}  # uid -> (root key, body)
    for uid, body in live.items():
        meta = body.get("metadata") or {}
        labels = meta.get("labels") or {}
        if body.get("kind") == "Pod" and "ray.io/cluster" in labels:
            k = (
                str(meta.get("namespace")),
                labels["ray.io/cluster"],
                labels.get("ray.io/group", ""),
            )
            pods[k] = pods.get(k, 0) + 1
        elif body.get("kind") == "RayCluster":
            root = run.applied.get(uid) or _root(_owner_uid(body), live, run.applied)
            if root is not None:
                clusters[uid] = (_key(root), body)
    ready: set[str] = set()
    blocked: set[str] = set()
    for root_key, body in clusters.values():
        meta = body.get("metadata") or {}
        ns, name = str(meta.get("namespace")), str(meta.get("name"))
        heads = pods.get((ns, name, "headgroup"), 0)
        workers_ok = all(
            pods.get((ns, name, group), 0) >= n for group, n in _desired_workers(body).items()
        )
        (ready if heads and workers_ok else blocked).add(root_key)
    for o in expected:
        key = _key(o)
        if o.ref.kind == "RayCronJob" or key in warned:
            continue  # a RayCronJob creates its RayJob on schedule, not now
        if key not in ready or key in blocked:
            return False
    return True


# Races between the operator's own reconciles, retried at once and harmless: a create that
# lost to an earlier one, an update of a stale version.
_TRANSIENT = re.compile(r"already exists|the object has been modified")


def _warnings(
    api: KubeAPI, live: Mapping[str, Mapping[str, Any]], run: _Run
) -> list[tuple[K8sObject, str]]:
    """Warning events about an applied object or anything generated below one."""
    res = api.resource("v1", "Event")
    if res is None:
        return []
    by_ref: dict[tuple[str, str, str], str] = {}
    for uid, body in live.items():
        meta = body.get("metadata") or {}
        by_ref[(str(body.get("kind")), str(meta.get("namespace", "")), str(meta.get("name")))] = uid
    for uid, obj in run.applied.items():
        by_ref[(obj.ref.kind, run.namespace(obj), obj.ref.name)] = uid
    out: list[tuple[K8sObject, str]] = []
    for ev in api.list(res):
        if ev.get("type") != "Warning" or _TRANSIENT.search(str(ev.get("message", ""))):
            continue
        inv = ev.get("involvedObject") or {}
        uid = str(inv.get("uid") or "") or by_ref.get(
            (str(inv.get("kind")), str(inv.get("namespace", "")), str(inv.get("name"))), ""
        )
        root = _root(uid, live, run.applied)
        if root is not None:
            out.append(
                (
                    root,
                    f"{inv.get('kind')} {inv.get('name')}: {ev.get('reason')}: {ev.get('message')}",
                )
            )
    return out


# The characters of generated name suffixes (apimachinery's utilrand alphabet).
_GENERATED_SUFFIX = re.compile(r"-[bcdfghjklmnpqrstvwxz2456789]{5}\b")
_RBAC_DENIAL = re.compile(
    r'is forbidden: User \\?"[^"\\]+\\?" cannot (\w+) resource \\?"([^"\\]+)\\?"'
    r'(?: in API group \\?"([^"\\]*)\\?")?'
)
LOG_BYTES = 2_000_000  # the end of the operator's log that is searched for RBAC denials


def _generic(message: str) -> str:
    """An event message without the random suffixes of generated names (one finding, not ten)."""
    return _GENERATED_SUFFIX.sub("-*", message)


def rbac_denials(log: str) -> list[str]:
    """`list pods in API group ""` for every RBAC refusal the operator logged."""
    out = []
    for verb, resource, group in _RBAC_DENIAL.findall(log):
        out.append(f'{verb} {resource} in API group "{group}"')
    return out


_POD_FIELD = re.compile(r"\b(spec\.(?:initContainers|containers)\[\d+\][\w.\[\]]*)")
_CONTAINER = re.compile(r'container \\?"([^"\\]+)\\?"')


def _event_field(owner: K8sObject, message: str) -> FieldPath:
    """Where a pod-creation failure points in the repository object.

    The pod template of the group (head or worker), and inside it the field the API
    server named (`spec.containers[0].ports[11].name`) or the container Pod Security
    admission named; KubeRay's autoscaler container comes from `autoscalerOptions`.
    """
    base = RAY_KINDS.get(owner.ref.kind)
    if base is None:
        return ()
    spec = get_path(owner.body, base)
    spec = spec if isinstance(spec, Mapping) else {}
    template: FieldPath = base
    if "head Pod" in message:
        template = (*base, "headGroupSpec", "template")
    else:  # worker Pods are named <cluster>-<group>-worker-<suffix>
        for i, g in enumerate(spec.get("workerGroupSpecs") or []):
            if isinstance(g, Mapping) and f"-{g.get('groupName')}-worker-" in message:
                template = (*base, "workerGroupSpecs", i, "template")
                break
    if template == base:
        return base
    named = _POD_FIELD.search(message)
    if named:
        return (*template, *parse_field(named.group(1)))
    container = _CONTAINER.search(message)
    if container:
        name = container.group(1)
        if name == "autoscaler" and "autoscalerOptions" in spec:
            return (*base, "autoscalerOptions")
        at = _container_at(get_path(owner.body, (*template, "spec")), name)
        if at is not None:
            return (*template, "spec", *at)
    pod_level = _pod_level_field(message, get_path(owner.body, template))
    return (*template, *pod_level) if pod_level else template


def _pod_level_field(message: str, template: Any) -> FieldPath | None:
    """The pod template field a pod-level Pod Security reason judges (or its parent)."""
    for reason, judged in _PSA_POD_FIELDS:
        if reason in message:
            for end in range(len(judged), 0, -1):
                if get_path(template, judged[:end]) is not None:
                    return judged[:end]
    return None


# Pod Security admission's pod-level reasons (k8s.io/pod-security-admission/policy,
# check_*.go) and the pod template field each judges.
_PSA_POD_FIELDS: tuple[tuple[str, FieldPath], ...] = (
    ("forbidden sysctls", ("spec", "securityContext", "sysctls")),
    ("hostPath volumes", ("spec", "volumes")),
    ("restricted volume types", ("spec", "volumes")),
    ("hostNetwork=true", ("spec", "hostNetwork")),
    ("hostPID=true", ("spec", "hostPID")),
    ("hostIPC=true", ("spec", "hostIPC")),
)


def _left_alone(obj: K8sObject) -> bool:
    """Objects the operator creates no Pods for now.

    Suspended ones, those managed by another controller (Kueue's MultiKueue), and a RayJob
    that runs on an existing cluster.
    """
    spec = obj.spec
    if spec.get("suspend") is True:
        return True
    managed = spec.get("managedBy")
    if isinstance(managed, str) and managed and managed != "ray.io/kuberay-operator":
        return True
    return obj.ref.kind == "RayJob" and bool(spec.get("clusterSelector"))


def _start_operator(
    plane: twin.ControlPlane, binary: Path, run: _Run, deployment: K8sObject | None
) -> tuple[Service | None, frozenset[str] | None]:
    """Run the operator as the environment deploys it: its args, env and ServiceAccount.

    Without an operator Deployment in the environment (one installed outside the
    repository), the operator runs with its defaults and cluster-admin rights.
    """
    api = run.api
    args: list[str] = []
    env: dict[str, str] = {}
    token = api.token
    if deployment is not None:
        command = operator_args(deployment)
        args, env = list(command.args), dict(command.env)
        for fld, why in command.refused:
            run.refuse(deployment, OPERATOR, why, fld)
        pod = (deployment.spec.get("template") or {}).get("spec") or {}
        sa = str(pod.get("serviceAccountName") or "default")
        ns = run.namespace(deployment)
        try:
            token = api.token_for(ns, sa)
        except ApiError as exc:
            run.refuse(
                deployment,
                OPERATOR,
                f"the operator's ServiceAccount {ns}/{sa} cannot act: {exc}",
                ("spec", "template", "spec", "serviceAccountName"),
            )
            return None, watched_namespaces(args)
    return plane.start_operator(binary, args, env, token), watched_namespaces(args)


def _collect(
    run: _Run,
    service: Service | None,
    watched: frozenset[str] | None,
    deployment: K8sObject | None,
    timeout: float,
) -> list[Generated]:
    """Wait until the operator has acted on every Ray object; its warnings and products."""
    api = run.api
    ray = [o for o in run.applied.values() if o.ref.kind in RAY_KINDS]
    expected = [
        o for o in ray if (watched is None or run.namespace(o) in watched) and not _left_alone(o)
    ]
    for o in ray:
        if o not in expected:
            run.refuse(
                o,
                OPERATOR,
                f"no KubeRay operator watches namespace {run.namespace(o)}: the operator "
                f"watches {', '.join(sorted(watched or ()))}, so {o.ref.kind} {o.ref.name} "
                "is never reconciled",
                ("metadata", "namespace"),
            )
    if service is None:
        return []
    deadline = time.monotonic() + timeout
    while True:
        run.check_abort()
        live = _snapshot(api)
        warnings = _warnings(api, live, run)
        if _settled(run, live, expected, {_key(o) for o, _ in warnings}):
            break
        if not service.alive():
            break
        if time.monotonic() > deadline:
            run.timed_out = True
            warned = {_key(o) for o, _ in warnings}
            for o in expected:
                if _key(o) not in warned and o.ref.kind != "RayCronJob":
                    run.refuse(
                        o,
                        OPERATOR,
                        f"the KubeRay operator did not create the Pods of {o.ref.kind} "
                        f"{o.ref.name} within {timeout:g}s and said nothing",
                    )
            break
        time.sleep(0.2)
    for obj, message in warnings:
        check = (
            ADMISSION if "PodSecurity" in message or "admission webhook" in message else OPERATOR
        )
        run.refuse(obj, check, _generic(message), _event_field(obj, message))
    if deployment is not None:
        # Every refusal since it started: one before a later unit brings the grant is not
        # harmless, its caches time out after two minutes and it exits, and a rollout that
        # waits for it to be healthy never reaches that later unit.
        for denial in sorted(set(rbac_denials(service.log_tail(LOG_BYTES)))):
            run.refuse(
                deployment,
                OPERATOR,
                f"the operator's ServiceAccount may not {denial}: its RBAC is missing a grant",
                ("spec", "template", "spec", "serviceAccountName"),
            )
    generated: list[Generated] = []
    for uid, body in live.items():
        if uid in run.applied:
            continue
        root = _root(_owner_uid(body), live, run.applied)
        if root is None:
            continue
        meta = {k: v for k, v in (body.get("metadata") or {}).items() if k != "managedFields"}
        clean = {**body, "metadata": meta}
        generated.extend(Generated(o, root) for o in objects_from_docs([clean], root.target))
    return generated


def layer_units(env: Environment, objects: Mapping[str, Sequence[K8sObject]]) -> tuple[Unit, ...]:
    """The leading units that hold nothing but CRDs (the crds unit): a shareable base."""
    out: list[Unit] = []
    for unit in env.units:
        objs = objects.get(unit.target, ())
        if not objs or any(o.ref.kind != "CustomResourceDefinition" for o in objs):
            break
        out.append(unit)
    return tuple(out)


@dataclass(slots=True)
class Layers:
    """Frozen twins holding only an environment's CRD units, shared between environments.

    Every environment of this run or a later one whose CRD units apply the same bytes the
    same way starts from the same store. Applying megabyte-sized CRDs is most of a twin's
    work; a twin started from a copy of such a store has them stored and served as the
    first twin left them. A layer is only kept when its units applied without any finding,
    so a layer never hides one. Without a cache a layer is built only when several
    environments of the run share it (for one, it would cost a twin more).
    """

    root: Path
    binaries: twin.TwinBinaries
    scratch: Path
    locks: dict[str, threading.Lock] = field(default_factory=dict)
    guard: threading.Lock = field(default_factory=threading.Lock)

    def key(self, units: Sequence[Unit], objects: Mapping[str, Sequence[K8sObject]]) -> str:
        """What the layer's store depends on: binaries, this code, the units' options and CRDs."""
        h = _own_hash(self.binaries, "layer-v1")
        for unit in units:
            h.update(
                json.dumps(
                    [unit.namespace, dict(unit.options), [o.body for o in objects[unit.target]]],
                    sort_keys=True,
                    default=str,
                ).encode()
            )
        return h.hexdigest()

    def get(
        self,
        units: Sequence[Unit],
        objects: Mapping[str, Sequence[K8sObject]],
        abort: threading.Event,
    ) -> Path | None:
        """The frozen store of these units, built now if no run has built it; None if they fail."""
        key = self.key(units, objects)
        with self.guard:
            lock = self.locks.setdefault(key, threading.Lock())
        with lock:  # two environments with the same CRDs: the second waits for the first
            path = self.root / key
            if path.is_dir():
                return path
            with twin.control_plane(self.binaries, self.scratch) as plane:
                run = _Run(plane.api, [], abort)
                for unit in units:
                    _apply_unit(run, unit, objects[unit.target])
                if run.problems:
                    return None
                self.root.mkdir(parents=True, exist_ok=True)
                plane.freeze(path)
            return path if path.is_dir() else None


def run_environment(
    env: Environment,
    objects: Mapping[str, Sequence[K8sObject]],
    prerequisites: Sequence[Mapping[str, Any]],
    binaries: twin.TwinBinaries,
    scratch: Path,
    timeout: float,
    abort: threading.Event | None = None,
    layers: Layers | None = None,
) -> EnvironmentResult:
    """One environment on a fresh twin: prerequisites, units in order, the operator.

    The operator starts once the unit holding its Deployment is applied, as in a real
    cluster, so later units meet a running operator. With `layers`, the twin starts from
    the store of its CRD units applied alone (then the prerequisites, which are CRDs and
    namespaces independent of them, come after them rather than before).
    """
    start = time.monotonic()
    abort = abort or threading.Event()
    every = [o for u in env.units for o in objects.get(u.target, ())]
    deployment = operator_deployment(every)
    used = kinds_used(every)
    base = layer_units(env, objects) if layers is not None else ()
    own = {str((p.get("metadata") or {}).get("name")) for p in prerequisites}
    if any(o.ref.name in own for u in base for o in objects[u.target]):
        base = ()  # a CRD of both: the order decides which one is served, so keep the order
    frozen = layers.get(base, objects, abort) if layers is not None and base else None
    if frozen is None:
        base = ()
    with twin.control_plane(binaries, scratch, etcd_data=frozen) as plane:
        run = _Run(plane.api, _cel_texts(prerequisites), abort)
        for unit in base:  # what the layer's twin applied, as it applied it
            for obj in objects[unit.target]:
                run.owners[(f"{obj.ref.api_version}/{obj.ref.kind}", "", obj.ref.name)] = unit.app
                run.count += 1
                run.cel_texts.extend(_cel_texts([obj.body]))
        _install_prerequisites(plane.api, prerequisites, used)
        service: Service | None = None
        watched: frozenset[str] | None = None
        started = False
        for unit in env.units[len(base) :]:
            unit_objects = objects.get(unit.target, ())
            _apply_unit(run, unit, unit_objects)
            _default_service_accounts(plane.api)  # kube-controller-manager's job
            _workload_pods(run, unit_objects)
            if not started and deployment is not None and deployment in unit_objects:
                service, watched = _start_operator(plane, binaries.operator, run, deployment)
                started = True
        if not started and any(o.ref.kind in RAY_KINDS for o in run.applied.values()):
            service, watched = _start_operator(plane, binaries.operator, run, None)
        generated = _collect(run, service, watched, deployment, timeout)
        unique = {
            (p.obj.ref, p.obj.target, p.field, p.check_id, p.message): p for p in run.problems
        }
        return EnvironmentResult(
            env.name,
            run.count,
            tuple(generated),
            tuple(unique.values()),
            time.monotonic() - start,
            complete=not run.timed_out,
        )


def run_all(
    envs: Sequence[Environment],
    objects: Mapping[str, Sequence[K8sObject]],
    prerequisites: Callable[[str], Sequence[Mapping[str, Any]]],
    binaries: twin.TwinBinaries,
    scratch: Path,
    cache: Path | None,
    timeout: float,
    jobs: int = 2,
) -> list[EnvironmentResult]:
    """Every environment, `jobs` twins at a time (each ~300 MB, mostly waiting on the API).

    An environment whose every input is unchanged since a run that stored its verdict
    (`cache`, keyed by `result_key`) is not applied again. A failure of one twin (exit 3)
    stops the others: the pool waits for each running environment, whose own context
    manager stops its processes.
    """
    if cache is not None:
        layers = Layers(cache / LAYERS_DIR, binaries, scratch)
    else:  # --no-cache: layers are shared within this run only
        scratch.mkdir(parents=True, exist_ok=True)
        layers = Layers(Path(tempfile.mkdtemp(prefix="layers-", dir=scratch)), binaries, scratch)
    shared: dict[str, int] = {}
    for env in envs:
        base = layer_units(env, objects)
        if base:
            k = layers.key(base, objects)
            shared[k] = shared.get(k, 0) + 1

    def use_layers(env: Environment) -> Layers | None:
        base = layer_units(env, objects)
        if not base or (cache is None and shared.get(layers.key(base, objects), 0) < 2):
            return None
        return layers

    def one(env: Environment) -> EnvironmentResult:
        try:
            return checked(env)
        except ApiError as exc:  # not about an object: the twin itself failed
            raise ToolFailed(f"cluster {env.name}: kube-apiserver: {exc}") from exc

    def checked(env: Environment) -> EnvironmentResult:
        pre = prerequisites(env.name)
        key = result_key(env, objects, pre, binaries, timeout) if cache is not None else ""
        if cache is not None:
            cached = load(cache, key, objects)
            if cached is not None:
                return cached
        result = run_environment(
            env, objects, pre, binaries, scratch, timeout, abort, use_layers(env)
        )
        if cache is not None and result.complete:
            store(cache, key, result)
        return result

    abort = threading.Event()
    try:
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            futures = [pool.submit(one, env) for env in envs]
            try:
                return [f.result() for f in futures]
            except BaseException:  # Ctrl-C or a failed twin: the others stop at their next step
                abort.set()
                for f in futures:
                    f.cancel()
                raise
    finally:
        if cache is None:
            shutil.rmtree(layers.root, ignore_errors=True)


# ---------------------------------------------------------------------------- verdict cache

CACHE_DIR = "cluster"
LAYERS_DIR = "cluster-layers"
_CACHE_LAYOUT = "cluster-v1"
# The code that turns a twin's answers into findings is part of every key.
_OWN_SOURCES = (
    "cluster.py",
    "tools/twin.py",
    "tools/kubeapi.py",
    "tools/runner.py",
    "index.py",
    "manifests.py",
    "checks/_argocd.py",
)


def _own_hash(binaries: twin.TwinBinaries, layout: str) -> hashlib._Hash:
    """A sha256 started with the layout, the binaries' recorded hashes and this stage's code."""
    h = hashlib.sha256(layout.encode() + b"\0")
    for path in (binaries.etcd, binaries.kube_apiserver, binaries.operator):
        h.update(twin.recorded_hash(path).encode() + b"\0")
    package = Path(__file__).parent
    for rel in _OWN_SOURCES:
        h.update((package / rel).read_bytes() + b"\0")
    return h


def result_key(
    env: Environment,
    objects: Mapping[str, Sequence[K8sObject]],
    prerequisites: Sequence[Mapping[str, Any]],
    binaries: twin.TwinBinaries,
    timeout: float,
) -> str:
    """A hash of everything an environment's verdict depends on.

    The bytes of the three binaries (their content hashes from set-up), this stage's own
    source, the prerequisites, and each unit in order: its Application, step, namespace,
    sync options and every object it applies.
    """
    h = _own_hash(binaries, _CACHE_LAYOUT)
    h.update(json.dumps([env.name, prerequisites, timeout], sort_keys=True, default=str).encode())
    for unit in env.units:
        owner = unit.owner
        h.update(
            json.dumps(
                [
                    unit.app,
                    unit.target,
                    unit.step,
                    unit.namespace,
                    dict(unit.options),
                    [owner.target, owner.position] if owner is not None else None,
                    {k: list(v) for k, v in unit.option_fields.items()},
                    [o.body for o in objects.get(unit.target, ())],
                ],
                sort_keys=True,
                default=str,
            ).encode()
        )
    return h.hexdigest()


def _position(obj: K8sObject) -> list[Any]:
    return [obj.target, obj.position]


def store(cache: Path, key: str, result: EnvironmentResult) -> None:
    """Write a verdict atomically (a concurrent run sees the old file or the new one)."""
    data = {
        "name": result.name,
        "applied": result.applied,
        "seconds": result.seconds,
        "generated": [[_position(g.owner), g.obj.body] for g in result.generated],
        "problems": [
            [_position(p.obj), list(p.field), p.check_id, p.message, p.severity.value]
            for p in result.problems
        ],
    }
    diskcache.write_json(cache / CACHE_DIR / f"{key}.json", data)


def load(
    cache: Path, key: str, objects: Mapping[str, Sequence[K8sObject]]
) -> EnvironmentResult | None:
    """A stored verdict, its objects re-attached to this run's (identical) objects."""
    try:
        data = json.loads((cache / CACHE_DIR / f"{key}.json").read_text())

        def obj(at: list[Any]) -> K8sObject:
            return objects[str(at[0])][int(at[1])]

        generated = tuple(
            g
            for owner, body in data["generated"]
            for g in (Generated(o, obj(owner)) for o in objects_from_docs([body], str(owner[0])))
        )
        problems = tuple(
            Problem(obj(at), tuple(fld), check, message, Severity(sev))
            for at, fld, check, message, sev in data["problems"]
        )
        return EnvironmentResult(
            str(data["name"]), int(data["applied"]), generated, problems, 0.0, cached=True
        )
    except (OSError, ValueError, KeyError, IndexError, TypeError):
        return None  # absent, or not what this layout writes: run the twin
