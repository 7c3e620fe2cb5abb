"""The one subprocess wrapper: argv lists only, no shell, no pipes, always a timeout."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from kuberay_gitops.exitcodes import ToolFailed, ToolNotFound


@dataclass(frozen=True, slots=True)
class Completed:
    """A finished process."""

    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str


def run(
    argv: Sequence[str],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 120.0,
    input_text: str | None = None,
) -> Completed:
    """Run a command to completion; a missing binary or a timeout is a ToolError."""
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    try:
        # A session of its own, so a timeout kills kustomize's git children too.
        proc = subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=full_env,
            stdin=subprocess.PIPE if input_text is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
    except FileNotFoundError as exc:
        raise ToolNotFound(f"{argv[0]} not found; run `make setup`") from exc
    try:
        stdout, stderr = proc.communicate(input_text, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise ToolFailed(f"{Path(argv[0]).name} timed out after {timeout:g}s") from exc
    except BaseException:  # Ctrl-C: the child's session would not see the signal
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        raise
    return Completed(tuple(argv), proc.returncode, stdout, stderr)


def one_line(text: str, limit: int = 400) -> str:
    """Condense a tool's multi-line message to one line."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"
