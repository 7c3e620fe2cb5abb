"""The `kuberay-gitops` command line.

Exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage, 3 tool or
configuration failure (missing/wrong tool, bad config, nothing to check, a crash).
"""

from __future__ import annotations

import os
import signal
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any

import click

from kuberay_gitops import (
    __version__,
    cluster,
    harden,
    inputs,
    matrix,
    policy,
    posture,
    ruleinfo,
    secretscan,
)
from kuberay_gitops import affected as affected_mod
from kuberay_gitops import checks as registry
from kuberay_gitops import diff as diff_mod
from kuberay_gitops.discover import RenderTarget, discover, select
from kuberay_gitops.environments import environment_indexes, generated_objects
from kuberay_gitops.exitcodes import ExitCode, ToolError
from kuberay_gitops.filememo import RunCache
from kuberay_gitops.findings import Report, Severity
from kuberay_gitops.index import ObjectIndex
from kuberay_gitops.pipeline import Request, Stages, execute
from kuberay_gitops.render import Renderer, make_renderer
from kuberay_gitops.reporters import REPORTERS
from kuberay_gitops.settings import CONFIG_FILE, TOOLCHAIN_FILE, Settings, load
from kuberay_gitops.tools import toolchain

EPILOG = "Exit codes: 0 clean, 1 findings, 2 usage error, 3 tool or configuration failure."
# validate and merge-reports decide the exit code alike (Report.exit_code).
FAIL_ON = click.option(
    "--fail-on",
    type=click.Choice([s.value for s in Severity]),
    default="error",
    show_default=True,
    help="Lowest severity that fails the run (exit 1).",
)


def find_repo_root(start: Path) -> Path:
    """The repository root: the nearest directory upwards with a config or toolchain.env.

    Else the Git work tree around `start`: a repository that has not run `init` yet.
    """
    for d in [start, *start.parents]:
        if (d / CONFIG_FILE).is_file() or (d / TOOLCHAIN_FILE).is_file():
            return d
    for d in [start, *start.parents]:
        if (d / ".git").exists():
            return d
    raise ToolError(
        f"no {CONFIG_FILE} in {start} or above and no Git work tree: run inside the "
        "repository, pass --repo, or run `kuberay-gitops init` at its root"
    )


class _State:
    def __init__(self, params: dict[str, Any]) -> None:
        self.params = params

    def settings(self, anywhere: bool = False) -> Settings:
        """The run's settings; `anywhere`: outside a repository too, from the cwd."""
        repo = self.params.get("repo")
        cwd = Path.cwd().resolve()
        if repo:
            root = Path(repo).resolve()
        elif anywhere:
            try:
                root = find_repo_root(cwd)
            except ToolError:
                root = cwd
        else:
            root = find_repo_root(cwd)
        cli = {
            "shared_dir": self.params.get("shared_dir"),
            "kubernetes_version": self.params.get("kubernetes_version"),
        }
        if self.params.get("no_mirrors"):
            cli["use_mirrors"] = "off"
        config = self.params.get("config")
        policy = self.params.get("policy_from")
        return load(
            root,
            cli=cli,
            config_file=Path(config) if config else None,
            policy_root=Path(policy) if policy else None,
        )


@click.group(epilog=EPILOG)
@click.version_option(__version__, prog_name="kuberay-gitops")
@click.option(
    "--repo",
    type=click.Path(file_okay=False),
    help="Repository root (default: found from the cwd).",
)
@click.option(
    "--config",
    type=click.Path(dir_okay=False),
    help=f"Config file (default: <repo>/{CONFIG_FILE}).",
)
@click.option(
    "--policy-from",
    type=click.Path(file_okay=False, exists=True),
    help="Read policy (config, .yamllint, toolchain.env, tools) from this checkout of the "
    "base branch; the repository under check is data, and its policy changes are findings.",
)
@click.option("--shared-dir", help="Upstream material directory (env KUBERAY_GITOPS_SHARED_DIR).")
@click.option("--kubernetes-version", help="Kubernetes version for built-in schemas, e.g. 1.32.")
@click.option(
    "--no-mirrors", is_flag=True, help="Fetch remote bases online instead of the local mirrors."
)
@click.option("--debug", is_flag=True, help="Print a traceback on internal errors.")
@click.pass_context
def cli(ctx: click.Context, /, **params: Any) -> None:
    """Render, lint, schema-validate and check this GitOps repository as Argo CD applies it."""
    ctx.obj = _State(params)


