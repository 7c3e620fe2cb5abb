"""Builders of small Kubernetes objects for in-memory tests (no kustomize, no files).

Each returns a plain manifest dict; `index(*bodies)` makes the ObjectIndex a check or the
posture diff reads, and `issues(check_id, *bodies)` runs one check on it: the fast path
for the many cases of a check, while a few end-to-end tests per check family prove the
file and line. Keyword overrides replace whole fields, so a test states only what its
behaviour depends on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import yaml

from kuberay_gitops import checks as registry
from kuberay_gitops.checks._api import CheckContext, CheckSpec, Issue, RepoFacts
from kuberay_gitops.findings import Profile, Severity, format_field
from kuberay_gitops.index import ObjectIndex
from kuberay_gitops.manifests import objects_from_docs

Body = dict[str, Any]


def index(*bodies: Mapping[str, Any], target: str = "t") -> ObjectIndex:
    """An index of the given objects, as if one target had rendered them."""
    return ObjectIndex(objects_from_docs([dict(b) for b in bodies], target), target)


def namespace(name: str, labels: Mapping[str, str] | None = None) -> Body:
    """A Namespace with labels."""
    meta: Body = {"name": name}
    if labels:
        meta["labels"] = dict(labels)
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": meta}


Ports = Sequence[int | tuple[int, str] | Mapping[str, Any]]


def container(name: str = "app", ports: Ports = (), **extra: Any) -> Body:
    """A container; `ports` as numbers, (number, name) or whole entries; `extra` keys
    set or (None) removed."""
    out: Body = {"name": name, "image": "registry.example/app:1.0.0"}
    if ports:
        out["ports"] = [_port(p) for p in ports]
    return _set(out, extra)


def _port(p: int | tuple[int, str] | Mapping[str, Any]) -> Body:
    if isinstance(p, int):
        return {"containerPort": p}
    if isinstance(p, tuple):
        return {"name": p[1], "containerPort": p[0]}
    return dict(p)


def deployment(
    name: str,
    namespace: str = "apps",
    labels: Mapping[str, str] | None = None,
    containers: Sequence[Body] | None = None,
    **pod_spec: Any,
) -> Body:
    """A Deployment whose pods carry `labels` (default `app: <name>`)."""
    pod_labels = dict(labels or {"app": name})
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "selector": {"matchLabels": pod_labels},
            "template": {
                "metadata": {"labels": pod_labels},
                "spec": {"containers": list(containers or [container()]), **pod_spec},
            },
        },
    }


def daemonset(
    name: str,
    namespace: str = "apps",
    labels: Mapping[str, str] | None = None,
    containers: Sequence[Body] | None = None,
    **pod_spec: Any,
) -> Body:
    """A DaemonSet, built as `deployment` builds a Deployment."""
    return {**deployment(name, namespace, labels, containers, **pod_spec), "kind": "DaemonSet"}


def pod(
    name: str,
    namespace: str = "apps",
    labels: Mapping[str, str] | None = None,
    containers: Sequence[Body] | None = None,
    **pod_spec: Any,
) -> Body:
    """A bare Pod labelled `labels` (default `app: <name>`)."""
    return _object(
        "v1",
        "Pod",
        _meta(name, namespace, labels or {"app": name}),
        spec=_set({"containers": list(containers or [container()])}, pod_spec),
    )


def job(
    name: str,
    namespace: str = "apps",
    containers: Sequence[Body] | None = None,
    **pod_spec: Any,
) -> Body:
    """A batch Job (restartPolicy Never); `pod_spec` keys on its pod template's spec."""
    spec = _set(
        {"restartPolicy": "Never", "containers": list(containers or [container()])}, pod_spec
    )
    return _object("batch/v1", "Job", _meta(name, namespace), spec={"template": {"spec": spec}})


