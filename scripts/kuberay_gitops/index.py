"""ObjectIndex: one rendered target's objects by kind/namespace/name, plus a pod view.

The pod view is the one pod universe of the checks: every workload's pod template, the
head and worker groups of every Ray kind and the RayJob submitters, with the labels
KubeRay gives the Pods it creates (`kuberay.py`), replaced by the real Pods where the
operator created them on the control-plane twin, so cross-object checks (Service
selectors, NetworkPolicies, monitors) see pods as the cluster will.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from kuberay_gitops import kuberay
from kuberay_gitops.findings import FieldPath
from kuberay_gitops.kuberay import RAY_CLUSTER_SPEC, RAY_KINDS, SUBMITTER_TEMPLATES, template_labels
from kuberay_gitops.manifests import K8sObject

__all__ = ("RAY_CLUSTER_SPEC", "RAY_KINDS", "SUBMITTER_TEMPLATES")

WORKLOAD_TEMPLATE: Mapping[str, FieldPath] = MappingProxyType(
    {
        "Deployment": ("spec", "template"),
        "StatefulSet": ("spec", "template"),
        "DaemonSet": ("spec", "template"),
        "ReplicaSet": ("spec", "template"),
        "ReplicationController": ("spec", "template"),
        "Job": ("spec", "template"),
        "CronJob": ("spec", "jobTemplate", "spec", "template"),
        "PodTemplate": ("template",),
    }
)


def get_path(node: Any, path: FieldPath) -> Any:
    """The value at `path`, or None when any step is missing."""
    for part in path:
        if isinstance(part, int):
            if not isinstance(node, list) or not 0 <= part < len(node):
                return None
        elif not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


@dataclass(frozen=True, slots=True)
class PodView:
    """A pod template as the cluster will run it.

    `path` is the field path of the template within `owner`; `ray_role` is `head` or
    `worker` for Ray pods (None otherwise) and `ray_params_path` locates rayStartParams.
    """

    owner: K8sObject
    path: FieldPath
    labels: Mapping[str, str]
    namespace: str
    ray_role: str | None = None
    group: str | None = None
    ray_params_path: FieldPath | None = None
    group_path: FieldPath | None = None
    real: K8sObject | None = None

    @property
    def template(self) -> Mapping[str, Any]:
        """The pod template (`metadata` + `spec`)."""
        t = get_path(self.owner.body, self.path)
        return t if isinstance(t, Mapping) else {}

    @property
    def spec(self) -> Mapping[str, Any]:
        """The pod spec."""
        s = self.template.get("spec")
        return s if isinstance(s, Mapping) else {}

    @property
    def spec_path(self) -> FieldPath:
        """Field path of the pod spec within the owner."""
        return (*self.path, "spec")

    def containers(self, init: bool = False) -> Iterator[tuple[FieldPath, Mapping[str, Any]]]:
        """(field path, container) for each container (and init container when asked)."""
        keys = ("initContainers", "containers") if init else ("containers",)
        for key in keys:
            items = self.spec.get(key)
            if isinstance(items, list):
                for i, c in enumerate(items):
                    if isinstance(c, Mapping):
                        yield (*self.spec_path, key, i), c

    def created_containers(self, init: bool = False) -> Iterator[Mapping[str, Any]]:
        """Containers of the Pod the operator created on the twin, else of the template.

        What the pod runs and listens on (KubeRay appends a `metrics` port, the autoscaler
        sidecar, the `wait-gcs-ready` init container); locate findings with `containers`.
        """
        if self.real is None:
            yield from (c for _, c in self.containers(init=init))
            return
        spec = self.real.body.get("spec")
        for key in ("initContainers", "containers") if init else ("containers",):
            items = spec.get(key) if isinstance(spec, Mapping) else None
            yield from (
                (c for c in items if isinstance(c, Mapping)) if isinstance(items, list) else ()
            )

    @property
    def ray_params(self) -> Mapping[str, Any]:
        """RayStartParams of this Ray group (empty for non-Ray pods)."""
        if self.ray_params_path is None:
            return {}
        p = get_path(self.owner.body, self.ray_params_path)
        return p if isinstance(p, Mapping) else {}

    @property
    def start_params(self) -> Mapping[str, Any]:
        """What Ray starts with: the real Pod's `ray start` flags, else rayStartParams.

        The real command holds the parameters KubeRay completes (`kuberay.start_flags`);
        without a real Pod the caller applies the model's defaults.
        """
        if self.real is not None and self.ray_role is not None:
            spec = self.real.body.get("spec")
            containers = spec.get("containers") if isinstance(spec, Mapping) else None
            if isinstance(containers, list) and containers:
                first = containers[kuberay.RAY_CONTAINER_INDEX]
                flags = kuberay.start_flags(first) if isinstance(first, Mapping) else None
                if flags is not None:
                    return flags
        return self.ray_params

    @property
    def group_spec(self) -> Mapping[str, Any]:
        """HeadGroupSpec / workerGroupSpecs[i] of a Ray pod (empty otherwise)."""
        if self.group_path is None:
            return {}
        g = get_path(self.owner.body, self.group_path)
        return g if isinstance(g, Mapping) else {}

    def __str__(self) -> str:
        where = f" {self.ray_role} group {self.group}" if self.group else ""
        return f"{self.owner.ref}{where}"


# The KubeRay operator's image (quay.io/kuberay/operator, a mirror's .../kuberay/operator).
KUBERAY_OPERATOR_IMAGE = re.compile(r"(^|/)kuberay/operator(:|@|$)")


def operator_container(obj: K8sObject) -> tuple[int, Mapping[str, Any]] | None:
    """(index, container) of the KubeRay operator in a Deployment, or None."""
    if obj.ref.kind != "Deployment":
        return None
    pod = get_path(obj.body, ("spec", "template", "spec"))
    containers = pod.get("containers") if isinstance(pod, Mapping) else None
    for i, c in enumerate(containers if isinstance(containers, list) else []):
        if isinstance(c, Mapping) and KUBERAY_OPERATOR_IMAGE.search(str(c.get("image", ""))):
            return i, c
    return None


def _embedded_templates(node: Any) -> Iterator[Mapping[str, Any]]:
    """Mappings under `node` shaped like a pod template (a `spec` with `containers`)."""
    if isinstance(node, Mapping):
        spec = node.get("spec")
        if isinstance(spec, Mapping) and isinstance(spec.get("containers"), list):
            yield node
            return
        for value in node.values():
            yield from _embedded_templates(value)
    elif isinstance(node, list):
        for value in node:
            yield from _embedded_templates(value)


def _ray_pods(obj: K8sObject, ns: str) -> Iterator[PodView]:
    for g in kuberay.ray_groups(obj.ref.kind, obj.ref.name, obj.body):
        yield PodView(
            obj, g.template_path, g.labels, ns, g.role, g.group, g.params_path, g.group_path
        )


def _submitter_pod(obj: K8sObject, ns: str) -> PodView | None:
    path = SUBMITTER_TEMPLATES[obj.ref.kind]
    template = get_path(obj.body, path)
    if not isinstance(template, Mapping):
        return None
    labels = kuberay.submitter_labels(obj.ref.kind, obj.ref.name, template_labels(template))
    return PodView(obj, path, labels, ns)


def _with_real_pods(pods: list[PodView], generated: Sequence[Generated]) -> list[PodView]:
    """Ray pod views carry the Pod the operator really created for their group, where it did.

    The labels and ports `kuberay.py` implies are our model of KubeRay; a Pod the operator
    generated on the control-plane twin for the same owner and group is the truth (a
    RayJob's cluster name, for one, is only known there). Groups with no Pod yet (no
    replicas, a RayCronJob that has not fired) keep the model.
    """
    real: dict[tuple[str, int, str], K8sObject] = {}
    for g in generated:
        group = g.obj.labels.get(kuberay.GROUP_LABEL) if g.obj.ref.kind == "Pod" else None
        if group:
            real.setdefault((g.owner.target, g.owner.position, str(group)), g.obj)
    if not real:
        return pods
    out = []
    for p in pods:
        pod = real.get((p.owner.target, p.owner.position, p.group or "")) if p.group else None
        if pod is None:
            out.append(p)
        else:
            labels = {str(k): str(v) for k, v in pod.labels.items()}
            out.append(replace(p, labels=labels, real=pod))
    return out


def label_selector_matches(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    """Kubernetes LabelSelector semantics (matchLabels + matchExpressions); empty matches all."""
    if selector is None:
        return True
    ml = selector.get("matchLabels") or {}
    if any(labels.get(str(k)) != str(v) for k, v in ml.items()):
        return False
    for expr in selector.get("matchExpressions") or []:
        key = str(expr.get("key"))
        op = expr.get("operator")
        values = {str(v) for v in expr.get("values") or []}
        has = key in labels
        if op == "In" and not (has and labels[key] in values):
            return False
        if op == "NotIn" and has and labels[key] in values:
            return False
        if op == "Exists" and not has:
            return False
        if op == "DoesNotExist" and has:
            return False
    return True


def map_selector_matches(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    """A plain `key: value` selector (Service `.spec.selector`); empty or None matches nothing."""
    if not selector:
        return False
    return all(labels.get(str(k)) == str(v) for k, v in selector.items())


@dataclass(frozen=True, slots=True)
class Generated:
    """An object the KubeRay operator created on the control-plane twin, and its owner.

    A Pod, a Service, a RayCluster of a RayJob...; `owner` is the repository object it
    descends from, at which a finding about it is located.
    """

    obj: K8sObject
    owner: K8sObject


@dataclass
class ObjectIndex:
    """All objects of one rendered target, indexed for cross-object checks.

    `generated` holds what the real operator made of them on the control-plane twin
    (empty when the cluster stage did not run): ground truth, where it exists, over the
    pod view's model of KubeRay.
    """

    objects: Sequence[K8sObject]
    target: str = ""
    generated: Sequence[Generated] = ()
    _by_kind: dict[str, list[K8sObject]] = field(default_factory=dict, init=False, repr=False)
    _pods: list[PodView] = field(default_factory=list, init=False, repr=False)

    def __post_init__(self) -> None:
        for obj in self.objects:
            self._by_kind.setdefault(obj.ref.kind, []).append(obj)
        for obj in self.objects:
            ns = obj.ref.namespace or "default"
            kind = obj.ref.kind
            if kind in RAY_KINDS:
                self._pods.extend(_ray_pods(obj, ns))
                submitter = _submitter_pod(obj, ns) if kind in SUBMITTER_TEMPLATES else None
                if submitter is not None:
                    self._pods.append(submitter)
            elif kind in WORKLOAD_TEMPLATE:
                tpath = WORKLOAD_TEMPLATE[kind]
                template = get_path(obj.body, tpath)
                if isinstance(template, Mapping):
                    self._pods.append(PodView(obj, tpath, template_labels(template), ns))
            elif kind == "Pod":
                self._pods.append(PodView(obj, (), dict(obj.labels), ns))
        self._pods = _with_real_pods(self._pods, self.generated)

    def of_kind(self, *kinds: str) -> list[K8sObject]:
        """Objects of the given kinds, in render order."""
        out: list[K8sObject] = []
        for k in kinds:
            out.extend(self._by_kind.get(k, []))
        return sorted(out, key=lambda o: o.position)

    def get(self, kind: str, name: str, namespace: str | None = None) -> K8sObject | None:
        """One object by kind, name and namespace."""
        for obj in self._by_kind.get(kind, []):
            if obj.ref.name == name and (obj.ref.namespace or None) == (namespace or None):
                return obj
        return None

    @property
    def pods(self) -> list[PodView]:
        """Every pod template the cluster will run (the one pod universe of the checks).

        Workloads, the head and worker groups of every Ray kind (RayCronJob included) and
        RayJob/RayCronJob submitters.
        """
        return list(self._pods)

    def foreign_pod_labels(self) -> list[tuple[str, Mapping[str, str]]]:
        """(namespace, labels) of pod templates inside kinds the pod view does not model.

        A SandboxTemplate's `podTemplate`, a training job's replica templates: their pods
        exist, with those labels, though no check can judge them, so a selector matching
        them does select pods. A template is any mapping whose `spec` has `containers`.
        """
        out: list[tuple[str, Mapping[str, str]]] = []
        for obj in self.objects:
            kind = obj.ref.kind
            if kind in RAY_KINDS or kind in WORKLOAD_TEMPLATE or kind == "Pod":
                continue
            ns = obj.ref.namespace or "default"
            out.extend((ns, template_labels(t)) for t in _embedded_templates(obj.body.get("spec")))
        return out

    def ray_pods(self) -> list[PodView]:
        """Pod templates of Ray head and worker groups."""
        return [p for p in self._pods if p.ray_role is not None]

    def namespace_labels(self, name: str) -> Mapping[str, str]:
        """Labels of a Namespace rendered in this target, plus the automatic name label."""
        labels: dict[str, str] = {"kubernetes.io/metadata.name": name}
        ns = self.get("Namespace", name)
        if ns is not None:
            labels.update({str(k): str(v) for k, v in ns.labels.items()})
        return labels

    def generated_of_kind(self, *kinds: str) -> list[Generated]:
        """Objects of the given kinds that the operator generated on the twin."""
        return [g for g in self.generated if g.obj.ref.kind in kinds]

    def pods_selected_by_service(self, svc: K8sObject) -> list[PodView]:
        """Pods in the Service's namespace matched by its `.spec.selector`."""
        ns = svc.ref.namespace or "default"
        sel = svc.spec.get("selector")
        return [p for p in self._pods if p.namespace == ns and map_selector_matches(sel, p.labels)]

    def pods_selected(self, namespace: str, selector: Mapping[str, Any] | None) -> list[PodView]:
        """Pods in a namespace matched by a LabelSelector."""
        return [
            p
            for p in self._pods
            if p.namespace == namespace and label_selector_matches(selector, p.labels)
        ]
