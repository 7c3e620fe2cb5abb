"""Fan-out: the validation a change needs as a GitHub Actions matrix, and its merged summary.

Why: one runner validates a repository at about half a second per environment (cold,
static stages; the twin adds more); past some size, jobs that each validate a few
environments in parallel finish first, even though each pays its own start-up. Where
that crossover lies is measured by `make bench` (the `fan-out` pipeline,
docs/performance.md) and is the default of `--fan-out-at`.

The plan groups the affected targets (`affected.since`) by environment, as the cluster
stage does (`cluster.environments` over the Argo CD Applications, rendered from the few
targets that can hold them: `affected.argocd_sources`): one entry per affected
environment, an environment with more than `shard_size` affected targets split into
shards, and no more than `max_jobs` entries (neighbours packed together beyond that:
GitHub runs a limited number of jobs at once and refuses a matrix over 256). A target
no Application syncs goes to `no-environment`; a target nested under another (`argocd`
and `argocd/bootstrap`) goes with it, because validating a path validates what is under
it. A change that affects no target but touches YAML still gets one `changed-files`
entry (its files are linted and scanned); no change at all gives no entry.

Each entry's targets reach a shell (the CI job's `make validate`), so the plan refuses a
target whose path holds anything but letters, digits and `._-/`, or a segment starting
with `-`; names are reduced to the same safe alphabet.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kuberay_gitops import affected, cluster, harden, rendercache
from kuberay_gitops.discover import discover
from kuberay_gitops.environments import cluster_skipped, repo_facts
from kuberay_gitops.exitcodes import ToolError
from kuberay_gitops.filememo import RunCache
from kuberay_gitops.findings import Severity
from kuberay_gitops.index import ObjectIndex
from kuberay_gitops.render import make_renderer, render_targets
from kuberay_gitops.settings import Settings
from kuberay_gitops.tools import toolchain
from kuberay_gitops.tools.yamllint import only_yaml

# Defaults of `affected --format github-matrix`. FAN_OUT_AT: environments in the
# repository from which the plan fans out (below it one job validates everything), the
# crossover `make bench` measured, rounded (docs/performance.md, "Fan-out in CI"; a test
# keeps them equal), with the control-plane twin (each fanned-out job starts its twins from
# scratch, the one job applies every environment) and without. MAX_JOBS: GitHub Free's
# concurrent jobs, so no entry waits for a runner. SHARD_SIZE: affected targets of one
# environment above which it is split: the one job's cost per target in that bench run
# (cold: 74.8 s for 502 targets, 0.149 s each) times 269 is a job's start-up (40 s).
FAN_OUT_AT = 121
FAN_OUT_AT_TWIN = 22
MAX_JOBS = 20
SHARD_SIZE = 269
NO_ENVIRONMENT = "no-environment"
CHANGED_FILES = "changed-files"
# The PR workflow uploads each job's JSON report as an artifact named so.
REPORT_PREFIX = "kuberay-gitops-report-"
_SAFE_SEGMENT = re.compile(r"[A-Za-z0-9_.][A-Za-z0-9_.-]*")
_UNSAFE_NAME = re.compile(r"[^a-z0-9._-]+")
_NAME_LENGTH = 60


@dataclass(frozen=True, slots=True)
class Entry:
    """One job of the matrix: a name, the environments it covers, the targets it validates."""

    name: str
    environments: tuple[str, ...]
    targets: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Plan:
    """The entries, and whether the repository is large enough to fan out at all."""

    fan_out: bool
    environments: int  # in the repository
    fan_out_at: int
    entries: tuple[Entry, ...]

    def matrix(self) -> dict[str, list[dict[str, Any]]]:
        """`{"include": [...]}`: what `strategy.matrix` takes."""
        return {
            "include": [
                {"name": e.name, "environments": list(e.environments), "targets": list(e.targets)}
                for e in self.entries
            ]
        }

    def note(self) -> str:
        """One line for stderr: the decision and why."""
        if not self.fan_out:
            return (
                f"{self.environments} environment(s), below the fan-out threshold of "
                f"{self.fan_out_at}: one job validates the repository"
            )
        return (
            f"{self.environments} environment(s), at or above the fan-out threshold of "
            f"{self.fan_out_at}: {len(self.entries)} job(s)"
        )


def groups(
    targets: Sequence[str], environments: Mapping[str, frozenset[str]]
) -> list[tuple[str, tuple[str, ...]]]:
    """The affected targets by environment, sorted; each target in exactly one group.

    A target in several environments goes to the first by name (its entry's cluster stage
    applies every environment the target is in); one in none to `NO_ENVIRONMENT`, last;
    one nested under another affected target to that target's group.
    """
    home: dict[str, str] = {}
    for target in sorted(set(targets)):
        home[target] = next(
            (name for name in sorted(environments) if target in environments[name]),
            NO_ENVIRONMENT,
        )
    for target in sorted(home):
        parent = next((p for p in sorted(home) if target.startswith(p + "/")), None)
        if parent is not None:
            home[target] = home[parent]
    by_env: dict[str, list[str]] = {}
    for target, env in home.items():
        by_env.setdefault(env, []).append(target)
    order = sorted(by_env, key=lambda e: (e == NO_ENVIRONMENT, e))
    return [(env, tuple(sorted(by_env[env]))) for env in order]


def _slug(text: str) -> str:
    slug = _UNSAFE_NAME.sub("-", text.lower()).strip("-.")[:_NAME_LENGTH].strip("-.")
    return slug or "env"


def _split(items: Sequence[Any], parts: int) -> list[Sequence[Any]]:
    """`items` in `parts` contiguous chunks whose sizes differ by at most one."""
    size, extra = divmod(len(items), parts)
    out, start = [], 0
    for i in range(parts):
        end = start + size + (1 if i < extra else 0)
        out.append(items[start:end])
        start = end
    return out


def entries(
    grouped: Sequence[tuple[str, tuple[str, ...]]], max_jobs: int, shard_size: int
) -> list[Entry]:
    """Shard large groups, then pack neighbours so that at most `max_jobs` entries remain."""
    units: list[Entry] = []
    for env, targets in grouped:
        shards = max(1, math.ceil(len(targets) / shard_size))
        base = _slug(env)
        for i, chunk in enumerate(_split(targets, shards), 1):
            name = base if shards == 1 else f"{base}-{i}of{shards}"
            units.append(Entry(name, () if env == NO_ENVIRONMENT else (env,), tuple(chunk)))
    if len(units) > max_jobs:
        packed = []
        for chunk in _split(units, max_jobs):
            name = chunk[0].name if len(chunk) == 1 else f"{chunk[0].name}..{chunk[-1].name}"
            envs = tuple(dict.fromkeys(e for u in chunk for e in u.environments))
            packed.append(Entry(name, envs, tuple(t for u in chunk for t in u.targets)))
        units = packed
    seen: dict[str, int] = {}
    out = []
    for unit in units:
        count = seen[unit.name] = seen.get(unit.name, 0) + 1
        out.append(unit if count == 1 else dataclasses.replace(unit, name=f"{unit.name}-{count}"))
    return out


def check_safe(targets: Iterable[str]) -> None:
    """Refuse a target path a CI job's shell could read as more than one path (exit 3)."""
    for path in targets:
        if not all(_SAFE_SEGMENT.fullmatch(part) for part in path.split("/")):
            raise ToolError(
                f"render target {json.dumps(path)} cannot be handed to a CI job safely: a "
                "path of letters, digits and `._-/` (no segment starting with `-`) is "
                "needed; rename the directory"
            )