def _progress_enabled(quiet: bool) -> bool:
    """Progress only for a person at a terminal: never in CI or with --quiet."""
    if quiet or os.environ.get("CI") or os.environ.get("GITHUB_ACTIONS") == "true":
        return False
    return sys.stderr.isatty()


def _progress_sink(quiet: bool) -> Callable[[str], None]:
    if not _progress_enabled(quiet):
        return lambda _msg: None

    def show(msg: str) -> None:
        sys.stderr.write(f"\r\033[K[kuberay-gitops] {msg}")
        sys.stderr.flush()

    return show


def _end_progress(quiet: bool) -> None:
    if _progress_enabled(quiet):
        sys.stderr.write("\r\033[K")
        sys.stderr.flush()


def _use_color(mode: str) -> bool:
    """--color always/never, else a terminal without NO_COLOR (https://no-color.org)."""
    if mode != "auto":
        return mode == "always"
    return "NO_COLOR" not in os.environ and sys.stdout.isatty()


_COLORS = MappingProxyType({" error [": "\033[31m", " warning [": "\033[33m"})


def colorize(text: str) -> str:
    """Colour the severity word of each finding line of the text report."""
    for token, code in _COLORS.items():
        word = token.strip(" [")
        text = text.replace(token, f" {code}{word}\033[0m [")
    return text


def _resolve_format(fmt: str) -> str:
    if fmt == "auto":
        return "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"
    return fmt


@cli.command("validate", epilog=EPILOG)
@click.argument("paths", nargs=-1)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["auto", *REPORTERS]),
    default="auto",
    show_default=True,
    help="Output format; auto = github under GitHub Actions, else text.",
)
@FAIL_ON
@click.option(
    "--report",
    "reports",
    multiple=True,
    metavar="FORMAT=FILE",
    help="Also write the report in FORMAT (text, github, json, sarif) to FILE; repeatable.",
)
@click.option("--skip-lint", is_flag=True, help="Skip yamllint.")
@click.option("--skip-schema", is_flag=True, help="Skip kubeconform.")
@click.option("--skip-checks", is_flag=True, help="Skip the project's checks.")
@click.option("--skip-checkov", is_flag=True, help="Skip checkov.")
@click.option(
    "--no-cluster",
    is_flag=True,
    help="Skip the cluster stage (the control-plane twin); the summary line says so.",
)
@click.option("--no-cache", is_flag=True, help="Rebuild every target (ignore the render cache).")
@click.option("--quiet", "-q", is_flag=True, help="No progress on stderr.")
@click.option(
    "--color",
    type=click.Choice(["auto", "always", "never"]),
    default="auto",
    show_default=True,
    help="Colour text output; auto = on a terminal unless NO_COLOR is set.",
)
@click.option(
    "--changed-since",
    metavar="REF",
    help="Only the targets a change since the merge base with REF can affect.",
)
@click.option(
    "--manifests",
    is_flag=True,
    help="PATHS are files or directories of plain manifests (no kustomization): each file, "
    "and each directory's own files, is checked as one unit; no cluster stage.",
)
@click.pass_obj
def validate_cmd(
    state: _State,
    paths: Sequence[str],
    fmt: str,
    fail_on: str,
    reports: Sequence[str],
    skip_lint: bool,
    skip_schema: bool,
    skip_checks: bool,
    skip_checkov: bool,
    no_cluster: bool,
    no_cache: bool,
    quiet: bool,
    color: str,
    changed_since: str | None,
    manifests: bool,
) -> None:
    """Validate every render target (or those at or under PATHS), or plain manifests."""
    extra: list[tuple[str, Path]] = []
    for spec_ in reports:
        name, sep, dest = spec_.partition("=")
        if not sep or name not in REPORTERS or not dest:
            raise click.BadParameter(
                f"{spec_!r}: expected FORMAT=FILE with FORMAT one of {', '.join(REPORTERS)}",
                param_hint="--report",
            )
        extra.append((name, Path(dest)))
    settings = state.settings()
    if manifests and changed_since is not None:
        raise click.UsageError("--manifests and --changed-since cannot be combined")
    request = Request(
        settings,
        tuple(paths),
        Stages(
            lint=not skip_lint,
            schema=not skip_schema,
            checks=not skip_checks,
            checkov=not skip_checkov,
            cluster=not no_cluster,
        ),
        use_cache=not no_cache,
        changed_since=changed_since,
        manifests=manifests,
        progress=_progress_sink(quiet),
    )
    try:
        report = execute(request)
    except affected_mod.UnknownRef as exc:
        raise click.BadParameter(str(exc), param_hint="--changed-since") from exc
    resolved = _resolve_format(fmt)
    if report.nothing_affected is not None:
        _nothing_affected(report, resolved, extra)
        return
    _end_progress(quiet)
    text = REPORTERS[resolved](report)
    colored = resolved == "text" and _use_color(color)
    if colored:
        text = colorize(text)
    click.echo(text, nl=False, color=colored)
    for name, path in extra:
        path.write_text(REPORTERS[name](report))
    code = report.exit_code(Severity(fail_on))
    if code:
        raise SystemExit(code)


