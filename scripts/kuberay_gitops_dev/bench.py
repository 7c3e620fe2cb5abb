"""`make bench`: kuberay-gitops validate against the naive CI loop and the render floor.

For each size N, a synthetic repository is generated in a temporary directory: the real
repository's base/, components/, app bases and Argo CD project, with N environments
cloned from the real `staging` environment (overlays, app overlays, one ApplicationSet
each, AppProject destinations). It must validate clean with the real tool before anything
is measured. Then, side by side:

- naive: the CI loop teams usually write (bash, `set -euo pipefail`): per target
  `kustomize build | tee | kubeconform -strict`, then `checkov -d` on that target's render.
  It is sequential and costs about 23 s per environment, so it runs the targets outside
  the environments (argocd) plus --naive-envs environments, and the other environments
  are extrapolated from the sample's per-target times;
- floor: every target built by kustomize in parallel over the cores, nothing else;
- validate-cold / validate-warm: `kuberay-gitops validate` with an empty / a filled cache;
- changed-since: `kuberay-gitops validate --changed-since HEAD` after a working-tree edit
  of one environment's RayCluster overlay;
- checkov-once: one checkov run over every checkov-scannable rendered object, the other
  half of the "render floor + one checkov run" bound (killed after --checkov-timeout);
- fan-out: the PR workflow's two shapes after a change to every environment, as CI runs
  them (base checkout's policy, pull request as data, cold): one job validating the whole
  repository, against the plan's largest matrix entry plus the start-up of the two jobs
  fanning out adds (`--job-start`, a documented constant); the crossover N from which
  fanning out wins is the default of `affected --fan-out-at`.

A size whose synthetic repository does not validate clean stops the benchmark: its
findings are printed, the sizes measured so far are reported, and the exit code is 1.

Each run is timed (wall clock) and its peak RSS recorded twice: the largest single process
(`/usr/bin/time -f %M`, i.e. getrusage's ru_maxrss over the tree) and the sampled sum over
the live process tree. Results: a table on stdout, JSON in `<out>/bench-<timestamp>.json`.
Progress goes to stderr. This is never part of `make test`: tests assert no timings.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import platform
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from kuberay_gitops import __version__
from kuberay_gitops.cli import find_repo_root
from kuberay_gitops.discover import discover, select
from kuberay_gitops.matrix import MAX_JOBS
from kuberay_gitops.settings import CONFIG_FILE, TOOLCHAIN_FILE, Settings, load
from kuberay_gitops.tools.mirror import git_env
from kuberay_gitops.tools.schemas import BUILTIN_TEMPLATE, CRD_TEMPLATE
from kuberay_gitops_dev.mutation import copy_repository

PIPELINES = (
    "naive",
    "floor",
    "validate-cold",
    "validate-warm",
    "changed-since",
    "checkov-once",
    "fan-out",
    "cluster",
    "audit",
)
SOURCE_ENV = "staging"
ENV_FORMAT = "env-{:03d}"
# Copied as they are; kuberay-gitops.yaml is rewritten (absolute shared/tools/cache dirs).
COPIED_DIRS = ("base", "components")
COPIED_FILES = (TOOLCHAIN_FILE, ".yamllint", ".gitignore")
APPSET_DIR = "argocd/applicationsets"
CHANGE_FILE = "patch-raycluster-bench.yaml"
CHANGE_PATCH = """\
# bench: the one-overlay change measured by `kuberay-gitops validate --changed-since HEAD`.
apiVersion: ray.io/v1
kind: RayCluster
metadata:
  name: raycluster-autoscaler
  namespace: kuberay
  annotations:
    kuberay-gitops.bench/change: "{tag}"
"""
# Same environment as the tool gives checkov (no mapping download, no SCA scan).
CHECKOV_ENV = {"BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"}
_GIT_ENV = {
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@kuberay-gitops.invalid",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@kuberay-gitops.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
}
# Used when /usr/bin/time is missing: ru_maxrss of the waited-for tree, in KiB.
_RSS_WRAPPER = (
    "import resource, subprocess, sys\n"
    "rc = subprocess.call(sys.argv[2:])\n"
    "open(sys.argv[1], 'w').write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))\n"
    "sys.exit(rc)\n"
)
GIB = 1024**3
TARGET_SPEEDUP = 3.0
TARGET_FLOOR_FACTOR = 1.5
TARGET_CHANGED_SHARE = 0.10
TARGET_LINEAR_RATIO = 1.5
# Issue 19: a warm run at most this share of the render floor, and one changed overlay
# validated within this many seconds, at the largest N.
TARGET_WARM_FLOOR_SHARE = 0.10
TARGET_CHANGED_SECONDS = 1.0
# Below this many seconds per environment a pipeline counts as flat in N.
FLAT_SLOPE = 0.02
# What a GitHub-hosted job costs before its first step does useful work, with the set-up
# cache hit: queueing and booting a runner (~10-20 s), both checkouts, setup-python and
# setup-go, restoring the cached .venv/.tools/Go modules and `make setup` finding them
# current (~20-30 s). A documented constant, not measured here: `--job-start` changes it.
JOB_START_SECONDS = 40.0
# The platform-wide change the fan-out pipeline measures: every environment's RayCluster
# unit reads this file.
FAN_OUT_CHANGE = "base/raycluster/kustomization.yaml"


class BenchError(Exception):
    """The benchmark cannot run or would measure a failing pipeline."""


def _progress(message: str) -> None:
    print(f"bench {time.strftime('%H:%M:%S')}: {message}", file=sys.stderr, flush=True)


def _clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of measured processes: no KUBERAY_GITOPS_* overrides."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KUBERAY_GITOPS_")}
    env.update(extra or {})
    return env


# --------------------------------------------------------------------------- measuring


@dataclass(frozen=True, slots=True)
class Run:
    """One timed process."""

    wall: float
    returncode: int
    max_rss_kib: int  # largest single process of the tree (ru_maxrss)
    tree_rss_kib: int  # sampled peak of the summed RSS of the live tree
    stdout: str
    stderr: str
    timed_out: bool = False


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/children") as fh:
                out.extend(int(c) for c in fh.read().split())
        except OSError:
            continue
    return out


def _tree_rss_kib(root: int, page_kib: int) -> int:
    total = 0
    stack = [root]
    while stack:
        pid = stack.pop()
        try:
            with open(f"/proc/{pid}/statm") as fh:
                total += int(fh.read().split()[1]) * page_kib
        except (OSError, IndexError, ValueError):
            continue
        stack.extend(_children(pid))
    return total


class _TreeSampler:
    """Polls the summed RSS of a process tree (a lower bound: short peaks can be missed)."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        self.pid = pid
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._page_kib = os.sysconf("SC_PAGE_SIZE") // 1024 if hasattr(os, "sysconf") else 4
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, _tree_rss_kib(self.pid, self._page_kib))
            self._stop.wait(self.interval)

    def __enter__(self) -> _TreeSampler:
        if Path("/proc").is_dir():
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()


def measure(
    argv: Sequence[str], *, env: Mapping[str, str], cwd: Path, timeout: float = 3600.0
) -> Run:
    """Run argv to completion, timing it and recording its peak RSS.

    After `timeout` seconds the whole process group is killed and the run comes back
    with `timed_out` set (and wall = the time waited).
    """
    with tempfile.TemporaryDirectory(prefix="kuberay-bench-run-") as tmp:
        rss_file = Path(tmp) / "rss"
        time_bin = Path("/usr/bin/time")
        if time_bin.is_file():
            wrapped = [str(time_bin), "-f", "%M", "-o", str(rss_file), *argv]
        else:
            wrapped = [sys.executable, "-c", _RSS_WRAPPER, str(rss_file), *argv]
        out_path, err_path = Path(tmp) / "out", Path(tmp) / "err"
        with out_path.open("wb") as out, err_path.open("wb") as err:
            start = time.perf_counter()
            proc = subprocess.Popen(
                wrapped, stdout=out, stderr=err, env=dict(env), cwd=cwd, start_new_session=True
            )
            timed_out = False
            with _TreeSampler(proc.pid) as sampler:
                try:
                    code = proc.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    timed_out = True
                    os.killpg(proc.pid, signal.SIGKILL)  # our own session: the wrapper's tree
                    code = proc.wait()
            wall = time.perf_counter() - start
        rss_text = rss_file.read_text().strip() if rss_file.is_file() else ""
        # GNU time prefixes "Command exited with non-zero status N" to the file.
        rss_lines = rss_text.splitlines()
        max_rss = int(rss_lines[-1]) if rss_lines and rss_lines[-1].isdigit() else 0
        return Run(
            wall=wall,
            returncode=code,
            max_rss_kib=max_rss,
            tree_rss_kib=sampler.peak,
            stdout=out_path.read_text(errors="replace"),
            stderr=err_path.read_text(errors="replace"),
            timed_out=timed_out,
        )


# --------------------------------------------------------------------------- cluster stage

CLUSTER_CHANGE = (
    "overlays/dev/raycluster/patch-raycluster-size.yaml",
    "value: 60\n",
    "value: 61\n",
)


