"""The Argo CD environments of a run: applied to control-plane twins, indexed, compared.

Environments are the destination clusters of the Applications that `argocd/` generates
(`cluster.environments`). `cluster_stage` is validate's cluster stage: every environment a
selected target belongs to, on a fresh twin with the cluster's prerequisites; a narrowed
run still applies whole environments, rendering the units it did not select.
`generated_objects` is what the operator generates there (`diff --generated`),
`environment_indexes` each environment as one object index (`diff`, the posture diff),
`posture_stage` the posture diff of a pull request against its base checkout, and
`repo_facts` what the checks and the cluster stage know of the repository.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from kuberay_gitops import cluster, posture
from kuberay_gitops.affected import argocd_sources
from kuberay_gitops.checks._api import RepoFacts
from kuberay_gitops.discover import RenderTarget, discover
from kuberay_gitops.exitcodes import ToolFailed
from kuberay_gitops.filememo import RunCache
from kuberay_gitops.findings import FieldPath, Finding, Location, Severity
from kuberay_gitops.index import ObjectIndex
from kuberay_gitops.kgraph import kustomization_file
from kuberay_gitops.locate import Pending
from kuberay_gitops.manifests import SAFE_LOADER, K8sObject
from kuberay_gitops.render import Progress, RenderedTarget, Renderer, quiet, render_targets
from kuberay_gitops.repotree import skipped_dir
from kuberay_gitops.settings import CONFIG_FILE, Settings
from kuberay_gitops.tools import schemas, twin

_APP_KINDS = frozenset({"Application", "ApplicationSet"})


def repo_directories(root: Path) -> frozenset[str]:
    """Every directory of the repository (repo-relative), outside tool and cache dirs."""
    out: set[str] = set()
    for dirpath, dirnames, _ in os.walk(root):
        here = Path(dirpath).relative_to(root).parts
        dirnames[:] = [d for d in dirnames if not skipped_dir((*here, d)) and not d.startswith(".")]
        rel = Path(dirpath).relative_to(root).as_posix()
        if rel != ".":
            out.add(rel)
    return frozenset(out)


def repo_facts(
    settings: Settings,
    all_targets: Sequence[RenderTarget],
    rendered: Sequence[RenderedTarget],
    root: Path | None = None,
) -> RepoFacts:
    """What checks and the cluster stage know of the repository (at `root`: a base tree)."""
    return RepoFacts(
        targets=frozenset(t.path for t in all_targets),
        rendered={rt.target.path: (None if rt.error else len(rt.objects)) for rt in rendered},
        directories=repo_directories(root or settings.repo_root),
        repo_url=settings.repo_url,
    )


def cluster_skipped(settings: Settings) -> str | None:
    """Why the config keeps the cluster stage from running, or None when it runs."""
    if settings.cluster_enabled is False:
        return "cluster.enabled is false in the config"
    bindir = settings.resolve(settings.tools_dir)
    names = (twin.ETCD, twin.KUBE_APISERVER, twin.KUBERAY_OPERATOR)
    if settings.cluster_enabled is None and not all((bindir / n).exists() for n in names):
        # Not configured either way: a twin never set up is a stated skip, not a failure
        # (`cluster.enabled: true` makes it one). A binary that is there is verified.
        return "the control-plane twin is not set up: `kuberay-gitops setup` builds it"
    return None


def _prerequisites(settings: Settings, environment: str) -> list[Mapping[str, Any]]:
    """What an environment's cluster has before Argo CD syncs it (`cluster.prerequisites`)."""
    pre = settings.cluster_prerequisites.get(environment)
    docs: list[Mapping[str, Any]] = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}
        for ns in (pre.namespaces if pre else ())
    ]
    for path in schemas.iter_crd_files(settings.prerequisite_paths(environment)):
        docs.extend(
            d
            for d in yaml.load_all(path.read_text(), Loader=SAFE_LOADER)
            if isinstance(d, dict) and d.get("kind") == "CustomResourceDefinition"
        )
    return docs