def _since(
    settings: Settings, base: str, option: str, cache: RunCache, paths: Sequence[str] = ()
) -> affected_mod.ChangeSet:
    try:
        return affected_mod.since(settings, base, cache, paths)
    except affected_mod.UnknownRef as exc:
        raise click.BadParameter(str(exc), param_hint=option) from exc


def _nothing_affected(empty: Report, fmt: str, extra: Sequence[tuple[str, Path]]) -> None:
    """Nothing to do is a pass; machine formats still get a (empty) report."""
    message = empty.nothing_affected
    if fmt in ("json", "sarif"):
        click.echo(REPORTERS[fmt](empty), nl=False)
        click.echo(message, err=True)
    else:
        click.echo(message)
    for name, path in extra:
        path.write_text(REPORTERS[name](empty))


@cli.command("affected", epilog=EPILOG)
@click.option("--base", "base", required=True, metavar="REF", help="e.g. origin/main")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "github-matrix"]),
    default="text",
    help="github-matrix: one GitHub Actions matrix entry per affected environment (or shard).",
)
@click.option(
    "--fan-out-at",
    type=click.IntRange(min=0),
    help="github-matrix: fan out from this many environments in the repository (below it, "
    "one job validates everything). Default: the crossover `make bench` measured, "
    f"{matrix.FAN_OUT_AT_TWIN} when the config runs the control-plane twin, else "
    f"{matrix.FAN_OUT_AT}.",
)
@click.option(
    "--max-jobs",
    type=click.IntRange(min=1, max=256),
    default=matrix.MAX_JOBS,
    show_default=True,
    help="github-matrix: at most this many entries (neighbouring environments packed).",
)
@click.option(
    "--shard-size",
    type=click.IntRange(min=1),
    default=matrix.SHARD_SIZE,
    show_default=True,
    help="github-matrix: split an environment with more affected targets than this.",
)
@click.option(
    "--github-output",
    is_flag=True,
    help="github-matrix: also append fan-out, entries and matrix to the file $GITHUB_OUTPUT.",
)
@click.pass_obj
def affected_cmd(
    state: _State,
    base: str,
    fmt: str,
    fan_out_at: int | None,
    max_jobs: int,
    shard_size: int,
    github_output: bool,
) -> None:
    """List the targets a change since the merge base with REF can affect (kustomize graph)."""
    if github_output and fmt != "github-matrix":
        raise click.UsageError("--github-output needs --format github-matrix")
    output = os.environ.get("GITHUB_OUTPUT", "") if github_output else ""
    if github_output and not output:
        raise click.UsageError("--github-output: $GITHUB_OUTPUT names no file")
    settings = state.settings()
    cache = RunCache()
    change = _since(settings, base, "--base", cache)
    if fmt != "github-matrix":
        if fmt == "text" and not change.targets:
            click.echo(f"no render target affected since {base}", err=True)
        click.echo(affected_mod.render(change, fmt), nl=False)
        return
    plan = matrix.plan(
        settings,
        change,
        matrix.environment_targets(settings, cache),
        fan_out_at=fan_out_at,
        max_jobs=max_jobs,
        shard_size=shard_size,
    )
    click.echo(plan.note(), err=True)
    click.echo(matrix.render(plan), nl=False)
    if output:
        with open(output, "a", encoding="utf-8") as f:
            f.write(matrix.github_output(plan))


