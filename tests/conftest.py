"""Shared fixtures: small YAML trees in tmp_path, the CLI runner, the real tools.

Tests use the real kustomize and kubeconform from `.tools/bin` and the real upstream
material from the shared directory. When either is missing the test FAILS with the
set-up instruction: a skipped test would hide a broken set-up.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from kuberay_gitops.findings import Finding
from kuberay_gitops.pipeline import Stages, validate
from kuberay_gitops.settings import load
from kuberay_gitops_dev.mutation import copy_repository

REPO_ROOT = Path(__file__).resolve().parent.parent
TOOLS_DIR = REPO_ROOT / ".tools" / "bin"
# Schema and mirror caches are keyed by content, so every test tree can share one.
TEST_CACHE = REPO_ROOT / ".cache" / "tests"


def shared_dir() -> Path:
    """The shared upstream material: KUBERAY_GITOPS_SHARED_DIR or ../shared."""
    env = os.environ.get("KUBERAY_GITOPS_SHARED_DIR")
    return Path(env).resolve() if env else (REPO_ROOT.parent / "shared").resolve()


def require_setup() -> None:
    """Fail (never skip) with the set-up instruction when tools or shared dir are missing."""
    missing = [t for t in ("kustomize", "kubeconform") if not (TOOLS_DIR / t).is_file()]
    if missing:
        pytest.fail(
            f"{', '.join(missing)} missing from .tools/bin: run `make setup` (or `make test`)"
        )
    if not (shared_dir() / "crds").is_dir():
        pytest.fail(
            f"shared upstream material not found at {shared_dir()}: put ../shared beside the "
            "repository or set KUBERAY_GITOPS_SHARED_DIR"
        )


def config_text(
    targets: Iterable[str] = ("t",), extra: str = "", profile: str | None = "platform"
) -> str:
    """A kuberay-gitops.yaml for a temporary repository using the real tools and shared dir.

    `profile` platform by default (every check, so tests of platform checks need nothing
    else); None leaves the key out, as a repository that never chose one.
    """
    lines = [
        "version: 1",
        *([f"profile: {profile}"] if profile else []),
        f"shared_dir: {shared_dir()}",
        f"tools_dir: {TOOLS_DIR}",
        f"cache_dir: {TEST_CACHE}",
        "crd_dirs:",
        "  - crds/kuberay/v1.7.0",
        "  - crds/prometheus-operator/v0.93.0",
        "  - crds/argo-cd/v3.5.1",
        "  - crds/volcano/v1.15.1",
        "  - crds/kueue/v0.19.2",
        "targets:",
        *[f"  - {t}" for t in targets],
        "mirrors:",
        "  - url: https://github.com/ray-project/kuberay",
        "    ref: v1.7.0",
        "    source: crds/kuberay/v1.7.0/operator",
        "    path: ray-operator/config",
    ]
    return "\n".join(lines) + "\n" + textwrap.dedent(extra)


WriteTree = Callable[[Mapping[str, str]], Path]


@pytest.fixture
def write_tree(tmp_path: Path) -> WriteTree:
    """Write {relative path: text} under tmp_path (dedented); returns tmp_path.

    A `toolchain.env` copied from the repository and a default config are added unless
    the tree provides its own.
    """

    def write(files: Mapping[str, str]) -> Path:
        require_setup()
        defaults = {
            "toolchain.env": (REPO_ROOT / "toolchain.env").read_text(),
            "kuberay-gitops.yaml": config_text(),
            ".yamllint": (REPO_ROOT / ".yamllint").read_text(),
        }
        for rel, text in {**defaults, **files}.items():
            path = tmp_path / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text).lstrip())
        return tmp_path

    return write


KUSTOMIZATION = """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
{resources}
"""


def target_tree(files: Mapping[str, str], target: str = "t") -> dict[str, str]:
    """A tree where target `t/` lists every given file of `t/` as a resource."""
    resources = [rel.split("/", 1)[1] for rel in files if rel.startswith(f"{target}/")]
    tree = dict(files)
    tree.setdefault(
        f"{target}/kustomization.yaml",
        KUSTOMIZATION.format(resources="\n".join(f"  - {r}" for r in resources)),
    )
    return tree


@dataclass(frozen=True)
class CheckRun:
    """Findings of one check over one tree, with compact accessors for assertions."""

    findings: list[Finding]

    def rows(self) -> list[tuple[str, str, str, str, int | None]]:
        """(check id, object name, field, file, line) per finding."""
        return [
            (f.check_id, f.obj.name if f.obj else "", f.field_str, f.location.file, f.location.line)
            for f in self.findings
        ]


@pytest.fixture
def run_check(write_tree: WriteTree) -> Callable[..., CheckRun]:
    """Run only the given check over a tree (real kustomize render + real locator).

    `files` maps repo-relative paths to YAML; files under `t/` are listed as resources
    of the target `t` unless `t/kustomization.yaml` is given. `targets` replaces the
    config's render target globs (default `["t"]`); `profile` the config's profile.
    """

    def run(
        check_id: str,
        files: Mapping[str, str],
        config_extra: str = "",
        targets: Iterable[str] | None = None,
        profile: str = "platform",
    ) -> CheckRun:
        tree = target_tree(files)
        if config_extra or targets is not None or profile != "platform":
            tree["kuberay-gitops.yaml"] = config_text(
                targets=("t",) if targets is None else targets,
                extra=config_extra,
                profile=profile,
            )
        root = write_tree(tree)
        settings = load(root, env={})
        report = validate(
            settings,
            (),
            Stages(
                lint=False,
                schema=False,
                checks=True,
                checkov=False,
                cluster=False,  # one check's behaviour; the twin has tests of its own
                only_checks=frozenset({check_id}),
            ),
        )
        return CheckRun([f for f in report.findings if f.check_id.split("[", 1)[0] == check_id])

    return run


@dataclass(frozen=True)
class CliResult:
    """Exit code, stdout and stderr of one real `python -m kuberay_gitops` run."""

    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def run_cli() -> Callable[..., CliResult]:
    """Run the real entry point in a subprocess (exit codes and streams as users see them)."""
    return cli


def cli(*args: str, env: Mapping[str, str] | None = None) -> CliResult:
    """`python -m kuberay_gitops ARGS` with a clean KUBERAY_GITOPS_* environment."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("KUBERAY_GITOPS_")}
    full_env.pop("GITHUB_ACTIONS", None)
    full_env.update(env or {})
    proc = subprocess.run(
        [sys.executable, "-m", "kuberay_gitops", *args],
        capture_output=True,
        text=True,
        env=full_env,
        check=False,
        timeout=600,
    )
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


