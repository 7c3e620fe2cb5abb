"""Every bad input of the corpus ends with its exit code and one clear line naming the file,
never a traceback, with bounded memory; a hang guard kills a run that would block CI."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, config_text, require_setup
from tests.corpus.cases import CASES, Case

# Not a speed goal (that is the benchmark's job): a run past this is hung, and is killed so
# one bad input cannot block the suite.
HANG_GUARD_SECONDS = 120
MEMORY_BOUND_KIB = 1024 * 1024


@dataclass(frozen=True)
class Outcome:
    """What one `validate` run over a corpus tree did."""

    exit_code: int
    output: str
    seconds: float
    max_rss_kib: int


def write_case(case: Case, root: Path) -> None:
    """The case's tree, plus the tool files a repository has, under root."""
    defaults: dict[str, str | bytes] = {
        "toolchain.env": (REPO_ROOT / "toolchain.env").read_text(),
        ".yamllint": (REPO_ROOT / ".yamllint").read_text(),
    }
    if case.write_config:
        defaults["kuberay-gitops.yaml"] = config_text(case.targets, case.config)
    for rel, content in {**defaults, **case.files}.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_bytes(content.encode())
    for rel, dest in case.symlinks.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).symlink_to(dest)
    for rel in case.fifos:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        os.mkfifo(root / rel)


def run_validate(root: Path) -> Outcome:
    """The real entry point in a subprocess, with its peak RSS from wait4."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KUBERAY_GITOPS_")}
    env.pop("GITHUB_ACTIONS", None)
    start = time.monotonic()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kuberay_gitops",
            "--repo",
            str(root),
            "validate",
            "--color",
            "never",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        start_new_session=True,
    )
    timer = threading.Timer(HANG_GUARD_SECONDS, os.killpg, (proc.pid, signal.SIGKILL))
    timer.start()
    try:
        assert proc.stdout is not None
        with proc.stdout:
            output = proc.stdout.read().decode(errors="replace")
        _, status, usage = os.wait4(proc.pid, 0)
    finally:
        timer.cancel()
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Outcome(proc.returncode, output, time.monotonic() - start, usage.ru_maxrss)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_gives_one_clear_line_and_its_exit_code(case: Case, tmp_path: Path) -> None:
    require_setup()
    write_case(case, tmp_path)
    outcome = run_validate(tmp_path)
    assert "Traceback" not in outcome.output, outcome.output
    assert outcome.exit_code == case.exit_code, outcome.output
    pattern = re.compile(case.pattern)
    matching = [
        line for line in outcome.output.splitlines() if case.file in line and pattern.search(line)
    ]
    assert matching, f"no line naming {case.file} matches /{case.pattern}/:\n{outcome.output}"
    assert outcome.max_rss_kib < MEMORY_BOUND_KIB, f"peak RSS {outcome.max_rss_kib} KiB"


def test_the_corpus_has_at_least_thirty_distinct_cases() -> None:
    names = [c.name for c in CASES]
    assert len(set(names)) == len(names) >= 30


def test_docs_list_every_corpus_case() -> None:
    text = (REPO_ROOT / "docs" / "robustness.md").read_text()
    assert [c.name for c in CASES if f"| `{c.name}` |" not in text] == []


def test_a_refused_target_is_named_as_not_rendered(tmp_path: Path) -> None:
    require_setup()
    [case] = [c for c in CASES if c.name == "exec-plugin"]
    write_case(case, tmp_path)
    outcome = run_validate(tmp_path)
    assert "t: not rendered, refused by the harden-*/input-unsafe findings above" in (
        outcome.output.splitlines()
    )