def cluster_stage(
    settings: Settings,
    renderer: Renderer,
    all_targets: Sequence[RenderTarget],
    rendered: Sequence[RenderedTarget],
    facts: RepoFacts,
    use_cache: bool,
    progress: Progress,
    cache: RunCache | None = None,
) -> tuple[list[cluster.EnvironmentResult], list[RenderedTarget]]:
    """Every environment that a selected target belongs to, applied to its own twin.

    A narrowed run (`--changed-since`, paths) still applies the whole environment: the
    units it did not select are rendered here (from the render cache, mostly).
    """
    selected = {rt.target.path for rt in rendered}
    ok = {rt.target.path: rt.objects for rt in rendered if rt.error is None}
    # A narrowed run: the Argo CD targets say which environments the selection is in, and
    # only those that can hold Applications are rendered to learn it (argocd_sources).
    unselected = [t for t in all_targets if t.path not in selected]
    sources = argocd_sources(settings, unselected, cache or RunCache(), renderer.repo_root)
    extra = render_targets(settings, renderer, sources, use_cache, cache=cache)
    ok.update({rt.target.path: rt.objects for rt in extra if rt.error is None})
    argocd = [o for objs in ok.values() for o in objs if o.ref.kind in _APP_KINDS]
    envs = [
        e
        for e in cluster.environments(ObjectIndex(argocd, "argocd"), facts)
        if e.targets & selected
    ]
    if not envs:
        return [], extra
    missing = [
        t for t in all_targets if t.path not in ok and any(t.path in e.targets for e in envs)
    ]
    extra += render_targets(settings, renderer, missing, use_cache, cache=cache) if missing else []
    objects = {**ok, **{rt.target.path: rt.objects for rt in extra if rt.error is None}}
    binaries = twin.locate(
        settings.resolve(settings.tools_dir),
        settings.toolchain.etcd,
        settings.toolchain.kube_apiserver,
        settings.toolchain.operator_module,
    )
    progress(
        f"cluster: {len(envs)} environment(s) ({', '.join(e.name for e in envs)}), "
        "each on a fresh control-plane twin"
    )
    results = cluster.run_all(
        envs,
        objects,
        lambda name: _prerequisites(settings, name),
        binaries,
        settings.scratch_path,
        settings.cache_path if use_cache and settings.render_cache else None,
        settings.cluster_timeout,
        settings.effective_jobs,
    )
    return results, extra


def generated_objects(
    settings: Settings,
    renderer: Renderer,
    selected: Sequence[RenderTarget],
    cache: RunCache | None = None,
) -> dict[str, list[K8sObject]]:
    """What the operator generates in each environment a selected target belongs to.

    The cluster stage of `validate` on the tree `renderer` builds (`diff --generated` runs
    it on both sides); an environment whose units are refused yields what was generated.
    """
    run_cache = cache or RunCache()
    all_targets = discover(renderer.repo_root, settings.targets, run_cache)
    rendered = render_targets(settings, renderer, selected, use_cache=True, cache=run_cache)
    facts = repo_facts(settings, all_targets, rendered, renderer.repo_root)
    results, _ = cluster_stage(
        settings, renderer, all_targets, rendered, facts, True, quiet, run_cache
    )
    return {r.name: [g.obj for g in r.generated] for r in results}


def environment_indexes(
    settings: Settings,
    renderer: Renderer,
    rendered: Sequence[RenderedTarget] = (),
    use_cache: bool = True,
    within: Callable[[cluster.Environment], bool] | None = None,
) -> tuple[dict[str, ObjectIndex], list[RenderedTarget]]:
    """Each Argo CD environment of the tree `renderer` builds, as one index of its units.

    `rendered` is what this run already built there; the other targets are built now
    (from the render cache, mostly) and returned, so their findings can be located.
    `within` keeps only some environments: then only the targets that can hold Argo CD
    Applications (argocd_sources) and the units of the environments kept are built.
    """
    all_targets = discover(renderer.repo_root, settings.targets)
    have = {rt.target.path: rt for rt in rendered}
    wanted = [t for t in all_targets if t.path not in have]
    if within is not None:
        wanted = argocd_sources(settings, wanted, RunCache(), renderer.repo_root)
    extra = render_targets(settings, renderer, wanted, use_cache)
    every = [*have.values(), *extra]
    ok = {rt.target.path: rt.objects for rt in every if rt.error is None}
    argocd = [o for objs in ok.values() for o in objs if o.ref.kind in _APP_KINDS]
    facts = repo_facts(settings, all_targets, every, renderer.repo_root)
    envs = cluster.environments(ObjectIndex(argocd, "argocd"), facts)
    if within is not None:
        envs = [e for e in envs if within(e)]
        built = {rt.target.path for rt in every}
        units = [
            t for t in all_targets if t.path not in built and any(t.path in e.targets for e in envs)
        ]
        more = render_targets(settings, renderer, units, use_cache)
        extra += more
        ok.update({rt.target.path: rt.objects for rt in more if rt.error is None})
    out = {}
    for e in envs:
        kinds = posture.cluster_scoped_kinds(o for t in e.targets for o in ok.get(t, ()))
        placements = sorted({(u.target, u.namespace) for u in e.units})
        out[e.name] = ObjectIndex(
            [
                o
                for target, namespace in placements
                for o in posture.placed(ok.get(target, ()), namespace, kinds)
            ],
            e.name,
        )
    return out, extra


