"""The one subprocess wrapper: argv lists only, no shell, no pipes, always a timeout.

A tool fed untrusted input (kustomize on a pull request) also runs with `Bounds`: a cap on
the output kept and on the memory the child may map, so a hostile input is a finding, never
a machine out of memory or a run that never ends.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import resource
import selectors
import signal
import subprocess
import sys
import threading
import time
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


@dataclass(frozen=True, slots=True)
class Bounds:
    """Caps on one child process (None: no cap).

    `output_bytes`: stdout kept; one byte more and the whole process group is killed, so
    nothing past the cap is read or buffered. `memory_bytes`: the child's RLIMIT_DATA, the
    memory it may map writable (its heap, for a Go binary). Not RLIMIT_AS: the Go runtime
    reserves hundreds of MiB of address space at start-up (a 256 MiB RLIMIT_AS kills
    kustomize before it reads anything, "failed to reserve page summary memory"), while
    RLIMIT_DATA does not count reservations and makes the runtime fail with "runtime: out
    of memory" at the cap. It is set with prlimit(2) on the child's pid right after exec,
    never on this process (a preexec_fn is unsafe with the render threads), and the
    tool's own children (git) inherit it.
    """

    output_bytes: int | None = None
    memory_bytes: int | None = None


class OutputLimitExceeded(ToolFailed):
    """A bounded child wrote more than `Bounds.output_bytes`; it was killed."""


class MemoryLimitExceeded(ToolFailed):
    """A bounded child failed for want of memory under `Bounds.memory_bytes`."""


# How a child reports a failed allocation: the Go runtime ("runtime: out of memory", "out
# of memory allocating heap arena map"), and strerror(ENOMEM) of C tools such as git.
_OUT_OF_MEMORY = re.compile(r"out of memory|cannot allocate memory", re.IGNORECASE)
# stderr kept from a bounded child: a Go crash dumps every goroutine's stack.
_STDERR_KEPT = 64 * 1024
_CHUNK = 64 * 1024


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

    def finish_bounded(self, bounds: Bounds, timeout: float) -> Completed:
        """Wait for the end reading at most `bounds.output_bytes` of stdout (no input).

        Raises OutputLimitExceeded (the group killed) or MemoryLimitExceeded, and
        ToolFailed on a timeout, as `finish`.
        """
        name = Path(self.argv[0]).name
        deadline = time.monotonic() + timeout
        if self.proc.stdout is None or self.proc.stderr is None:
            raise ToolFailed(f"{name} was started without output pipes")
        out_fd, err_fd = self.proc.stdout.fileno(), self.proc.stderr.fileno()
        kept = {out_fd: bytearray(), err_fd: bytearray()}
        try:
            with selectors.DefaultSelector() as sel:
                sel.register(out_fd, selectors.EVENT_READ)
                sel.register(err_fd, selectors.EVENT_READ)
                while sel.get_map():
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise subprocess.TimeoutExpired(self.argv, timeout)
                    for key, _ in sel.select(left):
                        chunk = os.read(key.fd, _CHUNK)
                        if not chunk:
                            sel.unregister(key.fd)
                            continue
                        buf = kept[key.fd]
                        cap = bounds.output_bytes if key.fd == out_fd else _STDERR_KEPT
                        if key.fd == out_fd and cap is not None and len(buf) + len(chunk) > cap:
                            raise OutputLimitExceeded(
                                f"{name} wrote more than {cap} bytes; it was killed"
                            )
                        buf.extend(chunk if cap is None else chunk[: max(0, cap - len(buf))])
            self.proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired as exc:
            self.cancel()
            raise ToolFailed(f"{name} timed out after {timeout:g}s") from exc
        except BaseException:  # Ctrl-C, or the output cap: nothing of the group may linger
            self.cancel()
            raise
        finally:
            self.proc.stdout.close()
            self.proc.stderr.close()
        stdout, stderr = (self._text(kept[fd]) for fd in (out_fd, err_fd))
        if (
            bounds.memory_bytes is not None
            and self.proc.returncode != 0
            and _OUT_OF_MEMORY.search(stderr)
        ):
            raise MemoryLimitExceeded(
                f"{name} ran out of memory under its limit of {bounds.memory_bytes} bytes"
            )
        return Completed(self.argv, self.proc.returncode, stdout, stderr)

    def _text(self, data: bytearray) -> str:
        """Bytes read from a pipe as `communicate` would give them in text mode."""
        stream = self.proc.stdout
        encoding = getattr(stream, "encoding", None) or "utf-8"
        text = bytes(data).decode(encoding, errors="replace")
        return text.replace("\r\n", "\n").replace("\r", "\n")

    def limit_memory(self, memory_bytes: int | None) -> None:
        """Cap the child's RLIMIT_DATA (Bounds); a child already gone needs no cap."""
        if memory_bytes is None:
            return
        hard = resource.getrlimit(resource.RLIMIT_DATA)[1]
        cap = memory_bytes if hard == resource.RLIM_INFINITY else min(memory_bytes, hard)
        with contextlib.suppress(ProcessLookupError):
            resource.prlimit(self.proc.pid, resource.RLIMIT_DATA, (cap, cap))

    def kill(self) -> None:
        """Kill the process and its children now, from any thread; its waiter reaps it.

        From another thread, the waiter may reap it between the check and the kill: the
        group id is then free for the kernel to reuse, which it does not do within the
        microseconds between (pids are handed out in order).
        """
        if self.proc.poll() is None:  # not reaped, so its process group id is still its own
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)

    def cancel(self) -> None:
        """Kill the process and its children, and reap it; safe to call twice."""
        self.kill()
        with contextlib.suppress(Exception):
            self.proc.communicate(timeout=5)


class Processes:
    """The processes a run's worker threads are waiting on, so a failed run can stop them.

    A worker thread blocks on its process; the signal of a Ctrl-C reaches only the main
    thread, and a failed stage there would otherwise wait for each tool to finish. Once
    `kill_all` has run, every process added is killed at once (the run is over).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._live: dict[int, Started] = {}
        self._stopped = False

    def add(self, started: Started) -> None:
        """Track a started process until `discard`; killed now if the run was stopped."""
        with self._lock:
            self._live[id(started)] = started
            stopped = self._stopped
        if stopped:
            started.kill()

    def discard(self, started: Started) -> None:
        """Stop tracking a process its waiter has finished with."""
        with self._lock:
            self._live.pop(id(started), None)

    def kill_all(self) -> None:
        """Kill every tracked process group, and every one added from now on."""
        with self._lock:
            self._stopped = True
            live = list(self._live.values())
        for started in live:
            started.kill()


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
    bounds: Bounds | None = None,
    processes: Processes | None = None,
) -> Completed:
    """Run a command to completion; a missing binary or a timeout is a ToolError.

    With `bounds` (and no input) the output and memory caps apply: see `Bounds`. With
    `processes` the run can be stopped from another thread (`Processes.kill_all`).
    """
    if bounds is None:
        started = start(argv, cwd=cwd, env=env, stdin=input_text is not None)
        if processes is not None:
            processes.add(started)
        try:
            return started.finish(input_text, timeout)
        finally:
            if processes is not None:
                processes.discard(started)
    if input_text is not None:
        raise ValueError("a bounded run takes no input")
    started = start(argv, cwd=cwd, env=env, stdin=False)
    try:
        started.limit_memory(bounds.memory_bytes)
    except BaseException:
        started.cancel()
        raise
    return started.finish_bounded(bounds, timeout)


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