@dataclass(frozen=True, slots=True)
class ClusterRun:
    """One measured validate of the real repository, with and without the cluster stage."""

    what: str
    wall: float
    tree_rss_kib: int
    environments: Mapping[str, float]  # the twin's seconds per environment (0: reused)


def _cluster_run(what: str, argv: Sequence[str], env: Mapping[str, str], cwd: Path) -> ClusterRun:
    run = measure(argv, env=env, cwd=cwd)
    summary = _require_clean(run, f"cluster: {what}")
    del summary
    data = json.loads(run.stdout)
    envs = {str(c["environment"]): float(c["seconds"]) for c in data.get("clusters", [])}
    _progress(f"cluster: {what}: {run.wall:.1f}s, {run.tree_rss_kib // 1024} MiB")
    return ClusterRun(what, run.wall, run.tree_rss_kib, envs)


def bench_cluster(real: Settings, tmp: Path) -> list[ClusterRun]:
    """The cluster stage on a copy of the real repository: what the twin adds.

    Cold runs start from an empty cache (renders, schemas and stored verdicts); the
    one-environment run validates dev's RayCluster target, so dev alone is applied; the
    changed-since run edits that target after a warm run and validates the change.
    """
    root = tmp / "cluster-real"
    root.mkdir(parents=True)
    copy_repository(real.repo_root, root)
    cache = tmp / "cluster-cache"
    (root / CONFIG_FILE).write_text(_config_text(real, cache))
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "bench")
    tool = str(_tool())
    env = _clean_env()

    def argv(*extra: str) -> list[str]:
        return [tool, "--repo", str(root), "validate", "--skip-checkov", "--format", "json", *extra]

    def cold(what: str, *extra: str) -> ClusterRun:
        shutil.rmtree(cache, ignore_errors=True)
        return _cluster_run(what, argv(*extra), env, root)

    one = "overlays/dev/raycluster"
    runs = [
        cold("static, cold", "--no-cluster"),
        cold("with the twin, cold"),
        _cluster_run("with the twin, warm (verdicts reused)", argv(), env, root),
        cold("one environment (dev), static, cold", one, "--no-cluster"),
        cold("one environment (dev), with the twin, cold", one),
    ]
    _cluster_run("warm-up", argv(), env, root)
    path = root / CLUSTER_CHANGE[0]
    path.write_text(path.read_text().replace(CLUSTER_CHANGE[1], CLUSTER_CHANGE[2], 1))
    runs.append(
        _cluster_run(
            "changed-since, one environment touched", argv("--changed-since", "HEAD"), env, root
        )
    )
    return runs


@dataclass(frozen=True, slots=True)
class TwinCost:
    """What the twin adds to a cold validate: one environment alone, each further one."""

    alone: float
    marginal: float


def twin_cost(runs: Sequence[ClusterRun]) -> TwinCost:
    """From the cluster runs: the first environment's twin and each further one's."""
    by = {r.what: r for r in runs}
    added = by["with the twin, cold"].wall - by["static, cold"].wall
    alone = (
        by["one environment (dev), with the twin, cold"].wall
        - by["one environment (dev), static, cold"].wall
    )
    envs = max(1, len(by["with the twin, cold"].environments))
    return TwinCost(alone, max(0.0, (added - alone) / max(1, envs - 1)))


def cluster_targets(runs: Sequence[ClusterRun]) -> list[Target]:
    """The cluster stage's targets (issue: at most 30 s added, 5 s per environment...)."""
    by = {r.what: r for r in runs}
    added = by["with the twin, cold"].wall - by["static, cold"].wall
    one_env = (
        by["one environment (dev), with the twin, cold"].wall
        - by["one environment (dev), static, cold"].wall
    )
    envs = max(1, len(by["with the twin, cold"].environments))
    marginal = (added - one_env) / max(1, envs - 1)
    peak = max(r.tree_rss_kib for r in runs)
    changed = by["changed-since, one environment touched"].wall
    return [
        Target("the twin adds to a cold validate", f"{added:.1f} s", "≤ 30 s", added <= 30),
        Target(
            "each additional environment",
            f"{marginal:.1f} s ({envs} environments; one alone adds {one_env:.1f} s)",
            "≤ 5 s",
            marginal <= 5,
        ),
        Target(
            "--changed-since touching one environment", f"{changed:.1f} s", "< 15 s", changed < 15
        ),
        Target(
            "peak RSS of the process tree", f"{_mib(peak)} MiB", "< 1.5 GiB", peak < 1536 * 1024
        ),
    ]


def cluster_table(runs: Sequence[ClusterRun]) -> str:
    """A markdown table of the cluster runs."""
    lines = [
        "| run | wall s | RSS MiB (tree) | twin s per environment |",
        "|---|---|---|---|",
    ]
    for r in runs:
        envs = ", ".join(f"{k} {v:.1f}" for k, v in sorted(r.environments.items())) or "-"
        lines.append(f"| {r.what} | {r.wall:.2f} | {r.tree_rss_kib // 1024} | {envs} |")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- fan-out

FAN_OUT_DOC_BEGIN = "<!-- BEGIN fan-out: generated by `make bench` (--update-doc); do not edit -->"
FAN_OUT_DOC_END = "<!-- END fan-out -->"
RESULTS_DOC_BEGIN = "<!-- BEGIN results: generated by `make bench` (--update-doc); do not edit -->"
RESULTS_DOC_END = "<!-- END results -->"


@dataclass(frozen=True, slots=True)
class FanOut:
    """The PR workflow's two shapes at one size, after a change to every environment.

    `single`: the one job's `validate` of the whole repository; `entry`: the largest
    matrix entry's `validate --changed-since`; `merge`: `merge-reports` over its report;
    `plan`: `affected --format github-matrix` (both shapes run it first). Seconds, cold.
    """

    n: int
    plan: float
    single: float
    entry: float
    merge: float
    entries: int
    entry_environments: int
    entry_targets: int

    def one_job(self, twin: TwinCost | None = None) -> float:
        """After the plan step: the one job validates everything (with the twin: N of them)."""
        extra = 0.0 if twin is None else twin.alone + twin.marginal * (self.n - 1)
        return self.single + extra

    def fanned(self, job_start: float, twin: TwinCost | None = None) -> float:
        """After the plan step: a matrix job starts and validates, then the summary job.

        With the twin, the largest entry starts its own environments' twins from scratch.
        """
        k = self.entry_environments
        extra = 0.0 if twin is None else twin.alone + twin.marginal * max(0, k - 1)
        return job_start + self.entry + extra + job_start + self.merge


@contextmanager
def every_environment_changed(repo: Synthetic, tag: str) -> Iterator[None]:
    """Working-tree edit of a file every environment's RayCluster unit reads."""
    path = repo.root / FAN_OUT_CHANGE
    original = path.read_text()
    try:
        path.write_text(original + f"# bench: a platform-wide change ({tag})\n")
        yield
    finally:
        path.write_text(original)


def bench_fan_out(n: int, opts: Options, repo: Synthetic, tmp: Path) -> FanOut:
    """Both shapes of the PR workflow, as CI runs them: base policy, the PR as data, cold.

    The base checkout is a copy of the committed synthetic repository; the pull request
    is its working tree with `every_environment_changed`. Each measurement starts from an
    empty cache, as every CI job does. The cluster stage is off, as for every synthetic
    size (`cluster` measures the twin on the real repository).
    """
    base = tmp / f"fan-out-base-{n}"
    shutil.copytree(repo.root, base, ignore=shutil.ignore_patterns(".git"))
    tool = str(_tool())
    pr = ["--repo", str(repo.root), "--policy-from", str(base)]
    env = _clean_env()
    walls: dict[str, list[float]] = {"plan": [], "single": [], "entry": [], "merge": []}
    largest: dict[str, Any] = {}
    count = 0

    def cold(what: str, argv: Sequence[str]) -> Run:
        shutil.rmtree(repo.cache_dir, ignore_errors=True)
        r = measure(argv, env=env, cwd=repo.root)
        walls[what].append(r.wall)
        _progress(f"N={n}: fan-out {what}: {r.wall:.1f}s")
        return r

    def once(i: int) -> float:
        nonlocal largest, count
        with every_environment_changed(repo, f"{n}-{i}-{time.time_ns()}"):
            plan_argv = [
                tool, *pr, "affected", "--base", "HEAD", "--format", "github-matrix",
                "--fan-out-at", "0", "--max-jobs", str(opts.max_jobs),
            ]  # fmt: skip
            r = cold("plan", plan_argv)
            if r.returncode != 0:
                raise BenchError(f"N={n}: the plan failed: {r.stderr.strip()[-2000:]}")
            include = json.loads(r.stdout)["include"]
            if not include:
                raise BenchError(f"N={n}: a change of {FAN_OUT_CHANGE} affected no target")
            count = len(include)
            largest = max(include, key=lambda e: (len(e["targets"]), e["name"]))
            single = cold("single", [tool, *pr, "validate", "--no-cluster", "--format", "json"])
            _require_clean(single, f"N={n}: validate (one job)")
            entry_argv = [
                tool, *pr, "validate", "--no-cluster", "--format", "json",
                "--changed-since", "HEAD", *largest["targets"],
            ]  # fmt: skip
            entry = cold("entry", entry_argv)
            _require_clean(entry, f"N={n}: validate (largest entry {largest['name']})")
        report = tmp / f"fan-out-{n}.json"
        report.write_text(entry.stdout)
        merge = measure([tool, "merge-reports", "--expect", "1", str(report)], env=env, cwd=tmp)
        if merge.returncode != 0:
            raise BenchError(f"N={n}: merge-reports failed: {merge.stderr.strip()[-2000:]}")
        walls["merge"].append(merge.wall)
        return single.wall + entry.wall

    _repeat_loop(f"N={n} fan-out", opts, once)
    shutil.rmtree(base, ignore_errors=True)
    return FanOut(
        n,
        statistics.median(walls["plan"]),
        statistics.median(walls["single"]),
        statistics.median(walls["entry"]),
        statistics.median(walls["merge"]),
        count,
        len(largest.get("environments", [])),
        len(largest.get("targets", [])),
    )