def cronjob(
    name: str,
    namespace: str = "apps",
    containers: Sequence[Body] | None = None,
    **pod_spec: Any,
) -> Body:
    """A nightly CronJob whose job is built as `job` builds one."""
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": _meta(name, namespace),
        "spec": {
            "schedule": "0 3 * * *",
            "jobTemplate": {"spec": job(name, namespace, containers, **pod_spec)["spec"]},
        },
    }


def netpol(
    name: str,
    namespace: str = "apps",
    selector: Mapping[str, Any] | None = None,
    types: Sequence[str] | None = ("Ingress", "Egress"),
    ingress: Sequence[Mapping[str, Any]] = (),
    egress: Sequence[Mapping[str, Any]] = (),
) -> Body:
    """A NetworkPolicy (`selector` None: every pod of the namespace; `types` None: no
    policyTypes, as the API server then infers them)."""
    spec: Body = {"podSelector": dict(selector or {})}
    if types is not None:
        spec["policyTypes"] = list(types)
    if ingress:
        spec["ingress"] = [dict(r) for r in ingress]
    if egress:
        spec["egress"] = [dict(r) for r in egress]
    return _object(
        "networking.k8s.io/v1", "NetworkPolicy", {"name": name, "namespace": namespace}, spec=spec
    )


def role(name: str, rules: Sequence[Mapping[str, Any]], namespace: str | None = "apps") -> Body:
    """A Role (with a namespace) or a ClusterRole (namespace None)."""
    meta: Body = {"name": name}
    if namespace is not None:
        meta["namespace"] = namespace
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role" if namespace is not None else "ClusterRole",
        "metadata": meta,
        "rules": [dict(r) for r in rules],
    }


def binding(
    name: str,
    role_kind: str,
    role_name: str,
    subjects: Sequence[Mapping[str, Any]],
    namespace: str | None = "apps",
) -> Body:
    """A RoleBinding (with a namespace) or a ClusterRoleBinding (namespace None)."""
    meta: Body = {"name": name}
    if namespace is not None:
        meta["namespace"] = namespace
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding" if namespace is not None else "ClusterRoleBinding",
        "metadata": meta,
        "roleRef": {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": role_kind,
            "name": role_name,
        },
        "subjects": [dict(s) for s in subjects],
    }


def service_account(name: str, namespace: str = "apps") -> Body:
    """A subject entry for a ServiceAccount."""
    return {"kind": "ServiceAccount", "name": name, "namespace": namespace}


RAY_IMAGE = "rayproject/ray:2.55.1"


def _object(api_version: str, kind: str, metadata: Body, **fields: Any) -> Body:
    """A Kubernetes object: `fields` (spec, rules, ...) after its metadata."""
    return {"apiVersion": api_version, "kind": kind, "metadata": metadata, **fields}


def _set(body: Body, overrides: Mapping[str, Any]) -> Body:
    """`body` with `overrides` applied: a value replaces the field, None removes it."""
    for key, value in overrides.items():
        if value is None:
            body.pop(key, None)
        else:
            body[key] = value
    return body


def _meta(
    name: str,
    namespace: str | None,
    labels: Mapping[str, str] | None = None,
    annotations: Mapping[str, str] | None = None,
) -> Body:
    meta: Body = {"name": name}
    if namespace is not None:
        meta["namespace"] = namespace
    if labels:
        meta["labels"] = dict(labels)
    if annotations:
        meta["annotations"] = dict(annotations)
    return meta


def _template(
    containers: Sequence[Body],
    labels: Mapping[str, str] | None,
    pod_spec: Mapping[str, Any],
    annotations: Mapping[str, str] | None = None,
) -> Body:
    meta = {k: dict(v) for k, v in (("labels", labels), ("annotations", annotations)) if v}
    spec = _set({"containers": list(containers)}, pod_spec)
    return {"metadata": meta, "spec": spec} if meta else {"spec": spec}


def ray_container(name: str, ports: Ports = (), **extra: Any) -> Body:
    """A container running the Ray image."""
    return container(name, ports, **{"image": RAY_IMAGE, **extra})