@cli.command("merge-reports", epilog=EPILOG)
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--expect",
    type=click.IntRange(min=0),
    help="the number of jobs that should have written a report; fewer fails the run",
)
@FAIL_ON
def merge_reports_cmd(paths: Sequence[Path], expect: int | None, fail_on: str) -> None:
    """Merge the JSON reports of fanned-out validate jobs into one markdown job summary.

    PATHS are `validate --report json=FILE` files or directories holding them (one per
    job, named after its directory). Every finding is listed once; exit 1 when one is at
    or above --fail-on or when fewer than --expect reports are there.
    """
    reports = matrix.read_reports(paths)
    click.echo(matrix.summary_markdown(reports, expect), nl=False)
    if matrix.failed(reports, expect, fail_on):
        raise SystemExit(ExitCode.FINDINGS)


@cli.command("diff", epilog=EPILOG)
@click.option("--base", "base", required=True, metavar="REF", help="e.g. origin/main")
@click.option("--format", "fmt", type=click.Choice(list(diff_mod.FORMATS)), default="text")
@click.option(
    "--generated",
    is_flag=True,
    help="also apply the affected environments to control-plane twins on both sides and "
    "compare what the KubeRay operator generates (Pods, Services, RayClusters)",
)
@click.pass_obj
def diff_cmd(state: _State, base: str, fmt: str, generated: bool) -> None:
    """Per-object, per-field diff of the affected targets' renders since the merge base with REF."""
    settings = state.settings()
    renderer = make_renderer(settings, toolchain.locate(settings).kustomize)
    generate: diff_mod.Generate | None = None
    if generated:

        def generate(side: Renderer, targets: Sequence[RenderTarget]) -> dict[str, list[Any]]:
            return generated_objects(settings, side, targets)

    def environments(side: Renderer) -> dict[str, ObjectIndex]:
        return environment_indexes(settings, side)[0]

    try:
        report = diff_mod.diff(settings, renderer, base, generate, environments)
    except affected_mod.UnknownRef as exc:
        raise click.BadParameter(str(exc), param_hint="--base") from exc
    click.echo(diff_mod.FORMATS[fmt](report), nl=False)


@cli.command("render")
@click.argument("target")
@click.pass_obj
def render_cmd(state: _State, target: str) -> None:
    """Print the rendered output of one target, exactly as validated."""
    settings = state.settings()
    tools = toolchain.locate(settings)
    chosen = select(discover(settings.repo_root, settings.targets), settings.repo_root, [target])
    renderer = make_renderer(settings, tools.kustomize)
    failed = False
    for t in chosen:
        r = renderer.render(t)
        if r.error is not None:
            click.echo(f"{t.path}: kustomize build failed: {r.error}", err=True)
            failed = True
        else:
            click.echo(r.text, nl=False)
    if failed:
        raise SystemExit(ExitCode.FINDINGS)