def environment_targets(settings: Settings, cache: RunCache) -> dict[str, frozenset[str]]:
    """Every environment of the repository and its render targets (`cluster.environments`).

    Only the targets that can hold Argo CD Applications are rendered, after the same
    hardening scan as `validate` (a refused one is left out: its entry reports why).
    """
    root = settings.repo_root
    all_targets = discover(root, settings.targets, cache)
    sources = [
        t
        for t in affected.argocd_sources(settings, all_targets, cache)
        if not harden.blocking(harden.scan(root, [t.path], settings.allowed_remotes, cache))
    ]
    if not sources:
        return {}
    renderer = make_renderer(settings, toolchain.locate(settings).kustomize)
    use_cache = rendercache.distrust(settings.cache_path, root) is None
    rendered = render_targets(settings, renderer, sources, use_cache, cache=cache)
    apps = [
        o
        for rt in rendered
        if rt.error is None
        for o in rt.objects
        if o.ref.kind in ("Application", "ApplicationSet")
    ]
    facts = repo_facts(settings, all_targets, rendered)
    return {e.name: e.targets for e in cluster.environments(ObjectIndex(apps, "argocd"), facts)}


def default_fan_out_at(settings: Settings) -> int:
    """The measured crossover for this repository: with the twin when its config runs it."""
    return FAN_OUT_AT_TWIN if cluster_skipped(settings) is None else FAN_OUT_AT


def plan(
    settings: Settings,
    change: affected.ChangeSet,
    environments: Mapping[str, frozenset[str]],
    *,
    fan_out_at: int | None = None,
    max_jobs: int = MAX_JOBS,
    shard_size: int = SHARD_SIZE,
) -> Plan:
    """The matrix of a change set, given the repository's environments.

    `fan_out_at` None: `default_fan_out_at`.
    """
    if fan_out_at is None:
        fan_out_at = default_fan_out_at(settings)
    targets = [t.path for t in change.targets]
    if targets:
        found = entries(groups(targets, environments), max_jobs, shard_size)
    elif only_yaml([settings.repo_root / f for f in change.changed], settings.repo_root):
        found = [Entry(CHANGED_FILES, (), ())]
    else:
        found = []
    fan_out = len(environments) >= fan_out_at
    if fan_out:
        check_safe(targets)
    return Plan(fan_out, len(environments), fan_out_at, tuple(found))


def render(p: Plan) -> str:
    """The matrix as one line of JSON (what `strategy.matrix` and `$GITHUB_OUTPUT` take)."""
    return json.dumps(p.matrix(), separators=(",", ":")) + "\n"