def head_group(
    *sidecars: Body,
    ports: Ports = (),
    params: Mapping[str, Any] | None = None,
    labels: Mapping[str, str] | None = None,
    annotations: Mapping[str, str] | None = None,
    ray: Mapping[str, Any] | None = None,
    **pod_spec: Any,
) -> Body:
    """A headGroupSpec.

    The `ray-head` container (with `ports` and the `ray` keys) first, then `sidecars`;
    `params` as rayStartParams, `labels` and `annotations` on the pod template, `pod_spec`
    keys on its spec (`containers=[...]` replaces them all).
    """
    pods = [ray_container("ray-head", ports, **(ray or {})), *sidecars]
    template = _template(pods, labels, pod_spec, annotations)
    return {"rayStartParams": dict(params or {}), "template": template}


def worker_group(
    group: str = "cpu",
    *sidecars: Body,
    ports: Ports = (),
    params: Mapping[str, Any] | None = None,
    labels: Mapping[str, str] | None = None,
    annotations: Mapping[str, str] | None = None,
    ray: Mapping[str, Any] | None = None,
    replicas: int | None = None,
    min_replicas: int | None = 1,
    max_replicas: int | None = 2,
    group_spec: Mapping[str, Any] | None = None,
    **pod_spec: Any,
) -> Body:
    """A workerGroupSpecs entry, its pod template built as `head_group` builds the head's.

    `group_spec` keys are set (or, None, removed) on the entry itself.
    """
    pods = [ray_container("ray-worker", ports, **(ray or {})), *sidecars]
    out: Body = {"groupName": group}
    if replicas is not None:
        out["replicas"] = replicas
    if min_replicas is not None:
        out["minReplicas"] = min_replicas
    if max_replicas is not None:
        out["maxReplicas"] = max_replicas
    out["rayStartParams"] = dict(params or {})
    out["template"] = _template(pods, labels, pod_spec, annotations)
    return _set(out, group_spec or {})


def cluster_spec(
    head: Body | None = None, workers: Sequence[Body] | None = None, **spec: Any
) -> Body:
    """A RayClusterSpec: `head` (default `head_group()`), `workers` (default one
    `worker_group()`; empty: no workerGroupSpecs), `spec` keys set or (None) removed."""
    out: Body = {"headGroupSpec": head or head_group()}
    groups = [worker_group()] if workers is None else list(workers)
    if groups:
        out["workerGroupSpecs"] = groups
    return _set(out, spec)


def raycluster(
    name: str = "rc",
    namespace: str = "apps",
    head: Body | None = None,
    workers: Sequence[Body] | None = None,
    labels: Mapping[str, str] | None = None,
    annotations: Mapping[str, str] | None = None,
    **spec: Any,
) -> Body:
    """A RayCluster with one head and (default) one worker group; `spec` keys override."""
    return _object(
        "ray.io/v1",
        "RayCluster",
        _meta(name, namespace, labels, annotations),
        spec=cluster_spec(head, workers, **spec),
    )


def submitter(*containers: Body, labels: Mapping[str, str] | None = None, **pod_spec: Any) -> Body:
    """A RayJob submitterPodTemplate (default one `submitter` container, restartPolicy Never)."""
    pods = list(containers) or [ray_container("submitter")]
    return _template(pods, labels, {"restartPolicy": "Never", **pod_spec})


def _job_spec(
    head: Body | None,
    workers: Sequence[Body] | None,
    cluster: Mapping[str, Any] | None,
    spec: Mapping[str, Any],
) -> Body:
    out: Body = {
        "entrypoint": "python job.py",
        "rayClusterSpec": cluster_spec(head, () if workers is None else workers, **(cluster or {})),
    }
    return _set(out, spec)


