"""The judges of rendered objects, each verdict a `Pending` finding for the locate stage.

kubeconform (the schema stage), checkov and the project's registered checks judge the
objects of every rendered target. The tool adapters own their runs, ids and hints
(`tools/kubeconform.py`, `tools/checkov.py`); the registry's checks run here with the
options, switches and profile of the config (`configured`). Each verdict names a
rendered object and a field, and waits for its repository file and line (`locate`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from kuberay_gitops import checks as registry
from kuberay_gitops import configured
from kuberay_gitops.checks._api import CheckContext, Issue, RepoFacts
from kuberay_gitops.exitcodes import ToolFailed
from kuberay_gitops.findings import Severity
from kuberay_gitops.index import Generated, ObjectIndex
from kuberay_gitops.locate import Pending
from kuberay_gitops.render import RenderedTarget
from kuberay_gitops.settings import Settings
from kuberay_gitops.tools import checkov, kubeconform
from kuberay_gitops.tools.runner import Processes, Started


def schema_pending(
    settings: Settings,
    kubeconform_bin: Path,
    targets: Sequence[RenderedTarget],
    cache_dir: Path | None,
    processes: Processes | None = None,
) -> list[Pending]:
    """The schema stage over every rendered object (`kubeconform.schema_problems`).

    `cache_dir` keeps each distinct object's verdict for the next run (None: no cache);
    `processes` lets the run stop kubeconform from another thread.
    """
    objects = [o for t in targets for o in t.objects]
    return [
        Pending(p.obj.target, p.obj, p.field, p.kind, Severity.ERROR, p.message, p.hint, p.source)
        for p in kubeconform.schema_problems(
            settings, kubeconform_bin, objects, cache_dir, processes
        )
    ]


def checkov_pending(
    settings: Settings,
    targets: Sequence[RenderedTarget],
    cache_dir: Path | None,
    driver: Started | None = None,
    processes: Processes | None = None,
) -> list[Pending]:
    """Checkov over the rendered objects it has checks for, target by target.

    `cache_dir` keeps each target's verdicts for the next run (None: not read, not kept);
    `driver` is one `checkov.early` started, used or stopped here; `processes` lets the
    run stop checkov from another thread.
    """
    by_target = {t.target.path: [o for o in t.objects if checkov.scannable(o)] for t in targets}
    skips = [s.id for s in settings.checkov_skips]
    return [
        Pending(r.obj.target, r.obj, r.field, r.check_id, Severity.ERROR, r.name, r.hint, "checkov")
        for r in checkov.scan_cached(
            by_target, skips, settings.checkov_timeout, cache_dir, driver, processes
        )
    ]


def run_checks(
    settings: Settings,
    index: ObjectIndex,
    facts: RepoFacts,
    only: frozenset[str] | None = None,
) -> list[tuple[str, Issue]]:
    """Every enabled registered check over one target's index; a crash is exit 3."""
    out: list[tuple[str, Issue]] = []
    for cid, module in registry.REGISTRY.items():
        if only is not None and cid not in only:
            continue
        if not configured.conf_for(settings, cid)[0]:
            continue
        ctx = CheckContext(index=index, options=configured.options(settings, cid), repo=facts)
        try:
            out.extend((cid, issue) for issue in registry.function(module)(ctx))
        except Exception as exc:
            raise ToolFailed(
                f"check {cid} crashed on {index.target}: {type(exc).__name__}: {exc}"
            ) from exc
    return out


def check_pending(
    settings: Settings,
    facts: RepoFacts,
    rendered: Sequence[RenderedTarget],
    generated: Mapping[str, Sequence[Generated]],
    only: frozenset[str] | None = None,
) -> list[Pending]:
    """The project's checks over each rendered target's object index (`only`: these ids)."""
    out: list[Pending] = []
    for rt in rendered:
        if rt.error is not None:
            continue
        index = ObjectIndex(
            rt.objects,
            rt.target.path,
            generated=generated.get(rt.target.path, ()),
        )
        for cid, issue in run_checks(settings, index, facts, only):
            spec = registry.spec(registry.REGISTRY[cid])
            qualified = f"{cid}[{issue.variant}]" if issue.variant else cid
            if not configured.in_profile(settings, qualified, issue.profile or spec.profile):
                continue
            out.append(
                Pending(
                    rt.target.path,
                    issue.obj,
                    issue.field,
                    qualified,
                    issue.severity or spec.severity,
                    issue.message,
                    issue.hint or spec.hint,
                    "kuberay-gitops",
                )
            )
    return out
