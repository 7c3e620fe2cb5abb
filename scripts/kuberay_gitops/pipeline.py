"""validate: discover → harden → render → cluster → judge → locate → report, wired.

The command line builds a `Request`; `execute` returns its `Report`: render targets
(`validate`), the changed files alone (`validate_files`) or plain manifests
(`validate_manifests`). Each stage lives in its own module: rendering and its cache
(`render`), the environments' cluster and posture stages (`environments`), the judges
(`judge`: kubeconform, checkov, the project's checks), the per-file stages (`filescan`),
locating (`locate`) and what the config does to the findings (`configured`). Side
effects (kustomize, kubeconform, git, files) stay behind `tools/` and `render`; this
module only decides what runs, in which order and what runs in parallel.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from kuberay_gitops import (
    affected,
    configured,
    environments,
    filescan,
    gitops,
    harden,
    judge,
    plain,
    rendercache,
    ruleinfo,
)
from kuberay_gitops.checks._api import RepoFacts
from kuberay_gitops.discover import RenderTarget, discover, select
from kuberay_gitops.filememo import RunCache
from kuberay_gitops.findings import (
    ClusterSummary,
    Finding,
    Location,
    Report,
    TargetSummary,
)
from kuberay_gitops.index import Generated
from kuberay_gitops.locate import Pending, SourceCache, in_document, locate_all, render_findings
from kuberay_gitops.render import (
    Progress,
    RenderedTarget,
    Renderer,
    make_renderer,
    quiet,
    render_targets,
)
from kuberay_gitops.settings import Settings
from kuberay_gitops.tools import checkov, toolchain
from kuberay_gitops.tools.runner import Processes, Started


@dataclass(frozen=True, slots=True)
class Stages:
    """Which stages run (`validate` runs all)."""

    lint: bool = True
    harden: bool = True
    secrets: bool = True
    schema: bool = True
    checks: bool = True
    checkov: bool = True
    cluster: bool = True
    posture: bool = True
    only_checks: frozenset[str] | None = None


@dataclass(frozen=True, slots=True)
class Request:
    """What one `validate` run needs; the command line builds it, `execute` runs it.

    `paths` select render targets (or, with `manifests`, name plain manifest files and
    directories, relative to the working directory); `changed_since` narrows the run to
    what a change since the merge base with that ref can affect.
    """

    settings: Settings
    paths: tuple[str, ...] = ()
    stages: Stages = Stages()
    use_cache: bool = True
    changed_since: str | None = None
    manifests: bool = False
    progress: Progress = quiet


def execute(request: Request) -> Report:
    """The report of one `validate` run: render targets, changed files or plain manifests.

    A change that affects no render target and no file is a report with nothing in it
    (`Report.nothing_affected`); an unknown `changed_since` ref raises `UnknownRef`.
    """
    settings, stages = request.settings, request.stages
    paths: Sequence[str] = request.paths
    cache = RunCache()  # what this run reads of the repository, for --changed-since and validate
    change: affected.ChangeSet | None = None
    files: list[str] | None = None
    if request.changed_since is not None:
        change = affected.since(settings, request.changed_since, cache, paths)
        if not change.targets and not change.changed:
            message = f"no render target affected since {request.changed_since}"
            return Report([], [], (message,), nothing_affected=message)
        paths = [str(settings.repo_root / t.path) for t in change.targets]
        if not set(change.changed) & affected.GLOBAL_INPUTS:
            files = list(change.changed)  # unchanged files were linted on their way in
    if request.manifests:
        report = validate_manifests(settings, paths, stages, request.progress)
    elif change is not None and not change.targets:
        report = validate_files(settings, stages, change.changed)
    else:
        report = validate(
            settings,
            paths,
            stages,
            use_cache=request.use_cache,
            progress=request.progress,
            files=files,
            cache=cache,
        )
    if change is None:
        return report
    return dataclasses.replace(report, notes=(*report.notes, change.note()))


def validate_files(settings: Settings, stages: Stages, files: Sequence[str]) -> Report:
    """The per-file stages alone (input limits, yamllint, secret scan) over changed files.

    What `--changed-since` still owes a change that reaches no render target: a new YAML
    file nothing renders is linted and scanned all the same.
    """
    configured.check_config(settings)
    present = [f for f in files if (settings.repo_root / f).is_file()]
    kept, notes = configured.conclude(
        settings,
        filescan.file_findings(
            settings, present, RunCache(), lint=stages.lint, secrets=stages.secrets
        ),
    )
    return Report(
        kept,
        (),
        tuple(notes),
        ruleinfo.rules(settings.repo_url),
        cluster_skipped="no render target affected",
        files=len(present),
    )


def validate(
    settings: Settings,
    paths: Sequence[str] = (),
    stages: Stages = Stages(),
    use_cache: bool = True,
    progress: Progress = quiet,
    files: Sequence[str] | None = None,
    cache: RunCache | None = None,
) -> Report:
    """The main job: every stage over the selected targets, one Report.

    `files` (repo-relative) narrows the per-file stages (input limits, yamllint, secret
    scan) to those files, as `--changed-since` does; None means every repository file.
    `cache` is the run's, when the caller has read the repository for it already
    (`--changed-since`); a fresh one otherwise.
    """
    configured.check_config(settings)
    tools = toolchain.locate(settings)
    # Once per run: every message that names the engine reads it from the settings.
    settings = dataclasses.replace(settings, engine=gitops.detect(settings.repo_root))
    run_cache = cache or RunCache()
    all_targets = discover(settings.repo_root, settings.targets, run_cache)
    targets = select(all_targets, settings.repo_root, paths)
    # A cache the repository under check could have brought is never read (a forged entry).
    distrust = rendercache.distrust(settings.cache_path, settings.repo_root) if use_cache else None
    cached = use_cache and distrust is None
    # Started ahead when no stored verdict can spare it: its import overlaps rendering.
    driver = (
        checkov.early(
            [s.id for s in settings.checkov_skips], settings.cache_path if cached else None
        )
        if stages.checkov and checkov.wanted(settings)
        else None
    )
    try:
        report = _validate(
            settings,
            stages,
            cached,
            progress,
            files,
            tools,
            all_targets,
            targets,
            run_cache,
            driver,
        )
    finally:
        if driver is not None:
            driver.cancel()
    if distrust is None:
        return report
    note = f"caches not used: {distrust} (a committed entry could stand in for a render)"
    return dataclasses.replace(report, notes=(*report.notes, note))


def _validate(
    settings: Settings,
    stages: Stages,
    use_cache: bool,
    progress: Progress,
    files: Sequence[str] | None,
    tools: toolchain.Tools,
    all_targets: Sequence[RenderTarget],
    targets: Sequence[RenderTarget],
    cache: RunCache,
    driver: Started | None,
) -> Report:
    """`validate` once the targets are known (`driver`: checkov, if started early)."""
    renderer = make_renderer(settings, tools.kustomize)
    findings: list[Finding] = []
    pending: list[Pending] = []
    refused: set[str] = set()
    if stages.harden:
        # Before kustomize runs: a target whose kustomizations are refused is never built.
        for t in targets:
            scan = harden.scan(settings.repo_root, [t.path], settings.allowed_remotes, cache)
            findings.extend(scan)
            if harden.blocking(scan):
                refused.add(t.path)
    to_render = [t for t in targets if t.path not in refused]
    progress(f"rendering {len(to_render)} targets")
    rendered = render_targets(settings, renderer, to_render, use_cache, progress, cache)
    rendered += [
        RenderedTarget(t, [], "not rendered: refused by harden-* or input-unsafe findings")
        for t in targets
        if t.path in refused
    ]
    rendered.sort(key=lambda rt: rt.target)
    by_target = {t.path: t for t in targets}
    findings.extend(render_findings(settings, rendered, refused, cache))
    facts = environments.repo_facts(settings, all_targets, rendered)
    processes = Processes()  # the tools' processes, checkov's early driver among them
    if driver is not None:
        processes.add(driver)
    with ThreadPoolExecutor(max_workers=2) as tools_pool:
        # kubeconform and checkov judge what was rendered, never what the twin generates:
        # they run while the twins do.
        tool_jobs = _start_tools(
            settings,
            stages,
            tools,
            settings.cache_path if use_cache else None,
            driver,
            rendered,
            progress,
            tools_pool,
            processes,
        )
        try:
            clusters, generated, more, extra, skipped = _cluster(
                settings, stages, renderer, all_targets, rendered, facts, use_cache, progress, cache
            )
            pending.extend(more)
            by_target.update({rt.target.path: rt.target for rt in extra})
            judged, more = _judge(
                settings,
                stages,
                rendered,
                facts,
                generated,
                progress,
                lambda: filescan.file_findings(
                    settings,
                    files,
                    cache,
                    targets,
                    lint=stages.lint,
                    secrets=stages.secrets,
                    cache_dir=settings.cache_path if use_cache else None,
                ),
                tool_jobs,
            )
        except BaseException:
            # A failed twin or Ctrl-C: the tools' verdicts are moot, so their processes are
            # stopped rather than waited for (the pool then waits only for their threads).
            processes.kill_all()
            raise
    findings.extend(judged)
    pending.extend(more)
    if pending:
        progress(f"locating {len(pending)} findings")
    posture_notes: list[str] = []
    if settings.policy_dir != settings.repo_root and stages.posture:
        progress("posture diff against the base checkout")
        more, unplaced, posture_notes = environments.posture_stage(
            settings, renderer, rendered, use_cache, by_target
        )
        pending.extend(more)
        findings.extend(unplaced)
    findings.extend(locate_all(settings, renderer, pending, by_target))
    kept, notes = configured.conclude(settings, findings)
    notes += posture_notes
    notes += [
        f"{path}: not rendered, refused by the harden-*/input-unsafe findings above"
        for path in sorted(refused)
    ]
    summaries = [
        TargetSummary(rt.target.path, len(rt.objects), rt.error is None) for rt in rendered
    ]
    return Report(
        kept,
        summaries,
        tuple(notes),
        ruleinfo.rules(settings.repo_url),
        clusters=tuple(clusters),
        cluster_skipped=skipped,
    )


def _cluster(
    settings: Settings,
    stages: Stages,
    renderer: Renderer,
    all_targets: Sequence[RenderTarget],
    rendered: Sequence[RenderedTarget],
    facts: RepoFacts,
    use_cache: bool,
    progress: Progress,
    cache: RunCache,
) -> tuple[
    list[ClusterSummary],
    dict[str, list[Generated]],
    list[Pending],
    list[RenderedTarget],
    str | None,
]:
    """The cluster stage's summaries, generated objects, findings, extra units and skip.

    What each target's objects generated, the units it rendered beyond the selection, and
    why it was skipped (None: it ran).
    """
    generated: dict[str, list[Generated]] = {}
    clusters: list[ClusterSummary] = []
    pending: list[Pending] = []
    skipped = "--no-cluster" if not stages.cluster else environments.cluster_skipped(settings)
    if skipped is not None:
        return clusters, generated, pending, [], skipped
    results, extra = environments.cluster_stage(
        settings, renderer, all_targets, rendered, facts, use_cache, progress, cache
    )
    for res in results:
        clusters.append(
            ClusterSummary(res.name, res.applied, len(res.generated), res.seconds, res.cached)
        )
        for g in res.generated:
            generated.setdefault(g.obj.target, []).append(g)
        pending.extend(
            Pending(
                p.obj.target,
                p.obj,
                p.field,
                p.check_id,
                p.severity,
                p.message,
                p.hint,
                "kuberay-gitops",
            )
            for p in res.problems
        )
    if not results:
        skipped = "no Argo CD Application syncs the selected targets to a cluster"
        if settings.engine is gitops.Engine.FLUX:
            skipped += " (Flux syncs this repository; the twin replays Argo CD only)"
    return clusters, generated, pending, extra, skipped


def _start_tools(
    settings: Settings,
    stages: Stages,
    tools: toolchain.Tools,
    cache_dir: Path | None,
    driver: Started | None,
    rendered: Sequence[RenderedTarget],
    progress: Progress,
    pool: ThreadPoolExecutor,
    processes: Processes | None = None,
) -> list[Future[list[Pending]]]:
    """The tools' judging (kubeconform, checkov) of the rendered objects, started in `pool`.

    They are processes: they run while this one does the cluster stage, lints and checks.
    `cache_dir` keeps the tools' verdicts between runs (None: a run without caches);
    `driver` is checkov when it was started early (`checkov.early`), used or stopped by the
    checkov stage; `processes` lets the caller stop the tools' processes.
    """
    jobs: list[Future[list[Pending]]] = []
    if stages.schema:
        progress("kubeconform (one run over every object)")
        jobs.append(
            pool.submit(
                judge.schema_pending, settings, tools.kubeconform, rendered, cache_dir, processes
            )
        )
    if stages.checkov and checkov.wanted(settings):
        progress("checkov (one run, targets not seen before)")
        jobs.append(
            pool.submit(judge.checkov_pending, settings, rendered, cache_dir, driver, processes)
        )
    return jobs


def _judge(
    settings: Settings,
    stages: Stages,
    rendered: Sequence[RenderedTarget],
    facts: RepoFacts,
    generated: Mapping[str, Sequence[Generated]],
    progress: Progress,
    file_stage: Callable[[], list[Finding]],
    tool_jobs: Sequence[Future[list[Pending]]],
) -> tuple[list[Finding], list[Pending]]:
    """The per-file stages and the checks over rendered targets, then the tools' verdicts.

    The one judging step of render targets and plain manifests alike; `file_stage` is
    the source's own lint and secret scan of the files it read; `tool_jobs` are the
    tools `_start_tools` started.
    """
    findings: list[Finding] = []
    pending: list[Pending] = []
    if stages.lint or stages.secrets:
        progress("yamllint and secret scan")
        findings.extend(file_stage())
    if stages.checks:
        progress("project checks")
        pending.extend(
            judge.check_pending(settings, facts, rendered, generated, stages.only_checks)
        )
    if tool_jobs:
        progress("kubeconform and checkov verdicts")
    for job in tool_jobs:
        pending.extend(job.result())
    return findings, pending


def validate_manifests(
    settings: Settings,
    paths: Sequence[str],
    stages: Stages = Stages(),
    progress: Progress = quiet,
    cwd: Path | None = None,
) -> Report:
    """`validate --manifests`: the same stages over files of plain manifests (`plain`).

    discover = the units of the paths (relative to `cwd`), render = reading their files;
    then the same judging, locating and report as render targets. No harden stage
    (kustomize never runs) and no cluster stage (no Argo CD environment to apply to).
    """
    configured.check_config(settings)
    tools = toolchain.locate(settings)
    units = plain.units(settings.repo_root, paths, cwd or Path.cwd())
    progress(f"reading {len(units)} manifest units")
    reads = {u.target.path: plain.read(settings.repo_root, u) for u in units}
    rendered = [RenderedTarget(r.unit.target, r.objects, r.error) for r in reads.values()]
    findings = [f for r in reads.values() for f in r.findings]
    texts = [t for r in reads.values() for t in r.texts]

    def file_stage() -> list[Finding]:
        return filescan.text_findings(settings, texts, lint=stages.lint, secrets=stages.secrets)

    facts = dataclasses.replace(
        environments.repo_facts(settings, [u.target for u in units], rendered),
        argocd_synced=False,
    )
    # No cache: plain files are read, not rendered, and nothing of them is kept.
    with ThreadPoolExecutor(max_workers=2) as tools_pool:
        tool_jobs = _start_tools(
            settings, stages, tools, None, None, rendered, progress, tools_pool
        )
        judged, pending = _judge(
            settings, stages, rendered, facts, {}, progress, file_stage, tool_jobs
        )
    findings.extend(judged)
    cache = SourceCache(settings.repo_root)

    def located(p: Pending) -> Location:
        o = reads[p.target].origins[p.obj.position]
        return in_document(cache, o.path, o.shown, o.document, o.line, p.obj.body, p.field)

    findings.extend(
        Finding(
            located(p),
            p.check_id,
            p.severity,
            p.message,
            obj=p.obj.ref,
            field=p.field,
            hint=p.hint,
            source=p.source,
            target=p.target,
        )
        for p in pending
    )
    kept, notes = configured.conclude(settings, findings)
    return Report(
        kept,
        [TargetSummary(rt.target.path, len(rt.objects), rt.error is None) for rt in rendered],
        tuple(notes),
        ruleinfo.rules(settings.repo_url),
        cluster_skipped=plain.NO_CLUSTER,
    )