def rayjob(
    name: str = "job",
    namespace: str = "apps",
    head: Body | None = None,
    workers: Sequence[Body] | None = None,
    cluster: Mapping[str, Any] | None = None,
    labels: Mapping[str, str] | None = None,
    annotations: Mapping[str, str] | None = None,
    **spec: Any,
) -> Body:
    """A RayJob: `python job.py` on a rayClusterSpec of `head`, `workers` (default none)
    and `cluster` keys; `spec` keys override (submitterPodTemplate=submitter(...))."""
    return _object(
        "ray.io/v1",
        "RayJob",
        _meta(name, namespace, labels, annotations),
        spec=_job_spec(head, workers, cluster, spec),
    )


def raycronjob(
    name: str = "cron",
    namespace: str = "apps",
    head: Body | None = None,
    workers: Sequence[Body] | None = None,
    cluster: Mapping[str, Any] | None = None,
    job: Mapping[str, Any] | None = None,
    **spec: Any,
) -> Body:
    """A RayCronJob (nightly) whose jobTemplate is a RayJob spec as `rayjob` builds it
    (`job` keys override there); `spec` keys override on the RayCronJob spec."""
    out: Body = {
        "schedule": "0 3 * * *",
        "jobTemplate": _job_spec(head, workers, cluster, job or {}),
    }
    return _object("ray.io/v1", "RayCronJob", _meta(name, namespace), spec=_set(out, spec))


def rayservice(
    name: str = "rs",
    namespace: str = "apps",
    head: Body | None = None,
    workers: Sequence[Body] | None = None,
    cluster: Mapping[str, Any] | None = None,
    labels: Mapping[str, str] | None = None,
    annotations: Mapping[str, str] | None = None,
    **spec: Any,
) -> Body:
    """A RayService on a rayClusterConfig of `head`, `workers` (default none) and
    `cluster` keys; `spec` keys override (serveConfigV2=...)."""
    config = cluster_spec(head, () if workers is None else workers, **(cluster or {}))
    return _object(
        "ray.io/v1",
        "RayService",
        _meta(name, namespace, labels, annotations),
        spec=_set({"rayClusterConfig": config}, spec),
    )


def service(
    name: str,
    namespace: str = "apps",
    selector: Mapping[str, str] | None = None,
    ports: Sequence[int | Mapping[str, Any]] = (),
    labels: Mapping[str, str] | None = None,
    annotations: Mapping[str, str] | None = None,
    **spec: Any,
) -> Body:
    """A Service; `ports` as numbers or whole entries (none: no ports), `selector` None: none."""
    out: Body = {}
    if selector is not None:
        out["selector"] = dict(selector)
    if ports:
        out["ports"] = [{"port": p} if isinstance(p, int) else dict(p) for p in ports]
    return _object(
        "v1", "Service", _meta(name, namespace, labels, annotations), spec=_set(out, spec)
    )


def ingress(
    name: str,
    namespace: str = "apps",
    paths: Sequence[tuple[str, str, str | int]] = (),
    host: str = "ray.example.com",
    **spec: Any,
) -> Body:
    """An Ingress with one rule for `host`; `paths` as (path, Service, port name or number)."""
    http_paths = [
        {
            "path": path,
            "pathType": "Prefix",
            "backend": {
                "service": {
                    "name": svc,
                    "port": {"name": port} if isinstance(port, str) else {"number": port},
                }
            },
        }
        for path, svc, port in paths
    ]
    rules = [{"host": host, "http": {"paths": http_paths}}]
    return _object(
        "networking.k8s.io/v1", "Ingress", _meta(name, namespace), spec=_set({"rules": rules}, spec)
    )


def http_route(
    name: str,
    namespace: str = "apps",
    backends: Sequence[tuple[str, int]] = (),
    gateway: str = "public",
) -> Body:
    """A Gateway API HTTPRoute with one rule to `backends` as (Service, port)."""
    refs = [{"name": svc, "port": port} for svc, port in backends]
    return _object(
        "gateway.networking.k8s.io/v1",
        "HTTPRoute",
        _meta(name, namespace),
        spec={"parentRefs": [{"name": gateway}], "rules": [{"backendRefs": refs}]},
    )