@cli.command("targets")
@click.pass_obj
def targets_cmd(state: _State) -> None:
    """List the discovered render targets."""
    settings = state.settings()
    for t in select(discover(settings.repo_root, settings.targets), settings.repo_root, []):
        click.echo(t.path)


# Repository scans that run before rendering (not per-object checks): id → module.
SCANS = MappingProxyType(
    {
        **{i.split("[", 1)[0]: inputs for i in inputs.CHECK_IDS},
        **{i.split("[", 1)[0]: harden for i in harden.CHECK_IDS},
        **{i.split("[", 1)[0]: secretscan for i in secretscan.CHECK_IDS},
        **dict.fromkeys(cluster.CHECK_IDS, cluster),
        **dict.fromkeys(policy.CHECK_IDS, policy),
        **dict.fromkeys((posture.CHECK_ID, *posture.CHECK_IDS), posture),
    }
)


def checks_markdown() -> str:
    """docs/checks.md, generated from the registry."""
    out = [
        "# Checks",
        "",
        "Generated by `kuberay-gitops list-checks --format markdown`; do not edit by hand.",
        "Configure each check under `checks:` in `kuberay-gitops.yaml`"
        " (enabled, severity, options).",
        "",
        "Profile: `correctness` checks find what is wrong for any KubeRay or Kubernetes user;"
        " `platform` checks apply this platform's policy (port plan, registries, placement,"
        " hardening). A run applies the config's `profile` (`correctness` without one;"
        " `platform` = both); `checks.<id>.enabled: true` turns one check on above it."
        " Wrapped tools: checkov and yamllint's style rules are `platform`; schema, input,"
        " harden, secret-scan, cluster and policy-change findings and yamllint's `syntax`"
        " and `key-duplicates` are `correctness`.",
        "",
        "| id | profile | severity | summary |",
        "| --- | --- | --- | --- |",
    ]
    out += [
        f"| `{s.id}` | {s.profile.value} | {s.severity.value} | {s.summary} |"
        for s in registry.all_specs()
    ]
    for s in registry.all_specs():
        module = registry.REGISTRY[s.id]
        out += [
            "",
            f"## `{s.id}`",
            "",
            (module.__doc__ or "").strip(),
            "",
            f"- Profile: {s.profile.value}",
            f"- Severity: {s.severity.value}",
        ]
        out.append(f"- Fix: {s.hint}")
        if s.options:
            opts = ", ".join(f"`{k}` (default `{v!r}`)" for k, v in s.options.items())
            out.append(f"- Options: {opts}")
    out += ["", "## Repository scans", ""]
    out.append(
        "These run on the repository files before rendering, and on the control-plane twin "
        "after it (ids: " + ", ".join(f"`{i}`" for i in sorted(SCANS)) + ")."
    )
    for module in (inputs, harden, secretscan, cluster, policy, posture):
        out += [
            "",
            f"### `{module.__name__.rsplit('.', 1)[1]}`",
            "",
            (module.__doc__ or "").strip(),
        ]
    return "\n".join(out) + "\n"


@cli.command("list-checks")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown"]), default="text")
def list_checks_cmd(fmt: str) -> None:
    """List every registered check."""
    if fmt == "markdown":
        click.echo(checks_markdown(), nl=False)
        return
    for s in registry.all_specs():
        click.echo(f"{s.id:<34} {s.profile.value:<12} {s.severity.value:<8} {s.summary}")