def fresh_python(code: str) -> str:
    """What `code` prints in a fresh interpreter (its own imports, its own blocking calls)."""
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        start_new_session=True,
    )
    return proc.stdout.strip()


def exponential_tree(levels: int, leaf_kib: int, target: str = "t") -> dict[str, str]:
    """A kustomization tree that includes its base twice per level (issue 17's memory bomb).

    Level 0 is one ConfigMap of `leaf_kib` KiB (short lines, so no input limit or lint
    rule stops it first); each level includes the one below through two prefixed copies,
    so `target` (the top level) renders 2**levels ConfigMaps, all held by kustomize at once.
    """
    head = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
    line = "x" * 63
    data = "".join(f"    {line}\n" for _ in range(leaf_kib * 1024 // 64))
    tree = {
        "bomb/l0/kustomization.yaml": head + "resources:\n  - configmap.yaml\n",
        "bomb/l0/configmap.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n"
        f"data:\n  blob: |\n{data}",
    }
    for n in range(1, levels + 1):
        here = target if n == levels else f"bomb/l{n}"
        below = f"bomb/l{n - 1}"
        for side in "ab":
            up = "../" * (here.count("/") + 2)
            tree[f"{here}/{side}/kustomization.yaml"] = (
                head + f"namePrefix: {side}-\nresources:\n  - {up}{below}\n"
            )
        tree[f"{here}/kustomization.yaml"] = head + "resources:\n  - a\n  - b\n"
    return tree


# -- pull requests judged by the base branch (tests/e2e/test_trust_boundary.py, test_hostile_pr.py)

Row = tuple[str, str, int | None, str]


@pytest.fixture
def copies(tmp_path: Path) -> tuple[Path, Path]:
    """Two copies of the repository: the base branch's checkout and the pull request's."""
    require_setup()
    base, pr = tmp_path / "base", tmp_path / "pr"
    copy_repository(REPO_ROOT, base)
    copy_repository(REPO_ROOT, pr)
    return base, pr


def pr_env(cache: bool = True) -> dict[str, str]:
    """The CI job's own environment (trusted): where the base's set-up put the tools.

    `cache=False` leaves the cache directory to the config, as on a CI runner.
    """
    env = {
        "KUBERAY_GITOPS_SHARED_DIR": str(shared_dir()),
        "KUBERAY_GITOPS_TOOLS_DIR": str(TOOLS_DIR),
    }
    if cache:
        env["KUBERAY_GITOPS_CACHE_DIR"] = str(TEST_CACHE)
    return env


def validate_pr(
    pr: Path, base: Path | None, *targets: str, cache: bool = True
) -> tuple[int, list[Row], str]:
    """`validate` of the `pr` checkout as the PR workflow runs it (`--policy-from base`).

    Static stages only (`--skip-checkov --no-cluster`); returns the exit code, one
    (check, file, line, message) row per finding, and stdout + stderr.
    """
    policy = ("--policy-from", str(base)) if base is not None else ()
    args = ("validate", "--skip-checkov", "--no-cluster", "--format", "json", *targets)
    result = cli("--repo", str(pr), *policy, *args, env=pr_env(cache))
    assert result.exit_code in (0, 1), result.stdout + result.stderr
    data = json.loads(result.stdout)
    rows = [(f["check"], f["file"], f["line"], f["message"]) for f in data["findings"]]
    return result.exit_code, rows, result.stdout + result.stderr


def edit(path: Path, old: str, new: str) -> None:
    """Replace the one occurrence of `old` in a file (an attack, a seeded defect)."""
    text = path.read_text()
    assert text.count(old) == 1, f"{path}: {old!r} found {text.count(old)} times"
    path.write_text(text.replace(old, new))