@dataclass(frozen=True, slots=True)
class Crossover:
    """The smallest N from which fanning out wins, and how it was found."""

    n: float | None  # None: not within reach of the figures (see `how`)
    how: str


def crossover(runs: Sequence[FanOut], job_start: float, twin: TwinCost | None = None) -> Crossover:
    """Where `fanned - one_job` changes sign: between two measured sizes, else extrapolated.

    Between the sizes measured, linear interpolation; beyond them, the least-squares lines
    of both shapes over the sizes (two at least). A margin that does not grow with N has
    no crossover.
    """
    pts = sorted((r.n, r.fanned(job_start, twin) - r.one_job(twin)) for r in runs)
    if not pts:
        return Crossover(None, "not measured")
    if pts[0][1] <= 0:
        return Crossover(float(pts[0][0]), f"fan-out already wins at the smallest N ({pts[0][0]})")
    for (n0, d0), (n1, d1) in itertools.pairwise(pts):
        if d1 <= 0:
            at = n0 + (n1 - n0) * d0 / (d0 - d1)
            return Crossover(at, f"interpolated between N={n0} and N={n1}")
    if len(pts) < 2:
        return Crossover(None, "one size only, and fan-out does not win there")
    slope, intercept, _ = fit([(float(n), d) for n, d in pts])
    if not slope < 0:
        return Crossover(None, "the margin of one job does not shrink with N")
    return Crossover(-intercept / slope, f"extrapolated from N={pts[0][0]}..{pts[-1][0]}")


def fan_out_table(
    runs: Sequence[FanOut], job_start: float, max_jobs: int, twin: TwinCost | None = None
) -> str:
    """A markdown table of both shapes per size, and the crossover lines."""
    twin_head = " with the twin: one job s / fanned out s / faster |" if twin else ""
    lines = [
        "| N | plan s | one job: validate s | entries | largest entry (envs / targets) "
        "| largest entry: validate s | merge s | fanned out s | faster |" + twin_head,
        "|---|---|---|---|---|---|---|---|---|" + ("---|" if twin else ""),
    ]

    def faster(fanned: float, one: float) -> str:
        return "fan-out" if fanned < one else "one job"

    for r in sorted(runs, key=lambda r: r.n):
        fanned = r.fanned(job_start)
        row = (
            f"| {r.n} | {r.plan:.2f} | {r.one_job():.2f} | {r.entries} "
            f"| {r.entry_environments} / {r.entry_targets} | {r.entry:.2f} | {r.merge:.2f} "
            f"| {fanned:.2f} | {faster(fanned, r.one_job())} |"
        )
        if twin is not None:
            one, fan = r.one_job(twin), r.fanned(job_start, twin)
            row += f" {one:.2f} / {fan:.2f} / {faster(fan, one)} |"
        lines.append(row)

    def at(c: Crossover) -> str:
        return ("none" if c.n is None else f"N ≈ {c.n:.0f}") + f" ({c.how})"

    text = (
        "\n".join(lines)
        + "\n\n"
        + f"Fanned out = {job_start:g} s (the matrix job's start-up) + the largest entry + "
        + f"{job_start:g} s (the summary job's) + the merge; the plan runs before both shapes "
        + f"and is not counted. At most {max_jobs} entries. "
        + f"Crossover: {at(crossover(runs, job_start))}.\n"
    )
    if twin is not None:
        text += (
            f"\nWith the twin (the `cluster` pipeline's figures on the real repository: the "
            f"first environment adds {twin.alone:.1f} s, each further one "
            f"{twin.marginal:.1f} s, added to the one job for N environments and to the "
            f"largest entry for its own): crossover {at(crossover(runs, job_start, twin))}.\n"
        )
    return text


def fan_out_doc(
    text: str,
    runs: Sequence[FanOut],
    opts: Options,
    stamp: str,
    commit: str,
    twin: TwinCost | None = None,
) -> str:
    """`text` with the block between the fan-out markers replaced by this run's figures."""
    info = machine()
    sizes = ",".join(str(r.n) for r in sorted(runs, key=lambda r: r.n))
    head = (
        f"Run {stamp}, commit `{commit}`, {info['nproc']} cores ({info['cpu']}), "
        f"{info['mem_gib']} GiB: `python -m kuberay_gitops_dev.bench --sizes {sizes} "
        f"--only {','.join(p for p in PIPELINES if p in opts.only)} --repeat {opts.repeat} "
        f"--job-start {opts.job_start:g} --max-jobs {opts.max_jobs}`.\n"
    )
    body = head + "\n" + fan_out_table(runs, opts.job_start, opts.max_jobs, twin)
    return splice(text, FAN_OUT_DOC_BEGIN, FAN_OUT_DOC_END, body)


def splice(text: str, begin_marker: str, end_marker: str, body: str) -> str:
    """`text` with what lies between the two markers replaced by `body`."""
    begin, end = text.find(begin_marker), text.find(end_marker)
    if begin < 0 or end < begin:
        raise BenchError(f"markers {begin_marker!r} ... {end_marker!r} not found")
    return text[: begin + len(begin_marker)] + "\n\n" + body + "\n" + text[end:]


def results_doc(
    text: str,
    measurements: Sequence[Measurement],
    fitted: Sequence[Slope],
    verdicts: Sequence[Target],
    opts: Options,
    stamp: str,
    commit: str,
    total: float,
) -> str:
    """`text` with the results block replaced by this run's tables (what `make bench` prints)."""
    info = machine()
    sizes = ",".join(str(n) for n in opts.sizes)
    head = (
        f"Run {stamp}, commit `{commit}`, {info['nproc']} cores ({info['cpu']}), "
        f"{info['mem_gib']} GiB, {total / 60:.0f} min in all: `python -m "
        f"kuberay_gitops_dev.bench --sizes {sizes} --repeat {opts.repeat} --budget "
        f"{opts.budget:g} --naive-envs {opts.naive_envs} --checkov-timeout "
        f"{opts.checkov_timeout:g}` (pipelines: "
        f"{', '.join(p for p in PIPELINES if p in opts.only)}).\n"
    )
    parts = [head, table(measurements)]
    if fitted:
        parts.append(_slopes_text(fitted))
    if verdicts:
        parts.append(_targets_text(verdicts))
    return splice(text, RESULTS_DOC_BEGIN, RESULTS_DOC_END, "\n".join(parts))


# --------------------------------------------------------------------------- live Ray audit

AUDIT_WALL_TARGET = 90.0  # issue 16: the live port audit of the repository, on 2 cores
AUDIT_RSS_TARGET_KIB = 3 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class AuditRun:
    """`kuberay-gitops audit-ports` on a copy of the real repository (real Ray, real twin)."""

    wall: float
    tree_rss_kib: int
    findings: int
    note: str


def bench_audit(real: Settings, tmp: Path) -> AuditRun:
    """One audit from a cold cache: render, twin, the Ray nodes, compare.

    The peak RSS is the sampled sum over the whole process tree, so every Ray daemon,
    worker and the twin's servers count.
    """
    root = tmp / "audit-real"
    root.mkdir(parents=True)
    copy_repository(real.repo_root, root)
    cache = tmp / "audit-cache"
    (root / CONFIG_FILE).write_text(_config_text(real, cache))
    argv = [str(_tool()), "--repo", str(root), "audit-ports", "--format", "json", "-q"]
    run = measure(argv, env=_clean_env(), cwd=root)
    if run.returncode not in (0, 1) or run.timed_out:
        raise BenchError(f"audit-ports: exit {run.returncode}: {run.stderr.strip()[-400:]}")
    data = json.loads(run.stdout)
    note = str((data.get("notes") or [""])[0])
    _progress(f"audit-ports: {run.wall:.1f}s, {run.tree_rss_kib // 1024} MiB; {note}")
    return AuditRun(run.wall, run.tree_rss_kib, len(data.get("findings", [])), note)


def audit_targets(run: AuditRun) -> list[Target]:
    """The live audit's targets: under 90 s and under 3 GiB for the process tree."""
    return [
        Target(
            "audit-ports on the repository (wall)",
            f"{run.wall:.1f} s",
            f"< {AUDIT_WALL_TARGET:g} s",
            run.wall < AUDIT_WALL_TARGET,
        ),
        Target(
            "audit-ports peak RSS of the process tree",
            f"{_mib(run.tree_rss_kib)} MiB",
            "< 3 GiB",
            run.tree_rss_kib < AUDIT_RSS_TARGET_KIB,
        ),
    ]