def service_monitor(
    name: str,
    namespace: str = "apps",
    selector: Mapping[str, Any] | None = None,
    endpoints: Sequence[Mapping[str, Any]] = ({"port": "metrics"},),
    labels: Mapping[str, str] | None = None,
    **spec: Any,
) -> Body:
    """A ServiceMonitor; `selector` as a whole label selector."""
    out: Body = {"selector": dict(selector or {}), "endpoints": [dict(e) for e in endpoints]}
    return _object(
        "monitoring.coreos.com/v1",
        "ServiceMonitor",
        _meta(name, namespace, labels),
        spec=_set(out, spec),
    )


def pod_monitor(
    name: str,
    namespace: str = "apps",
    selector: Mapping[str, Any] | None = None,
    endpoints: Sequence[Mapping[str, Any]] = ({"port": "metrics"},),
    labels: Mapping[str, str] | None = None,
    **spec: Any,
) -> Body:
    """A PodMonitor; `selector` as a whole label selector."""
    out: Body = {
        "selector": dict(selector or {}),
        "podMetricsEndpoints": [dict(e) for e in endpoints],
    }
    return _object(
        "monitoring.coreos.com/v1",
        "PodMonitor",
        _meta(name, namespace, labels),
        spec=_set(out, spec),
    )


def app_project(name: str = "platform", namespace: str = "argocd", **spec: Any) -> Body:
    """An Argo CD AppProject; `spec` keys as given."""
    return _object(
        "argoproj.io/v1alpha1",
        "AppProject",
        {"name": name, "namespace": namespace},
        spec=dict(spec),
    )


REPO_URL = "https://github.com/org/repo.git"


def app_spec(
    path: str = "overlays/dev/crds",
    project: str = "p",
    repo: str = REPO_URL,
    revision: str | None = "main",
    destination: Mapping[str, str] | None = None,
    sync_options: Sequence[str] = (),
    source: Mapping[str, Any] | None = None,
    **spec: Any,
) -> Body:
    """An Argo CD Application spec: one source (`revision` None: no targetRevision;
    `source`: more keys of it), the destination (default cluster `dev`), `sync_options`
    under syncPolicy; `spec` keys set or (None) removed."""
    src: Body = {"repoURL": repo}
    if revision is not None:
        src["targetRevision"] = revision
    src["path"] = path
    src.update(source or {})
    out: Body = {
        "project": project,
        "source": src,
        "destination": dict(destination or {"name": "dev"}),
    }
    if sync_options:
        out["syncPolicy"] = {"syncOptions": list(sync_options)}
    return _set(out, spec)


def application(
    name: str = "app",
    namespace: str = "argocd",
    labels: Mapping[str, str] | None = None,
    annotations: Mapping[str, str] | None = None,
    **spec: Any,
) -> Body:
    """An Argo CD Application whose spec `app_spec(**spec)` builds."""
    return _object(
        "argoproj.io/v1alpha1",
        "Application",
        _meta(name, namespace, labels, annotations),
        spec=app_spec(**spec),
    )


def application_set(
    name: str,
    elements: Sequence[Mapping[str, Any]] = (),
    app_name: str = "{{.unit}}",
    template: Mapping[str, Any] | None = None,
    labels: Mapping[str, str] | None = None,
    annotations: Mapping[str, str] | None = None,
    namespace: str = "argocd",
    **spec: Any,
) -> Body:
    """An ApplicationSet (goTemplate) with one list generator of `elements`.

    Its template makes Applications named `app_name`, with `labels` and `annotations`,
    whose spec is `template` (default `app_spec()`); `spec` keys set or (None) remove
    fields of the ApplicationSet spec (generators=[...], strategy=..., templatePatch=...).
    """
    meta = _meta(app_name, None, labels, annotations)
    out: Body = {
        "goTemplate": True,
        "generators": [{"list": {"elements": [dict(e) for e in elements]}}],
        "template": {"metadata": meta, "spec": dict(template or app_spec())},
    }
    return _object(
        "argoproj.io/v1alpha1", "ApplicationSet", _meta(name, namespace), spec=_set(out, spec)
    )