@cli.command("explain")
@click.argument("check_id")
def explain_cmd(check_id: str) -> None:
    """Show a check's documentation."""
    base = check_id.split("[", 1)[0]
    if base in SCANS:
        click.echo((SCANS[base].__doc__ or "").strip())
        return
    module = registry.REGISTRY.get(base)
    if module is None:
        # The ids of the tools the report names (render, kubeconform/..., yamllint/...,
        # checkov/..., schema/...): their rule texts, as SARIF carries them.
        rules = ruleinfo.rules("")
        family = base.split("/", 1)[0] + "/*" if "/" in base else base
        rule = rules.get(base) or rules.get(family)
        if rule is None:
            raise click.UsageError(f'unknown check "{check_id}" (see `kuberay-gitops list-checks`)')
        click.echo(f"{check_id}: {rule.summary}\n\n{rule.description}\n\nFix: {rule.hint}")
        if rule.help_uri:
            click.echo(f"More: {rule.help_uri}")
        return
    s = registry.spec(module)
    click.echo(f"{s.id} ({s.severity.value}): {s.summary}\n")
    click.echo((module.__doc__ or "").strip())
    click.echo(f"\nFix: {s.hint}")
    click.echo(f"Profile: {s.profile.value}")
    if s.options:
        click.echo("Options: " + ", ".join(f"{k}={v!r}" for k, v in s.options.items()))


@cli.command("new-env", epilog=EPILOG)
@click.argument("name")
@click.option("--from", "source", required=True, metavar="ENV", help="Environment to copy.")
@click.option("--dry-run", is_flag=True, help="Print what would be written; write nothing.")
@click.pass_obj
def new_env_cmd(state: _State, name: str, source: str, dry_run: bool) -> None:
    """Create environment NAME from ENV: overlays, Argo CD wiring, validated or rolled back."""
    from kuberay_gitops import newenv  # noqa: PLC0415  (keeps the other commands' start fast)

    try:
        newenv.check_name(name)
        code = newenv.run(state.settings(), name, source, dry_run=dry_run)
    except newenv.BadArgument as exc:
        raise click.ClickException(str(exc)) from exc
    if code:
        raise SystemExit(code)