# --------------------------------------------------------------------------- synthetic repo


@dataclass(frozen=True, slots=True)
class Synthetic:
    """A generated repository with N environments."""

    root: Path
    cache_dir: Path
    envs: tuple[str, ...]
    settings: Settings

    @property
    def change_dir(self) -> Path:
        """The overlay edited for the changed-since measurement."""
        return self.root / "overlays" / self.envs[0] / "raycluster"

    def targets(self) -> list[str]:
        """The render targets, exactly as the tool discovers them."""
        found = discover(self.root, self.settings.targets)
        return [t.path for t in select(found, self.root, [])]

    def env_of(self, target: str) -> str | None:
        """The environment a target belongs to (None for argocd)."""
        parts = target.split("/")
        return next((e for e in self.envs if e in parts), None)


def _env_names(n: int) -> tuple[str, ...]:
    return tuple(ENV_FORMAT.format(i) for i in range(1, n + 1))


def _argocd_kustomization(text: str, envs: Sequence[str]) -> str:
    """Replace the ApplicationSet resources with one per synthetic environment."""
    out: list[str] = []
    inserted = False
    for line in text.splitlines():
        m = re.match(r"^(\s*-\s*)applicationsets/\S+\.yaml\s*$", line)
        if m is None:
            out.append(line)
            continue
        if not inserted:
            out.extend(f"{m.group(1)}applicationsets/applicationset-kuberay-{e}.yaml" for e in envs)
            inserted = True
    if not inserted:
        raise BenchError("argocd/kustomization.yaml lists no applicationsets/*.yaml")
    return "\n".join(out) + "\n"


def _project_destinations(text: str, envs: Sequence[str]) -> str:
    """Append each synthetic cluster, with the namespaces the source env is allowed."""
    data = yaml.safe_load(text)
    namespaces = [
        d["namespace"]
        for d in data["spec"]["destinations"]
        if isinstance(d, dict) and d.get("name") == SOURCE_ENV
    ]
    lines = text.splitlines()
    try:
        at = next(i for i, line in enumerate(lines) if line.strip() == "destinations:")
    except StopIteration:
        raise BenchError("the AppProject has no destinations: block") from None
    indent = " " * (len(lines[at]) - len(lines[at].lstrip()) + 2)
    extra = [
        f"{indent}{prefix}{line}"
        for e in envs
        for ns in namespaces
        for prefix, line in (("- ", f"name: {e}"), ("  ", f"namespace: {ns}"))
    ]
    return "\n".join([*lines[: at + 1], *extra, *lines[at + 1 :]]) + "\n"


def _config_text(real: Settings, cache_dir: Path) -> str:
    config = real.repo_root / CONFIG_FILE
    data: dict[str, Any] = yaml.safe_load(config.read_text()) if config.is_file() else {}
    data = dict(data or {})
    data["shared_dir"] = str(real.shared_path.resolve())
    data["tools_dir"] = str(real.resolve(real.tools_dir).resolve())
    data["cache_dir"] = str(cache_dir)
    return "# generated by kuberay_gitops_dev.bench\n" + yaml.safe_dump(data, sort_keys=False)