def repo_facts(
    *targets: str,
    rendered: Mapping[str, int | None] | None = None,
    directories: Sequence[str] = (),
    repo_url: str = REPO_URL,
) -> RepoFacts:
    """What the runner knows of a repository with these render targets.

    Each target renders one object unless `rendered` says otherwise (0: nothing, None: its
    build failed); the repository's directories are the targets, their parents and
    `directories`.
    """
    dirs = {d for t in (*targets, *directories) for d in _parents(t)}
    counts = {t: 1 for t in targets} | dict(rendered or {})
    return RepoFacts(frozenset(targets), counts, frozenset(dirs), repo_url)


def _parents(path: str) -> list[str]:
    parts = path.split("/")
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


def _run(
    check_id: str,
    bodies: Sequence[Mapping[str, Any]],
    options: Mapping[str, Any] | None,
    repo: RepoFacts | None,
) -> tuple[CheckSpec, list[Issue]]:
    module = registry.REGISTRY[check_id]
    spec = registry.spec(module)
    ctx = CheckContext(index(*bodies), {**spec.options, **(options or {})}, repo or RepoFacts())
    return spec, list(registry.function(module)(ctx))


def _qualified(check_id: str, issue: Issue) -> str:
    return f"{check_id}[{issue.variant}]" if issue.variant else check_id


def issues(
    check_id: str,
    *bodies: Mapping[str, Any],
    options: Mapping[str, Any] | None = None,
    repo: RepoFacts | None = None,
) -> list[tuple[str, str, str, str]]:
    """One check over an in-memory index (no kustomize, no locator): the fast path.

    (qualified id, `Kind/name`, field as the report prints it, message) per issue, with
    the check's declared options updated by `options`, and `repo` as the repository facts.
    Whether a finding lands on the right file and line is the end-to-end tests' business
    (`run_check`).
    """
    _, found = _run(check_id, bodies, options, repo)
    return [
        (
            _qualified(check_id, i),
            f"{i.obj.ref.kind}/{i.obj.ref.name}",
            format_field(i.field),
            i.message,
        )
        for i in found
    ]


def grades(
    check_id: str,
    *bodies: Mapping[str, Any],
    options: Mapping[str, Any] | None = None,
    repo: RepoFacts | None = None,
) -> list[tuple[str, Severity, Profile]]:
    """(qualified id, severity, profile) per issue, as `issues` runs the check.

    The spec's default where the issue sets none: what the runner gives a finding before
    the config's own severity and the run's profile apply.
    """
    spec, found = _run(check_id, bodies, options, repo)
    return [
        (_qualified(check_id, i), i.severity or spec.severity, i.profile or spec.profile)
        for i in found
    ]


class _Dumper(yaml.SafeDumper):
    """Block style, multi-line strings as literal blocks (`serveConfigV2: |`), no aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def to_yaml(*bodies: Mapping[str, Any]) -> str:
    """The objects as one YAML stream, fields in the order built: a file for `run_check`."""
    return yaml.dump_all(
        [dict(b) for b in bodies],
        Dumper=_Dumper,
        sort_keys=False,
        default_flow_style=False,
        width=1000,
    )


def render_target(path: str, objects: int = 1) -> dict[str, str]:
    """Files of a render target at `path` with `objects` ConfigMaps (0: builds, renders
    nothing): a directory an Argo CD source may point at, for `run_check` trees."""
    name = path.replace("/", "-")
    configmaps = {
        f"{path}/configmap-{i}.yaml": to_yaml(
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"{name}-{i}"}}
        )
        for i in range(objects)
    }
    resources = "".join(f"\n  - {f.rsplit('/', 1)[1]}" for f in configmaps) or " []"
    kustomization = (
        f"apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:{resources}\n"
    )
    return {f"{path}/kustomization.yaml": kustomization, **configmaps}