@cli.command("audit-ports", epilog=EPILOG)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["auto", *REPORTERS, "markdown"]),
    default="auto",
    show_default=True,
    help="Findings as text/github/json/sarif; markdown = the observed port table.",
)
@click.option(
    "--update-doc",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="Also write the observed port table between the audit-ports markers of FILE.",
)
@click.option(
    "--no-cluster",
    is_flag=True,
    help="Build start commands from rayStartParams instead of the operator's Pods.",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress on stderr.")
@click.pass_obj
def audit_ports_cmd(
    state: _State, fmt: str, update_doc: str | None, no_cluster: bool, quiet: bool
) -> None:
    """Start the real Ray of every cluster on loopback and audit its ports against the repo.

    Ray runs from the pinned venv of the image's Ray version (`make setup`); every Ray
    process is stopped at the end, also on timeout and interrupt. Not part of `validate`.
    """
    from kuberay_gitops import liveray  # noqa: PLC0415  (keeps the other commands' start fast)

    result = liveray.audit(state.settings(), _progress_sink(quiet), use_cluster=not no_cluster)
    _end_progress(quiet)
    table = liveray.markdown_table(result.rows)
    if update_doc is not None:
        doc = Path(update_doc)
        doc.write_text(liveray.update_doc(doc.read_text(), table))
    resolved = _resolve_format(fmt)
    if resolved == "markdown":
        click.echo(table, nl=False)
        if result.report.findings:
            click.echo(REPORTERS["text"](result.report), nl=False, err=True)
    else:
        click.echo(REPORTERS[resolved](result.report), nl=False)
    code = result.report.exit_code(Severity.WARNING)  # any finding fails the audit
    if code:
        raise SystemExit(code)


@cli.command("setup", epilog=EPILOG)
@click.option(
    "--no-cluster",
    is_flag=True,
    help="Only kustomize and kubeconform (and the KubeRay CRDs, given a source): no twin.",
)
@click.option(
    "--operator-source",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="The ray-operator directory of a KubeRay source tree of the pinned release "
    "(default: the one under shared_dir, when it is there).",
)
@click.option("--quiet", "-q", is_flag=True, help="Say only what was built.")
@click.pass_obj
def setup_cmd(state: _State, no_cluster: bool, operator_source: Path | None, quiet: bool) -> None:
    """Find or build the pinned binaries into the tools directory (Go from PATH).

    kustomize and kubeconform by `go install`; the control-plane twin (etcd, kube-apiserver,
    the KubeRay operator) by `go build` from pinned sources. Idempotent: a second run only
    verifies. Where: tools_dir, else the cache's tools/<pins> directory.
    """
    from kuberay_gitops import provision  # noqa: PLC0415  (only this command builds)

    settings = state.settings(anywhere=True)
    source = provision.operator_source(settings, operator_source)
    started = time.monotonic()
    outcomes = provision.setup(
        settings, twin_too=not no_cluster, source=source, progress=_progress_sink(quiet)
    )
    _end_progress(quiet)
    for o in outcomes:
        if o.built or not quiet:
            how = f"built in {o.seconds:.1f}s" if o.built else "up to date"
            click.echo(f"{o.name}: {how} ({o.path})")
    if quiet:
        return
    if source is None:
        click.echo(
            "KubeRay CRDs and operator: not set up (no --operator-source): ray.io kinds get "
            "a schema from crd_dirs or a target that renders their CRDs"
        )
    if no_cluster:
        click.echo("control-plane twin: not set up (--no-cluster): validate skips its stage")
    click.echo(f"setup done in {time.monotonic() - started:.1f}s")


@cli.command("init", epilog=EPILOG)
@click.pass_obj
def init_cmd(state: _State) -> None:
    """Write a starting kuberay-gitops.yaml for the repository (never overwrites one).

    Targets are discovered from the kustomizations, the GitOps engine (Argo CD, Flux) is
    detected, the profile is correctness. Review the file, then commit it.
    """
    from kuberay_gitops import initconf  # noqa: PLC0415  (only this command writes a config)

    repo = state.params.get("repo")
    root = Path(repo) if repo else _git_root(Path.cwd().resolve())
    path, engine, patterns = initconf.init(root)
    click.echo(f"wrote {path}: engine {engine.display}, targets {', '.join(patterns)}")
    click.echo("next: `kuberay-gitops setup`, then `kuberay-gitops validate`")


def _git_root(start: Path) -> Path:
    """Where init writes without --repo: the Git work tree's root, else the cwd."""
    return next((d for d in [start, *start.parents] if (d / ".git").exists()), start)


def _terminated(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point: map every failure to its exit code, never a bare traceback."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    # SIGTERM (a CI job cancelled, a timeout) unwinds like Ctrl-C, so every process this run
    # started (the control-plane twins) is stopped by its `finally`, not left behind.
    signal.signal(signal.SIGTERM, _terminated)
    try:
        cli.main(args=args, prog_name="kuberay-gitops", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(ExitCode.USAGE)
    except click.exceptions.Abort:
        click.echo("kuberay-gitops: aborted", err=True)
        sys.exit(ExitCode.TOOL_ERROR)
    except ToolError as exc:
        if debug:
            traceback.print_exc()
        click.echo(f"kuberay-gitops: error: {exc}", err=True)
        sys.exit(ExitCode.TOOL_ERROR)
    except SystemExit:
        raise
    except OSError as exc:
        if debug:
            traceback.print_exc()
        where = f"{exc.filename}: " if exc.filename else ""
        click.echo(
            f"kuberay-gitops: error: {where}{exc.strerror or exc} (check that cache_dir "
            "is writable and the repository readable; --debug for a traceback)",
            err=True,
        )
        sys.exit(ExitCode.TOOL_ERROR)
    except Exception as exc:
        if debug:
            traceback.print_exc()
        click.echo(
            f"kuberay-gitops: internal error: {type(exc).__name__}: {exc} "
            "(rerun with --debug for a traceback)",
            err=True,
        )
        sys.exit(ExitCode.TOOL_ERROR)
    sys.exit(ExitCode.OK)