def _git(root: Path, *args: str) -> None:
    out = subprocess.run(
        ["git", *args],
        cwd=root,
        env=_clean_env(_GIT_ENV),
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise BenchError(f"git {args[0]} failed in {root}: {out.stderr.strip()}")


def generate(real: Settings, dest: Path, n: int) -> Synthetic:
    """A git repository with N environments cloned from the real `staging` one."""
    src = real.repo_root
    root = dest / "repo"
    cache_dir = dest / "cache"
    envs = _env_names(n)
    root.mkdir(parents=True)
    for d in COPIED_DIRS:
        shutil.copytree(src / d, root / d)
    for f in COPIED_FILES:
        if (src / f).is_file():
            shutil.copy2(src / f, root / f)
    (root / CONFIG_FILE).write_text(_config_text(real, cache_dir))
    for app in sorted(p.parent for p in (src / "apps").glob("*/base")):
        shutil.copytree(app / "base", root / "apps" / app.name / "base")
    shutil.copytree(src / "argocd", root / "argocd", ignore=shutil.ignore_patterns("*.yaml"))
    for path in (src / "argocd").rglob("*.yaml"):
        rel = path.relative_to(src)
        if rel.parent.as_posix() != APPSET_DIR:
            shutil.copy2(path, root / rel)
    appset = (src / APPSET_DIR / f"applicationset-kuberay-{SOURCE_ENV}.yaml").read_text()
    overlay_src = src / "overlays" / SOURCE_ENV
    app_overlays = sorted((src / "apps").glob(f"*/overlays/{SOURCE_ENV}"))
    if not overlay_src.is_dir() or not app_overlays:
        raise BenchError(f"the real repository has no {SOURCE_ENV} overlays to clone")
    for env in envs:
        shutil.copytree(overlay_src, root / "overlays" / env)
        for ov in app_overlays:
            shutil.copytree(ov, root / ov.relative_to(src).parent / env)
        _make_distinct(root, env)
        (root / APPSET_DIR / f"applicationset-kuberay-{env}.yaml").write_text(
            appset.replace(SOURCE_ENV, env)
        )
    kfile = root / "argocd" / "kustomization.yaml"
    kfile.write_text(_argocd_kustomization(kfile.read_text(), envs))
    project = root / "argocd" / "projects" / "appproject-kuberay-platform.yaml"
    project.write_text(_project_destinations(project.read_text(), envs))
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", f"synthetic repository, {n} environments")
    settings = load(root, env={})
    return Synthetic(root, cache_dir, envs, settings)


DISTINCT_ANNOTATION = "bench.kuberay-gitops.io/environment"


def _make_distinct(root: Path, env: str) -> None:
    """Give each environment's units (but its CRDs) a render of their own.

    Real environments differ (names, sizes, patches), so the copies must too, or the
    validator's one-build-per-distinct-input would collapse them and flatter the figures.
    The CRD unit stays identical in every environment, as it is in the real repository.
    """
    for kfile in sorted(root.glob(f"overlays/{env}/*/kustomization.yaml")) + sorted(
        root.glob(f"apps/*/overlays/{env}/kustomization.yaml")
    ):
        if kfile.parent.name == "crds":
            continue
        text = kfile.read_text().rstrip("\n")
        kfile.write_text(f"{text}\n\ncommonAnnotations:\n  {DISTINCT_ANNOTATION}: {env}\n")


@contextmanager
def one_overlay_changed(repo: Synthetic, tag: str) -> Iterator[None]:
    """Working-tree edit of one environment's RayCluster overlay: a new patch, referenced.

    The `staging` RayCluster overlay has no patch of its own, so the edit adds one (an
    untracked file plus a `patches` entry), then restores the committed state. `tag` makes
    every edit new, so no run finds the changed target in the render cache.
    """
    kfile = repo.change_dir / "kustomization.yaml"
    original = kfile.read_text()
    lines = original.splitlines()
    entry = f"- path: {CHANGE_FILE}"
    at = next((i for i, line in enumerate(lines) if line.rstrip() == "patches:"), None)
    if at is None:
        edited = original.rstrip("\n") + f"\n\npatches:\n  {entry}\n"
    else:
        following = lines[at + 1] if at + 1 < len(lines) else "  -"
        indent = following[: len(following) - len(following.lstrip())]
        edited = "\n".join([*lines[: at + 1], indent + entry, *lines[at + 1 :]]) + "\n"
    patch = repo.change_dir / CHANGE_FILE
    try:
        patch.write_text(CHANGE_PATCH.format(tag=tag))
        kfile.write_text(edited)
        yield
    finally:
        patch.unlink(missing_ok=True)
        kfile.write_text(original)


# --------------------------------------------------------------------------- pipelines


def _tool() -> Path:
    exe = Path(sys.executable).parent / "kuberay-gitops"
    if not exe.is_file():
        raise BenchError(f"{exe} not found: run `make setup`")
    return exe


def _validate_argv(repo: Synthetic, *extra: str) -> list[str]:
    # The synthetic sizes measure the static pipeline's scaling; the cluster stage (a twin
    # per environment) is measured on the real repository by `bench_cluster`.
    return [
        str(_tool()), "--repo", str(repo.root), "validate", "--no-cluster", "--format", "json",
        *extra,
    ]  # fmt: skip


def has_changed_since() -> bool:
    """Whether this version of the tool has `validate --changed-since`."""
    out = subprocess.run(
        [str(_tool()), "validate", "--help"],
        capture_output=True,
        text=True,
        check=False,
        env=_clean_env(),
    )
    return "--changed-since" in out.stdout


def _summary(run: Run, what: str) -> Mapping[str, Any]:
    if run.timed_out:
        raise BenchError(f"{what}: killed after {run.wall:.0f}s (bench timeout)")
    try:
        data = json.loads(run.stdout)
        summary: Mapping[str, Any] = data["summary"]
    except (json.JSONDecodeError, KeyError, TypeError):
        raise BenchError(
            f"{what}: no JSON report (exit {run.returncode}): {run.stderr.strip()[-2000:]}"
        ) from None
    return summary


def _require_clean(run: Run, what: str) -> Mapping[str, Any]:
    summary = _summary(run, what)
    if run.returncode != 0 or summary.get("errors") or summary.get("warnings"):
        findings = json.loads(run.stdout).get("findings") or []
        shown = "\n".join(
            f"  {f.get('file')}:{f.get('line')}: {f.get('severity')} [{f.get('check')}] "
            f"{f.get('message')}"
            for f in findings[:40]
        )
        raise BenchError(
            f"{what}: exit {run.returncode}, {summary.get('errors')} error(s), "
            f"{summary.get('warnings')} warning(s); not measuring a failing pipeline:\n{shown}"
            + (f"\n{run.stderr.strip()[-2000:]}" if not findings else "")
        )
    return summary


def _mirror_env(repo: Synthetic) -> dict[str, str]:
    """The tool's own git config for the mirrors, so the naive loop resolves bases offline."""
    env = git_env(repo.settings)
    if not env:
        raise BenchError("no mirrors configured: the naive loop would fetch remote bases online")
    return env


def _schema_roots(repo: Synthetic) -> tuple[Path, Path]:
    """The tool's generated schema caches: built-in kinds and CRDs (newest complete one)."""
    schemas = repo.cache_dir / "schemas"
    builtin = sorted(schemas.glob(f"k8s-v{repo.settings.kubernetes_version}-*"))
    crds = sorted(
        (p.parent for p in schemas.glob("crds-*/.complete")),
        key=lambda p: (p / ".complete").stat().st_mtime,
    )
    if not builtin or not crds:
        raise BenchError(f"no generated schemas under {schemas}: run the tool first")
    return builtin[-1], crds[-1]


def naive_script(repo: Synthetic, targets: Sequence[str], work: Path, timings: Path) -> str:
    """The CI loop as teams write it: build | kubeconform, then checkov, per target."""
    builtin, crds = _schema_roots(repo)
    tools = repo.settings.resolve(repo.settings.tools_dir)
    checkov = Path(sys.executable).parent / "checkov"
    q = shlex.quote
    lines = [
        "#!/usr/bin/env bash",
        "set -euo pipefail",
        f"cd {q(str(repo.root))}",
        f"B={q(str(builtin / BUILTIN_TEMPLATE))}",
        f"C={q(str(crds / CRD_TEMPLATE))}",
        f"W={q(str(work))}",
        f"T={q(str(timings))}",
        f"for t in {' '.join(q(t) for t in targets)}; do",
        '  printf "%s %s\\n" "$t" "$EPOCHREALTIME" >> "$T"',
        '  out="$W/${t//\\//_}"',
        '  mkdir -p "$out"',
        f'  {q(str(tools / "kustomize"))} build "$t" | tee "$out/rendered.yaml" \\',
        f"    | {q(str(tools / 'kubeconform'))} -strict -summary"
        ' -schema-location "$B" -schema-location "$C"'
        f" -kubernetes-version {q(repo.settings.kubernetes_version)}",
        f'  {q(str(checkov))} -d "$out" --framework kubernetes --skip-download --quiet',
        "done",
        'printf "end %s\\n" "$EPOCHREALTIME" >> "$T"',
    ]
    return "\n".join(lines) + "\n"


def floor_script(repo: Synthetic, targets: Sequence[str], jobs: int) -> str:
    """Every target built by kustomize, `jobs` at a time, output discarded."""
    tools = repo.settings.resolve(repo.settings.tools_dir)
    q = shlex.quote
    return (
        "#!/usr/bin/env bash\n"
        "set -euo pipefail\n"
        f"cd {q(str(repo.root))}\n"
        f"printf '%s\\0' {' '.join(q(t) for t in targets)}"
        f" | xargs -0 -n1 -P{jobs} {q(str(tools / 'kustomize'))} build > /dev/null\n"
    )


def _per_target_seconds(timings: Path) -> dict[str, float]:
    rows = [line.split() for line in timings.read_text().splitlines() if line.strip()]
    return {
        rows[i][0]: float(rows[i + 1][1]) - float(rows[i][1])
        for i in range(len(rows) - 1)
        if rows[i][0] != "end"
    }


def _checkov_scannable(doc: Mapping[str, Any]) -> bool:
    """Built-in kinds only, as the tool gives checkov (CRDs and custom resources have no checks)."""
    api = str(doc.get("apiVersion", ""))
    group = api.rpartition("/")[0]
    if doc.get("kind") == "CustomResourceDefinition":
        return False
    return group in ("", "apps", "batch", "policy", "autoscaling") or group.endswith(".k8s.io")


_KIND_LINE = re.compile(r"^kind:\s*(\S+)\s*$", re.MULTILINE)


def _split_scannable(text: str) -> Iterator[Mapping[str, Any]]:
    for doc in re.split(r"^---\s*$", text, flags=re.MULTILINE):
        m = _KIND_LINE.search(doc)
        if m is None or m.group(1) == "CustomResourceDefinition":
            continue  # skipped before parsing: CRDs are megabytes each
        body = yaml.load(doc, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        if isinstance(body, dict) and _checkov_scannable(body):
            yield body


def prepare_checkov_once(repo: Synthetic, targets: Sequence[str], dest: Path) -> int:
    """Write every checkov-scannable rendered object as one JSON file, as the tool does.

    The environments are copies of one overlay tree that differ by one annotation, which
    checkov's cost does not notice, so the first environment's targets are rendered and
    their objects written once per environment; targets outside the environments (argocd)
    are rendered as they are. This keeps the preparation at 100 environments to seconds.
    """
    tools = repo.settings.resolve(repo.settings.tools_dir)
    env = _clean_env(_mirror_env(repo))
    dest.mkdir(parents=True, exist_ok=True)
    count = 0
    for target in targets:
        owner = repo.env_of(target)
        if owner is not None and owner != repo.envs[0]:
            continue
        out = subprocess.run(
            [str(tools / "kustomize"), "build", target],
            cwd=repo.root,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if out.returncode != 0:
            raise BenchError(f"kustomize build {target} failed: {out.stderr.strip()}")
        texts = [json.dumps(body, default=str) for body in _split_scannable(out.stdout)]
        for _ in range(len(repo.envs) if owner is not None else 1):
            for text in texts:
                (dest / f"{count:06d}.json").write_text(text)
                count += 1
    return count


def checkov_once_argv(repo: Synthetic, directory: Path) -> list[str]:
    """One checkov process over a directory of objects, flags as the tool passes them."""
    argv = [
        str(Path(sys.executable).parent / "checkov"),
        "--directory",
        str(directory),
        "--framework",
        "kubernetes",
        "--output",
        "json",
        "--skip-download",
        "--quiet",
        "--compact",
    ]
    if repo.settings.checkov_skips:
        argv += ["--skip-check", ",".join(s.id for s in repo.settings.checkov_skips)]
    return argv


# --------------------------------------------------------------------------- results


@dataclass(slots=True)
class Measurement:
    """One pipeline at one size: every run, summarised by the median."""

    pipeline: str
    n: int
    walls: list[float] = field(default_factory=list)
    max_rss_kib: int = 0
    tree_rss_kib: int = 0
    objects: int = 0
    targets: int = 0
    note: str = ""
    estimated: bool = False  # naive loop extrapolated from a sample of environments
    lower_bound: bool = False  # a run hit the bench timeout: the time is at least this
    measured_walls: list[float] = field(default_factory=list)
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def wall(self) -> float:
        """Median wall time of the runs (seconds)."""
        return statistics.median(self.walls) if self.walls else float("nan")

    @property
    def peak_rss_kib(self) -> int:
        """The larger of the two RSS figures."""
        return max(self.max_rss_kib, self.tree_rss_kib)

    def add(self, run: Run, wall: float | None = None) -> None:
        """Record one run (wall may be an extrapolated figure)."""
        self.walls.append(run.wall if wall is None else wall)
        self.measured_walls.append(run.wall)
        self.max_rss_kib = max(self.max_rss_kib, run.max_rss_kib)
        self.tree_rss_kib = max(self.tree_rss_kib, run.tree_rss_kib)


def fit(points: Sequence[tuple[float, float]]) -> tuple[float, float, float]:
    """Least squares y = a + b·x: (slope b, intercept a, R²)."""
    if len(points) < 2:
        return float("nan"), float("nan"), float("nan")
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    if sxx == 0:
        return float("nan"), float("nan"), float("nan")
    slope = sum((x - mx) * (y - my) for x, y in points) / sxx
    intercept = my - slope * mx
    ss_tot = sum((y - my) ** 2 for y in ys)
    ss_res = sum((y - (intercept + slope * x)) ** 2 for x, y in points)
    r2 = 1.0 - ss_res / ss_tot if ss_tot > 0 else 1.0
    return slope, intercept, r2


def _fmt(value: float, digits: int = 2) -> str:
    if math.isnan(value):
        return "-"
    return f"{value:.{digits}f}"


def _mib(kib: int) -> str:
    return f"{kib / 1024:.0f}" if kib else "-"


def table(measurements: Sequence[Measurement]) -> str:
    """Markdown table, one row per pipeline and size."""
    by = {(m.pipeline, m.n): m for m in measurements}
    header = (
        "| N | pipeline | runs | wall s (median) | x naive | x floor | RSS MiB largest / tree "
        "| objects | objects/s | note |"
    )
    rows = [header, "|" + "---|" * 10]
    for m in sorted(measurements, key=lambda m: (m.n, PIPELINES.index(m.pipeline))):
        naive, floor = by.get(("naive", m.n)), by.get(("floor", m.n))
        rate = m.objects / m.wall if m.objects and m.wall > 0 else float("nan")
        wall = (">" if m.lower_bound else "") + _fmt(m.wall) + ("*" if m.estimated else "")
        rows.append(
            f"| {m.n} | {m.pipeline} | {len(m.walls)} | {wall} "
            f"| {_fmt(m.wall / naive.wall) if naive else '-'} "
            f"| {_fmt(m.wall / floor.wall) if floor else '-'} "
            f"| {_mib(m.max_rss_kib)} / {_mib(m.tree_rss_kib)} "
            f"| {m.objects or '-'} | {_fmt(rate, 0)} | {m.note} |"
        )
    return "\n".join(rows) + "\n"


@dataclass(frozen=True, slots=True)
class Slope:
    """Wall time against N for one pipeline."""

    pipeline: str
    seconds_per_env: float
    intercept: float
    r2: float
    first_segment: float
    last_segment: float
    linear: bool | None  # None: fewer than three sizes, nothing to compare


def slopes(measurements: Sequence[Measurement]) -> list[Slope]:
    """Least squares slope per pipeline over the sizes, and whether growth is linear.

    Linear: the marginal cost per environment between the two largest sizes is at most
    1.5x that between the two smallest (superlinear growth shows up there first), or the
    pipeline is flat (below 0.02 s per environment). Two sizes cannot show it: not judged.
    """
    out: list[Slope] = []
    for p in PIPELINES:
        pts = sorted((float(m.n), m.wall) for m in measurements if m.pipeline == p)
        if len(pts) < 2:
            continue
        b, a, r2 = fit(pts)
        first = (pts[1][1] - pts[0][1]) / (pts[1][0] - pts[0][0])
        last = (pts[-1][1] - pts[-2][1]) / (pts[-1][0] - pts[-2][0])
        linear = (
            None
            if len(pts) < 3
            else last <= FLAT_SLOPE or last <= TARGET_LINEAR_RATIO * max(first, FLAT_SLOPE)
        )
        out.append(Slope(p, b, a, r2, first, last, linear))
    return out


@dataclass(frozen=True, slots=True)
class Target:
    """One performance target and whether this run meets it."""

    name: str
    value: str
    threshold: str
    met: bool | None  # None: not measured


def targets(measurements: Sequence[Measurement], fitted: Sequence[Slope]) -> list[Target]:
    """The performance targets, evaluated at the largest N."""
    if not measurements:
        return []
    n = max(m.n for m in measurements)
    by = {m.pipeline: m for m in measurements if m.n == n}
    out: list[Target] = []

    def get(p: str) -> Measurement | None:
        return by.get(p)

    naive, floor, once = get("naive"), get("floor"), get("checkov-once")
    changed, warm = get("changed-since"), get("validate-warm")
    if warm is not None and floor is not None:
        share = warm.wall / floor.wall
        out.append(
            Target(
                f"validate-warm at N={n} ≤ {TARGET_WARM_FLOOR_SHARE:g}x the render floor",
                f"{share:.3f}x ({warm.wall:.1f} s vs {floor.wall:.1f} s)",
                f"≤ {TARGET_WARM_FLOOR_SHARE:g}x",
                share <= TARGET_WARM_FLOOR_SHARE,
            )
        )
    if changed is not None:
        out.append(
            Target(
                f"changed-since (one overlay) at N={n} ≤ {TARGET_CHANGED_SECONDS:g} s",
                f"{changed.wall:.2f} s",
                f"≤ {TARGET_CHANGED_SECONDS:g} s",
                changed.wall <= TARGET_CHANGED_SECONDS,
            )
        )
    for p in ("validate-cold", "validate-warm"):
        v = get(p)
        if v is None:
            continue
        if naive is not None:
            speedup = naive.wall / v.wall
            out.append(
                Target(
                    f"{p} at N={n} ≥ {TARGET_SPEEDUP:g}x faster than naive",
                    f"{speedup:.1f}x",
                    f"≥ {TARGET_SPEEDUP:g}x",
                    speedup >= TARGET_SPEEDUP,
                )
            )
        if floor is not None and once is not None:
            ratio = v.wall / (floor.wall + once.wall)
            within = ratio <= TARGET_FLOOR_FACTOR
            # A killed checkov run is a lower bound: only "within" is then conclusive.
            mark = "≤ " if once.lower_bound else ""
            out.append(
                Target(
                    f"{p} at N={n} ≤ {TARGET_FLOOR_FACTOR:g}x (floor + one checkov run)",
                    f"{mark}{ratio:.2f}x ({v.wall:.1f} s vs {floor.wall:.1f} + "
                    f"{'>' if once.lower_bound else ''}{once.wall:.1f} s)",
                    f"≤ {TARGET_FLOOR_FACTOR:g}x",
                    True if within else (None if once.lower_bound else False),
                )
            )
    cold = get("validate-cold")
    if changed is not None and cold is not None:
        # Against cold only: a warm run reuses every tool's verdicts now, so its share
        # would measure the caches, not the incremental path (the absolute target above).
        share = changed.wall / cold.wall
        out.append(
            Target(
                f"changed-since at N={n} ≤ {TARGET_CHANGED_SHARE:.0%} of validate-cold",
                f"{share:.1%}",
                f"≤ {TARGET_CHANGED_SHARE:.0%}",
                share <= TARGET_CHANGED_SHARE,
            )
        )
    for p in ("validate-cold", "validate-warm", "changed-since"):
        v = get(p)
        if v is not None:
            out.append(
                Target(
                    f"{p} peak RSS at N={n} < 1 GiB",
                    f"{v.peak_rss_kib / 1024:.0f} MiB",
                    "< 1024 MiB",
                    v.peak_rss_kib * 1024 < GIB,
                )
            )
    for s in fitted:
        if s.pipeline in ("validate-cold", "validate-warm"):
            out.append(
                Target(
                    f"{s.pipeline} wall time linear in N",
                    f"{s.seconds_per_env:.3f} s/env, R² {s.r2:.3f}, "
                    f"marginal {s.first_segment:.3f} → {s.last_segment:.3f} s/env",
                    f"last ≤ {TARGET_LINEAR_RATIO:g}x first segment",
                    s.linear,
                )
            )
    return out


def _targets_text(items: Sequence[Target]) -> str:
    rows = ["| target | value | threshold | met |", "|---|---|---|---|"]
    for t in items:
        met = "-" if t.met is None else ("yes" if t.met else "**no**")
        rows.append(f"| {t.name} | {t.value} | {t.threshold} | {met} |")
    return "\n".join(rows) + "\n"


def _slopes_text(items: Sequence[Slope]) -> str:
    rows = [
        "| pipeline | s per environment (least squares) | R² | marginal first → last | linear |",
        "|---|---|---|---|---|",
    ]
    for s in items:
        rows.append(
            f"| {s.pipeline} | {s.seconds_per_env:.3f} | {s.r2:.3f} "
            f"| {s.first_segment:.3f} → {s.last_segment:.3f} "
            f"| {'-' if s.linear is None else 'yes' if s.linear else 'no'} |"
        )
    return "\n".join(rows) + "\n"


def machine() -> dict[str, Any]:
    """nproc, CPU model and RAM of this machine."""
    cpu = platform.processor() or platform.machine()
    mem_kib = 0
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "mem_gib": round(mem_kib / 1024 / 1024, 1),
        "python": platform.python_version(),
        "kernel": platform.release(),
    }


# --------------------------------------------------------------------------- driver


@dataclass(frozen=True, slots=True)
class Options:
    """Parsed command line."""

    sizes: tuple[int, ...]
    repeat: int
    out: Path
    only: frozenset[str]
    budget: float
    naive_envs: int
    keep: bool
    repo: Path
    checkov_timeout: float = 60.0
    job_start: float = JOB_START_SECONDS
    max_jobs: int = MAX_JOBS
    update_doc: Path | None = None


def _repeat_loop(what: str, opts: Options, once: Callable[[int], float], minimum: int = 1) -> None:
    """Call once(i) up to --repeat times; stop early when --budget seconds are spent."""
    spent = 0.0
    for i in range(opts.repeat):
        if i >= minimum and spent >= opts.budget:
            _progress(f"{what}: {i} run(s), no repeat (budget {opts.budget:g}s)")
            break
        spent += once(i)


def bench_size(
    n: int, opts: Options, real: Settings, tmp: Path, fan_outs: list[FanOut] | None = None
) -> list[Measurement]:
    """Every selected pipeline at one size (the fan-out figures go to `fan_outs`)."""
    jobs = os.cpu_count() or 1
    _progress(f"N={n}: generating the synthetic repository")
    repo = generate(real, tmp / f"n{n}", n)
    all_targets = repo.targets()
    out: dict[str, Measurement] = {}

    def m(p: str) -> Measurement:
        return out.setdefault(p, Measurement(p, n, targets=len(all_targets)))

    def clear_cache() -> None:
        shutil.rmtree(repo.cache_dir, ignore_errors=True)

    # The check: a cold full validation must be clean; it is also the first cold run.
    _progress(f"N={n}: {len(all_targets)} targets; checking it validates clean (cold)")
    clear_cache()
    check = measure(_validate_argv(repo), env=_clean_env(), cwd=repo.root)
    summary = _require_clean(check, f"N={n}: kuberay-gitops validate")
    objects = int(summary.get("objects", 0))
    _progress(f"N={n}: clean, {objects} objects, {check.wall:.1f}s")

    if "validate-cold" in opts.only:
        m("validate-cold").add(check)

        def cold(i: int) -> float:
            if i == 0:
                return check.wall
            clear_cache()
            r = measure(_validate_argv(repo), env=_clean_env(), cwd=repo.root)
            _require_clean(r, f"N={n}: validate (cold)")
            m("validate-cold").add(r)
            _progress(f"N={n}: validate-cold run {i + 1}: {r.wall:.1f}s")
            return r.wall

        _repeat_loop(f"N={n} validate-cold", opts, cold)
        m("validate-cold").objects = objects

    if "validate-warm" in opts.only:

        def warm(i: int) -> float:
            r = measure(_validate_argv(repo), env=_clean_env(), cwd=repo.root)
            _require_clean(r, f"N={n}: validate (warm)")
            m("validate-warm").add(r)
            _progress(f"N={n}: validate-warm run {i + 1}: {r.wall:.1f}s")
            return r.wall

        _repeat_loop(f"N={n} validate-warm", opts, warm)
        m("validate-warm").objects = objects

    if "changed-since" in opts.only:
        since = has_changed_since()
        rel = repo.change_dir.relative_to(repo.root).as_posix()
        extra = ["--changed-since", "HEAD"] if since else [str(repo.change_dir)]
        note = f"edit of {rel}" if since else f"no --changed-since: `validate {rel}`"

        def changed(i: int) -> float:
            with one_overlay_changed(repo, f"{n}-{i}-{time.time_ns()}"):
                r = measure(_validate_argv(repo, *extra), env=_clean_env(), cwd=repo.root)
            s = _require_clean(r, f"N={n}: validate {' '.join(extra)}")
            cm = m("changed-since")
            cm.add(r)
            cm.objects = int(s.get("objects", 0))
            cm.note = f"{note}: {s.get('targets')} target(s)"
            _progress(f"N={n}: changed-since run {i + 1}: {r.wall:.1f}s")
            return r.wall

        _repeat_loop(f"N={n} changed-since", opts, changed)

    if "floor" in opts.only:
        script = tmp / f"floor-{n}.sh"
        script.write_text(floor_script(repo, all_targets, jobs))

        def floor(i: int) -> float:
            r = measure(["bash", str(script)], env=_clean_env(_mirror_env(repo)), cwd=repo.root)
            if r.returncode != 0:
                raise BenchError(f"N={n}: render floor failed: {r.stderr.strip()[-2000:]}")
            m("floor").add(r)
            m("floor").note = f"kustomize build x {len(all_targets)}, -P{jobs}"
            _progress(f"N={n}: floor run {i + 1}: {r.wall:.1f}s")
            return r.wall

        _repeat_loop(f"N={n} floor", opts, floor)
        m("floor").objects = objects

    if "naive" in opts.only:
        _naive(n, opts, repo, all_targets, tmp, m("naive"))
        m("naive").objects = objects

    if "checkov-once" in opts.only:
        objdir = tmp / f"checkov-objects-{n}"
        _progress(f"N={n}: rendering every target for the one-checkov-run measurement")
        count = prepare_checkov_once(repo, all_targets, objdir)
        argv = checkov_once_argv(repo, objdir)
        env = _clean_env(CHECKOV_ENV)

        def checkov_once(i: int) -> float:
            r = measure(argv, env=env, cwd=tmp, timeout=opts.checkov_timeout)
            cm = m("checkov-once")
            cm.objects = count
            cm.note = f"one checkov over {count} scannable objects"
            if r.timed_out:
                cm.add(r)
                cm.lower_bound = True
                cm.note += f"; killed after {opts.checkov_timeout:g}s"
                _progress(f"N={n}: checkov-once killed after {r.wall:.0f}s")
                return math.inf  # no repeat
            if r.returncode not in (0, 1):
                raise BenchError(f"N={n}: checkov failed: {r.stderr.strip()[-2000:]}")
            cm.add(r)
            _progress(f"N={n}: checkov-once run {i + 1}: {r.wall:.1f}s")
            return r.wall

        _repeat_loop(f"N={n} checkov-once", opts, checkov_once)

    if "fan-out" in opts.only and fan_outs is not None:
        fan_outs.append(bench_fan_out(n, opts, repo, tmp))

    if not opts.keep:
        shutil.rmtree(tmp / f"n{n}", ignore_errors=True)
    return [out[p] for p in PIPELINES if p in out]


def _naive(
    n: int,
    opts: Options,
    repo: Synthetic,
    all_targets: Sequence[str],
    tmp: Path,
    result: Measurement,
) -> None:
    """The naive loop over every target, or over a sample of environments, extrapolated.

    Each target is its own sequence of processes, so the loop's time is the sum of its
    targets' times; only `argocd` grows with N, and it is always run. With more than
    --naive-envs environments, the loop runs over argocd plus the targets of the first
    --naive-envs environments, and the environment targets' time is scaled by N / sample.
    """
    sample_envs = repo.envs if opts.naive_envs <= 0 else repo.envs[: opts.naive_envs]
    sampled = set(sample_envs)
    env_targets = {t: e for t in all_targets if (e := repo.env_of(t)) is not None}
    chosen = [t for t in all_targets if t not in env_targets or env_targets[t] in sampled]
    scale = len(repo.envs) / len(sample_envs)
    estimated = scale != 1
    env = _clean_env(_mirror_env(repo))

    def naive(i: int) -> float:
        work = tmp / f"naive-{n}-{i}"
        timings = tmp / f"naive-{n}-{i}.times"
        work.mkdir()
        script = tmp / f"naive-{n}.sh"
        script.write_text(naive_script(repo, chosen, work, timings))
        r = measure(["bash", str(script)], env=env, cwd=repo.root)
        if r.returncode != 0:
            raise BenchError(
                f"N={n}: the naive loop failed (exit {r.returncode}):\n"
                f"{(r.stdout + r.stderr).strip()[-3000:]}"
            )
        per_target = _per_target_seconds(timings)
        env_part = sum(s for t, s in per_target.items() if t in env_targets)
        wall = r.wall + env_part * (scale - 1)
        result.add(r, wall)
        result.detail["per_target_seconds"] = {t: round(v, 3) for t, v in per_target.items()}
        shutil.rmtree(work, ignore_errors=True)
        _progress(
            f"N={n}: naive run {i + 1}: {r.wall:.1f}s over {len(chosen)} targets"
            + (f" → {wall:.1f}s for {len(all_targets)}" if estimated else "")
        )
        return r.wall

    _repeat_loop(f"N={n} naive", opts, naive)
    result.estimated = estimated
    outside = len(all_targets) - len(env_targets)
    result.note = (
        f"* {len(chosen)} of {len(all_targets)} targets run ({len(sample_envs)} env(s) + "
        f"{outside} outside envs), env targets scaled x{scale:g}"
        if estimated
        else f"{len(all_targets)} targets, sequential"
    )


def _parse(argv: Sequence[str] | None) -> Options:
    p = argparse.ArgumentParser(
        prog="python -m kuberay_gitops_dev.bench",
        description="Benchmark kuberay-gitops validate against the naive CI loop and the "
        "render floor on synthetic repositories of N environments.",
    )
    p.add_argument("--sizes", default="3,30,100", help="environment counts (default 3,30,100)")
    p.add_argument(
        "--repeat", type=int, default=3, help="at most this many runs per measurement (median)"
    )
    p.add_argument(
        "--budget",
        type=float,
        default=20.0,
        help="no further repeat once a measurement has taken this many seconds (default 20); "
        "keeps slow measurements at large N to one run",
    )
    p.add_argument(
        "--naive-envs",
        type=int,
        default=1,
        help="environments the naive loop runs (plus argocd); the others are extrapolated "
        "from their time (default 1; 0 = run them all)",
    )
    p.add_argument(
        "--checkov-timeout",
        type=float,
        default=60.0,
        help="kill the one-checkov-run reference after this many seconds and report it as a "
        "lower bound (default 60; checkov's graph grows superlinearly with N)",
    )
    p.add_argument(
        "--job-start",
        type=float,
        default=JOB_START_SECONDS,
        help="fan-out: seconds a GitHub-hosted job costs before its first useful step, set-up "
        f"cache hit (default {JOB_START_SECONDS:g}; a documented constant, not measured)",
    )
    p.add_argument(
        "--max-jobs",
        type=int,
        default=MAX_JOBS,
        help=f"fan-out: matrix entries at most, as `affected --max-jobs` (default {MAX_JOBS})",
    )
    p.add_argument(
        "--update-doc",
        help="rewrite the generated blocks of this file (docs/performance.md): the results "
        "of this run, and the fan-out figures when that pipeline ran",
    )
    p.add_argument("--out", default="bench-results", help="directory for the JSON results")
    p.add_argument(
        "--only",
        default=",".join(PIPELINES),
        help=f"comma-separated pipelines (default all: {','.join(PIPELINES)})",
    )
    p.add_argument("--repo", help="the real repository (default: found from the cwd)")
    p.add_argument("--keep", action="store_true", help="keep the synthetic repositories")
    a = p.parse_args(argv)
    try:
        sizes = tuple(sorted({int(s) for s in a.sizes.split(",") if s.strip()}))
    except ValueError:
        p.error(f"--sizes: expected comma-separated integers, got {a.sizes!r}")
    if not sizes or min(sizes) < 1:
        p.error("--sizes: at least one size, each ≥ 1")
    only = frozenset(s.strip() for s in a.only.split(",") if s.strip())
    unknown = sorted(only - set(PIPELINES))
    if unknown or not only:
        p.error(f"--only: unknown pipeline(s) {', '.join(unknown)}; known: {', '.join(PIPELINES)}")
    if a.repeat < 1:
        p.error("--repeat: at least 1")
    if a.max_jobs < 1 or a.job_start < 0:
        p.error("--max-jobs: at least 1; --job-start: not negative")
    repo = Path(a.repo).resolve() if a.repo else find_repo_root(Path.cwd().resolve())
    return Options(
        sizes,
        a.repeat,
        Path(a.out),
        only,
        a.budget,
        a.naive_envs,
        a.keep,
        repo,
        a.checkov_timeout,
        a.job_start,
        a.max_jobs,
        Path(a.update_doc) if a.update_doc else None,
    )


@dataclass(frozen=True, slots=True)
class Failure:
    """The size at which the benchmark stopped, and why."""

    n: int
    reason: str

    @property
    def short(self) -> str:
        """The reason's first line, for the table."""
        line = self.reason.splitlines()[0] if self.reason else ""
        return line if len(line) <= 200 else line[:199] + "…"


def _all_sizes(
    opts: Options, real: Settings, tmp: Path, fan_outs: list[FanOut] | None = None
) -> tuple[list[Measurement], Failure | None]:
    """Sizes in increasing order; the first one that fails stops the benchmark."""
    measurements: list[Measurement] = []
    for n in opts.sizes:
        try:
            measurements.extend(bench_size(n, opts, real, tmp, fan_outs))
        except BenchError as exc:
            print(f"bench: error: {exc}", file=sys.stderr, flush=True)
            return measurements, Failure(n, str(exc).removeprefix(f"N={n}: "))
    return measurements, None


def run(opts: Options) -> tuple[list[Measurement], Path, Failure | None]:
    """Every size; the measurements, the JSON file written and the failure, if any."""
    real = load(opts.repo)  # KUBERAY_GITOPS_SHARED_DIR / _TOOLS_DIR apply, as for validate
    started = time.perf_counter()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    cluster_runs: list[ClusterRun] = []
    audit_runs: list[AuditRun] = []
    fan_outs: list[FanOut] = []

    def everything(tmp: Path) -> tuple[list[Measurement], Failure | None]:
        result = _all_sizes(opts, real, tmp, fan_outs)
        if "cluster" in opts.only and result[1] is None:
            cluster_runs.extend(bench_cluster(real, tmp))
        if "audit" in opts.only and result[1] is None:
            audit_runs.append(bench_audit(real, tmp))
        return result

    if opts.keep:
        tmp = Path(tempfile.mkdtemp(prefix="kuberay-bench-"))
        _progress(f"keeping the synthetic repositories in {tmp}")
        measurements, failure = everything(tmp)
    else:
        with tempfile.TemporaryDirectory(prefix="kuberay-bench-") as tmp_name:
            measurements, failure = everything(Path(tmp_name))
    fitted = slopes(measurements)
    verdicts = targets(measurements, fitted)
    if cluster_runs:
        verdicts.extend(cluster_targets(cluster_runs))
    for audit_run in audit_runs:
        verdicts.extend(audit_targets(audit_run))
    twin = twin_cost(cluster_runs) if cluster_runs else None
    cross = crossover(fan_outs, opts.job_start) if fan_outs else None
    cross_twin = crossover(fan_outs, opts.job_start, twin) if fan_outs and twin else None
    for what, c in (("", cross), (", with the twin", cross_twin)):
        if c is not None:
            verdicts.append(
                Target(
                    f"fan-out (a job per environment) beats one job{what}, from",
                    "-" if c.n is None else f"N ≈ {c.n:.0f} ({c.how})",
                    "informational: the default of `affected --fan-out-at`",
                    None,
                )
            )
    if failure is not None:
        verdicts.insert(
            0,
            Target(
                f"kuberay-gitops validate runs clean at N={failure.n}",
                f"fails: {failure.short}",
                "exit 0, no findings",
                False,
            ),
        )
    total = time.perf_counter() - started
    opts.out.mkdir(parents=True, exist_ok=True)
    path = opts.out / f"bench-{stamp}.json"
    data = {
        "version": 1,
        "timestamp": stamp,
        "tool_version": __version__,
        "machine": machine(),
        "options": {
            "sizes": list(opts.sizes),
            "repeat": opts.repeat,
            "budget_seconds": opts.budget,
            "naive_envs": opts.naive_envs,
            "only": sorted(opts.only),
            "checkov_timeout_seconds": opts.checkov_timeout,
            "job_start_seconds": opts.job_start,
            "max_jobs": opts.max_jobs,
        },
        "failure": asdict(failure) if failure is not None else None,
        "total_seconds": round(total, 1),
        "measurements": [
            {
                "pipeline": m.pipeline,
                "n": m.n,
                "targets": m.targets,
                "wall_seconds": m.wall,
                "runs_seconds": m.walls,
                "measured_runs_seconds": m.measured_walls,
                "estimated": m.estimated,
                "lower_bound": m.lower_bound,
                "max_rss_mib": round(m.max_rss_kib / 1024, 1),
                "tree_rss_mib": round(m.tree_rss_kib / 1024, 1),
                "objects": m.objects,
                "objects_per_second": (m.objects / m.wall) if m.objects and m.wall > 0 else None,
                "note": m.note,
                **m.detail,
            }
            for m in measurements
        ],
        "slopes": [asdict(s) for s in fitted],
        "cluster": [asdict(r) for r in cluster_runs],
        "audit": [asdict(r) for r in audit_runs],
        "fan_out": [{**asdict(r), "fanned_seconds": r.fanned(opts.job_start)} for r in fan_outs],
        "fan_out_crossover": asdict(cross) if cross is not None else None,
        "fan_out_crossover_twin": asdict(cross_twin) if cross_twin is not None else None,
        "twin_cost": asdict(twin) if twin is not None else None,
        "targets": [asdict(t) for t in verdicts],
    }
    path.write_text(json.dumps(data, indent=2) + "\n")
    print(table(measurements))
    if cluster_runs:
        print("Cluster stage (the real repository, checkov skipped):\n")
        print(cluster_table(cluster_runs))
    if fan_outs:
        print("Fan-out (the PR workflow's two shapes, a change to every environment):\n")
        print(fan_out_table(fan_outs, opts.job_start, opts.max_jobs, twin))
        if opts.update_doc is not None:
            doc = opts.update_doc
            doc.write_text(fan_out_doc(doc.read_text(), fan_outs, opts, stamp, _commit(opts), twin))
            print(f"updated the fan-out block of {doc}\n")
    for audit_run in audit_runs:
        print(
            f"Live Ray audit (the real repository): {audit_run.wall:.1f} s, peak RSS of the "
            f"tree {_mib(audit_run.tree_rss_kib)} MiB, {audit_run.findings} finding(s); "
            f"{audit_run.note}\n"
        )
    if failure is not None:
        print(f"stopped at N={failure.n}: {failure.short}\n")
    if fitted:
        print(_slopes_text(fitted))
    if verdicts:
        print(_targets_text(verdicts))
    if opts.update_doc is not None and measurements:
        doc = opts.update_doc
        doc.write_text(
            results_doc(
                doc.read_text(), measurements, fitted, verdicts, opts, stamp, _commit(opts), total
            )
        )
        print(f"updated the results block of {doc}\n")
    info = machine()
    print(
        f"machine: {info['nproc']} cores, {info['cpu']}, {info['mem_gib']} GiB; "
        f"total {total:.0f}s; results: {path}"
    )
    return measurements, path, failure


def _commit(opts: Options) -> str:
    """The short commit of the measured repository (`?` outside git)."""
    out = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=opts.repo,
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    return out.stdout.strip() or "?"


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m kuberay_gitops_dev.bench`: 0 when every size ran (targets met or not), else 1."""
    opts = _parse(argv)
    try:
        _, _, failure = run(opts)
    except BenchError as exc:
        print(f"bench: error: {exc}", file=sys.stderr)
        return 1
    return 0 if failure is None else 1


if __name__ == "__main__":
    sys.exit(main())