def posture_stage(
    settings: Settings,
    renderer: Renderer,
    rendered: Sequence[RenderedTarget],
    use_cache: bool,
    by_target: dict[str, RenderTarget],
) -> tuple[list[Pending], list[Finding], list[str]]:
    """The posture diff of the pull request (the repository) against the base checkout.

    Widenings are errors at the head object that grants them, unless the base's
    `posture.allow` covers them (a note says which); narrowings are a note's count.
    """
    # The environments of the selected targets (all of them, unless the run is narrowed):
    # an environment no selected target is in is not what the change is about.
    selected = frozenset(rt.target.path for rt in rendered)
    head, extra = environment_indexes(
        settings, renderer, rendered, use_cache, within=lambda e: bool(e.targets & selected)
    )
    by_target.update({rt.target.path: rt.target for rt in extra})
    base_renderer = dataclasses.replace(renderer, repo_root=settings.policy_dir)
    base, _ = environment_indexes(
        settings, base_renderer, (), use_cache, within=lambda e: e.name in head
    )
    try:
        changes = posture.diff(base, head)
    except Exception as exc:  # a model bug must be exit 3, never a pass or a traceback
        raise ToolFailed(f"posture diff crashed: {type(exc).__name__}: {exc}") from exc
    # A rendered object as the run located it: placement gave it its unit's namespace.
    rendered_as = {(o.target, o.position): o for rt in (*rendered, *extra) for o in rt.objects}
    groups: dict[tuple[str, str, int, FieldPath], list[posture.Change]] = {}
    notes: list[str] = []
    for change in changes:
        if not change.widened:
            continue
        entry = posture.allowed_by(change, settings.posture_allow)
        if entry is not None:
            notes.append(f"posture: allowed by posture.allow ({entry.reason}): {change.words}")
            continue
        where = id(change.obj) if change.obj is not None else 0
        groups.setdefault((change.env, change.facet, where, change.field), []).append(change)
    pending: list[Pending] = []
    unplaced: list[Finding] = []
    for (env, facet, _, field), found in groups.items():
        check_id = f"{posture.CHECK_ID}[{facet}]"
        message = _widenings_words(env, found)
        obj = found[0].obj
        if obj is not None:
            obj = rendered_as.get((obj.target, obj.position), obj)
            pending.append(
                Pending(
                    obj.target,
                    obj,
                    field,
                    check_id,
                    Severity.ERROR,
                    message,
                    posture.HINT,
                    "kuberay-gitops",
                )
            )
        else:
            unplaced.append(
                Finding(
                    _environment_location(settings, head.get(env)),
                    check_id,
                    Severity.ERROR,
                    message,
                    hint=posture.HINT,
                )
            )
    narrowed = sum(1 for c in changes if not c.widened)
    if narrowed:
        notes.append(f"posture: {narrowed} narrowing(s) against the base branch (see `diff`)")
    return pending, unplaced, notes


_WIDENINGS_SHOWN = 5


def _widenings_words(env: str, found: Sequence[posture.Change]) -> str:
    """One finding per granting object and field: its widenings in words."""
    if len(found) == 1:
        return found[0].words
    shown = "; ".join(c.text for c in found[:_WIDENINGS_SHOWN])
    more = len(found) - _WIDENINGS_SHOWN
    return f"{env}: {len(found)} widenings: {shown}" + (f"; and {more} more" if more > 0 else "")


def _environment_location(settings: Settings, index: ObjectIndex | None) -> Location:
    """Where a widening no head object grants is shown: its environment's first unit.

    The unit's kustomization, never the pull request's own config.
    """
    target = next((o.target for o in index.objects), "") if index is not None else ""
    if not target:
        return Location(CONFIG_FILE, 1)
    kfile = kustomization_file(settings.repo_root / target)
    return Location(f"{target}/{kfile.name if kfile else 'kustomization.yaml'}", 1)
