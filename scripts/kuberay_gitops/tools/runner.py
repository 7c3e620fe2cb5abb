"""The one subprocess wrapper: argv lists only, no shell, no pipes, always a timeout."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
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


@dataclass(slots=True)
class Started:
    """A process started ahead of its input (to overlap a slow start-up with other work)."""

    argv: tuple[str, ...]
    proc: subprocess.Popen[str]

    def finish(self, input_text: str | None, timeout: float) -> Completed:
        """Send the input, wait for the end; a timeout kills the whole process group."""
        try:
            stdout, stderr = self.proc.communicate(input_text, timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            self.cancel()
            raise ToolFailed(f"{Path(self.argv[0]).name} timed out after {timeout:g}s") from exc
        except BaseException:  # Ctrl-C: the child's session would not see the signal
            self.cancel()
            raise
        return Completed(self.argv, self.proc.returncode, stdout, stderr)

    def cancel(self) -> None:
        """Kill the process and its children, and reap it; safe to call twice."""
        if self.proc.poll() is None:  # not reaped, so its process group id is still its own
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(Exception):
            self.proc.communicate(timeout=5)


def start(
    argv: Sequence[str],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    stdin: bool = True,
) -> Started:
    """Start a command in a session of its own; `finish` it (or `cancel` it) later."""
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    try:
        proc = subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=full_env,
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # so a timeout kills kustomize's git children too
        )
    except FileNotFoundError as exc:
        raise ToolNotFound(f"{argv[0]} not found; run `make setup`") from exc
    return Started(tuple(argv), proc)


def run(
    argv: Sequence[str],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 120.0,
    input_text: str | None = None,
) -> Completed:
    """Run a command to completion; a missing binary or a timeout is a ToolError."""
    return start(argv, cwd=cwd, env=env, stdin=input_text is not None).finish(input_text, timeout)


@dataclass(slots=True)
class Service:
    """A long-running process (a server of the control-plane twin) writing to a log file.

    Its output goes to a file, never to a pipe nobody reads (a full pipe would stall it).
    `stop` ends its whole process group: SIGTERM, then SIGKILL after `grace` seconds.
    """

    name: str
    proc: subprocess.Popen[bytes]
    log: Path

    def alive(self) -> bool:
        """True while the process runs."""
        return self.proc.poll() is None

    def log_tail(self, limit: int = 2000) -> str:
        """The end of its log, for an error message."""
        try:
            data = self.log.read_bytes()[-limit:]
        except OSError:
            return ""
        return data.decode(errors="replace")

    def stop(self, grace: float = 5.0) -> None:
        """Terminate the process group, kill it if it lingers, reap it; safe to call twice."""
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=grace)
        # The leader may be gone while children of its group linger.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(Exception):
            self.proc.wait(timeout=5)


def _die_with_parent() -> None:  # pragma: no cover - runs in the child, between fork and exec
    """Linux: the kernel kills the server when the thread that started it dies.

    Even by SIGKILL, when no `finally` can run. Elsewhere the `stop` in a `finally` is all
    there is.
    """
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


_PR_SET_PDEATHSIG = 1


def spawn(
    name: str,
    argv: Sequence[str],
    log: Path,
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    inherit: bool = True,
) -> Service:
    """Start a server in a session of its own, output to `log`; the caller must `stop` it.

    `inherit=False` gives it `env` alone, none of this process's environment.
    """
    full_env = dict(os.environ) if inherit else {}
    if env:
        full_env.update(env)
    with log.open("wb") as out:
        try:
            proc = subprocess.Popen(
                list(argv),
                cwd=cwd,
                env=full_env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent if sys.platform == "linux" else None,  # noqa: PLW1509
            )
        except FileNotFoundError as exc:
            raise ToolNotFound(f"{argv[0]} not found; run `make setup`") from exc
    return Service(name, proc, log)


def one_line(text: str, limit: int = 400) -> str:
    """Condense a tool's multi-line message to one line."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"