def github_output(p: Plan) -> str:
    """The lines `affected --github-output` appends to `$GITHUB_OUTPUT`."""
    return (
        f"fan-out={'true' if p.fan_out else 'false'}\nentries={len(p.entries)}\nmatrix={render(p)}"
    )


# --------------------------------------------------------------------------- the summary


@dataclass(frozen=True, slots=True)
class JobReport:
    """One job's JSON report (`validate --report json=FILE`), named after its directory."""

    name: str
    data: Mapping[str, Any]


def _job_name(file: Path, given: Path) -> str:
    name = file.parent.name if file.parent != given else file.stem
    return name.removeprefix(REPORT_PREFIX) or name


def read_reports(paths: Sequence[Path]) -> list[JobReport]:
    """The JSON reports at `paths`: files, or directories holding them (any depth).

    A job is named after the directory its report is in (less the PR workflow's artifact
    prefix `kuberay-gitops-report-`); a path that does not exist holds none (no job ran).
    """
    files: list[tuple[str, Path]] = []
    for path in paths:
        if path.is_dir():
            files += [(_job_name(f, path), f) for f in path.rglob("*.json")]
        elif path.is_file():
            files.append((path.stem, path))
    out = []
    for name, file in sorted(files):
        try:
            data = json.loads(file.read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ToolError(f"{file}: not a JSON report ({exc})") from exc
        if not isinstance(data, dict) or data.get("version") != 1:
            raise ToolError(f"{file}: not a kuberay-gitops JSON report (version 1)")
        out.append(JobReport(name, data))
    return out


def _cell(value: object) -> str:
    text = " ".join(str(value if value is not None else "").split())
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def _finding_key(f: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(str(f.get(k)) for k in sorted(f))


def merged_findings(reports: Sequence[JobReport]) -> list[Mapping[str, Any]]:
    """Every finding once: a changed file's lint and secret findings come from every job."""
    seen: dict[tuple[str, ...], Mapping[str, Any]] = {}
    for r in reports:
        for f in r.data.get("findings") or []:
            seen.setdefault(_finding_key(f), f)
    return sorted(
        seen.values(),
        key=lambda f: (str(f.get("file")), int(f.get("line") or 0), str(f.get("check"))),
    )


def summary_markdown(reports: Sequence[JobReport], expected: int | None) -> str:
    """The job summary of a fanned-out validation: per job, then every finding once."""
    findings = merged_findings(reports)
    errors = sum(1 for f in findings if f.get("severity") == "error")
    warnings = sum(1 for f in findings if f.get("severity") == "warning")
    targets = sum(int(r.data.get("summary", {}).get("targets", 0)) for r in reports)
    objects = sum(int(r.data.get("summary", {}).get("objects", 0)) for r in reports)
    lines = [
        f"## kuberay-gitops: {len(reports)} job(s)",
        "",
        f"checked {targets} target(s), {objects} object(s): {errors} error(s), "
        f"{warnings} warning(s) (each finding once)",
    ]
    if expected is not None and len(reports) < expected:
        lines += [
            "",
            f"**{expected - len(reports)} of {expected} job(s) left no report**: they failed "
            "before writing one; their logs say why.",
        ]
    if reports:
        lines += [
            "",
            "| job | targets | objects | errors | warnings | cluster |",
            "|---|---|---|---|---|---|",
        ]
    for r in reports:
        s = r.data.get("summary", {})
        clusters = ", ".join(
            f"{c.get('environment')}: {c.get('applied')} applied"
            for c in r.data.get("clusters") or []
        ) or (
            f"skipped ({r.data.get('cluster_skipped')})" if r.data.get("cluster_skipped") else "-"
        )
        lines.append(
            f"| {_cell(r.name)} | {s.get('targets', 0)} | {s.get('objects', 0)} "
            f"| {s.get('errors', 0)} | {s.get('warnings', 0)} | {_cell(clusters)} |"
        )
    if findings:
        lines += ["", "| severity | check | where | finding |", "|---|---|---|---|"]
        for f in findings:
            where = f"{f.get('file')}:{f.get('line')}" if f.get("line") else f.get("file")
            obj = "/".join(str(f[k]) for k in ("kind", "namespace", "name") if f.get(k))
            text = f"{obj} {f.get('field') or ''}: {f.get('message')}" if obj else f.get("message")
            lines.append(
                f"| {_cell(f.get('severity'))} | {_cell(f.get('check'))} | {_cell(where)} "
                f"| {_cell(text)} |"
            )
    return "\n".join(lines) + "\n"


def failed(reports: Sequence[JobReport], expected: int | None, fail_on: str) -> bool:
    """Whether the merged verdict fails: a missing report, or a finding at `fail_on`."""
    if expected is not None and len(reports) < expected:
        return True
    threshold = Severity(fail_on).rank
    ranks = {s.value: s.rank for s in Severity}
    return any(ranks.get(str(f.get("severity")), 0) >= threshold for f in merged_findings(reports))
