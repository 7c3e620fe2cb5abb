from __future__ import annotations

import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from kuberay_gitops.exitcodes import ToolFailed, ToolNotFound
from kuberay_gitops.tools.runner import Bounds, OutputLimitExceeded, Processes, run, start


def _alive(pid: int) -> bool:
    """Running (a killed child that init has not reaped yet is a zombie: not alive)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def _exits(pid: int) -> bool:
    """Whether the process is gone within a few seconds (SIGKILL lands asynchronously)."""
    for _ in range(100):
        if not _alive(pid):
            return True
        time.sleep(0.05)
    return False


def test_a_timeout_is_a_tool_failure_naming_the_tool_and_the_limit() -> None:
    with pytest.raises(ToolFailed, match=r"^sleep timed out after 0\.2s$"):
        run(["sleep", "30"], timeout=0.2)


def test_a_timeout_kills_the_children_the_tool_started(tmp_path: Path) -> None:
    pidfile = tmp_path / "pid"
    with pytest.raises(ToolFailed):
        run(["sh", "-c", f"sleep 30 & echo $! > {pidfile}; wait"], timeout=0.5)
    assert _exits(int(pidfile.read_text()))


def test_a_missing_binary_says_how_to_install_it(tmp_path: Path) -> None:
    with pytest.raises(ToolNotFound, match="run `make setup`"):
        run([str(tmp_path / "kustomize"), "version"])


def test_output_and_exit_code_are_returned() -> None:
    out = run(["sh", "-c", "echo out; echo err >&2; exit 4"])
    assert (out.returncode, out.stdout, out.stderr) == (4, "out\n", "err\n")


def test_a_started_process_reads_its_input_when_finished() -> None:
    started = start(["sh", "-c", "sleep 0.2; cat"])
    assert started.finish("objects\n", timeout=30).stdout == "objects\n"


def test_a_cancelled_process_and_its_children_are_gone(tmp_path: Path) -> None:
    pidfile = tmp_path / "pid"
    started = start(["sh", "-c", f"sleep 30 & echo $! > {pidfile}; wait"])
    for _ in range(100):
        if pidfile.exists() and pidfile.read_text().strip():
            break
        time.sleep(0.05)
    started.cancel()
    started.cancel()  # twice is harmless
    assert started.proc.returncode is not None
    assert _exits(int(pidfile.read_text()))


def test_a_process_killed_from_another_thread_ends_the_wait_on_it(tmp_path: Path) -> None:
    # The checkov driver is waited on by a worker thread; a failed run kills it from the
    # main thread instead of waiting for its scan.
    pidfile = tmp_path / "pid"
    started = start(["sh", "-c", f"sleep 30 & echo $! > {pidfile}; wait"])
    with ThreadPoolExecutor(max_workers=1) as pool:
        waiting = pool.submit(started.finish, "", 60)
        for _ in range(100):
            if pidfile.exists() and pidfile.read_text().strip():
                break
            time.sleep(0.05)
        started.kill()
        assert waiting.result(timeout=10).returncode == -signal.SIGKILL
    assert _exits(int(pidfile.read_text()))


def _pid_from(pidfile: Path) -> int:
    for _ in range(100):
        if pidfile.exists() and pidfile.read_text().strip():
            return int(pidfile.read_text())
        time.sleep(0.05)
    raise AssertionError(f"{pidfile} never written")


def test_a_run_stopped_through_its_processes_ends_at_once_with_its_children(
    tmp_path: Path,
) -> None:
    pidfile, processes = tmp_path / "pid", Processes()
    with ThreadPoolExecutor(max_workers=1) as pool:
        running = pool.submit(
            run, ["sh", "-c", f"sleep 30 & echo $! > {pidfile}; wait"], processes=processes
        )
        child = _pid_from(pidfile)
        processes.kill_all()
        assert running.result(timeout=10).returncode == -signal.SIGKILL
    assert _exits(child)


def test_a_process_started_after_the_run_stopped_is_killed_at_once() -> None:
    processes = Processes()
    processes.kill_all()
    started = time.monotonic()
    assert run(["sleep", "30"], processes=processes).returncode == -signal.SIGKILL
    assert time.monotonic() - started < 10


def test_a_finished_run_is_no_longer_tracked(tmp_path: Path) -> None:
    processes = Processes()
    assert run(["true"], processes=processes).returncode == 0
    assert processes._live == {}


def test_a_bounded_run_over_its_output_cap_kills_the_group_and_its_children(
    tmp_path: Path,
) -> None:
    pidfile = tmp_path / "pid"
    script = f"sleep 30 & echo $! > {pidfile}; while :; do echo 0123456789abcdef; done"
    with pytest.raises(
        OutputLimitExceeded, match=r"^sh wrote more than 4096 bytes; it was killed$"
    ):
        run(["sh", "-c", script], bounds=Bounds(output_bytes=4096), timeout=30)
    assert _exits(int(pidfile.read_text()))


def test_a_bounded_run_within_its_caps_returns_output_and_exit_code() -> None:
    out = run(["sh", "-c", "echo out; echo err >&2; exit 4"], bounds=Bounds(output_bytes=4))
    assert (out.returncode, out.stdout, out.stderr) == (4, "out\n", "err\n")


def test_the_memory_cap_is_the_childs_data_limit_and_its_childrens() -> None:
    # the shell's later child reads the limit prlimit(2) set on the shell
    script = "sleep 0.5; grep 'Max data size' /proc/self/limits"
    out = run(["sh", "-c", script], bounds=Bounds(memory_bytes=300 << 20))
    assert out.stdout.split()[3:5] == [str(300 << 20), str(300 << 20)]


def test_a_bounded_run_times_out_like_any_run() -> None:
    with pytest.raises(ToolFailed, match=r"^sleep timed out after 0\.2s$"):
        run(["sleep", "30"], bounds=Bounds(output_bytes=10), timeout=0.2)
