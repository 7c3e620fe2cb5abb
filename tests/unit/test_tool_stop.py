"""A failed run stops the tools' processes its worker threads wait on (`Processes`)."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from kuberay_gitops.exitcodes import ToolFailed
from kuberay_gitops.manifests import K8sObject, ref_of
from kuberay_gitops.tools import checkov, kubeconform
from kuberay_gitops.tools.runner import Processes, start

SLOW = ["sh", "-c", "sleep 30", "sh"]  # a tool that would take far longer than the test


def _stopped_promptly(call: Callable[[], object], processes: Processes) -> BaseException | None:
    with ThreadPoolExecutor(max_workers=1) as pool:
        running = pool.submit(call)
        time.sleep(0.5)  # the tool is started and waited on
        began = time.monotonic()
        processes.kill_all()
        error = running.exception(timeout=10)
    assert time.monotonic() - began < 10
    return error


def test_kubeconform_is_stopped_from_another_thread(tmp_path: Path) -> None:
    processes = Processes()
    error = _stopped_promptly(
        lambda: kubeconform._run(SLOW, ["{}"], 60, tmp_path, processes), processes
    )
    assert isinstance(error, ToolFailed)
    assert "kubeconform exited -9" in str(error)


def test_the_checkov_driver_is_stopped_from_another_thread() -> None:
    processes = Processes()
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}
    objects = {"t": [K8sObject(ref_of(body), body, "t", 0)]}
    driver = start(SLOW)
    error = _stopped_promptly(
        lambda: checkov.scan_cached(objects, [], 60, None, driver, processes), processes
    )
    assert isinstance(error, ToolFailed)
    assert "checkov exited -9" in str(error)


@pytest.mark.parametrize("stopped_first", [True, False], ids=["stopped-first", "running"])
def test_a_stopped_run_leaves_no_driver_behind(stopped_first: bool) -> None:
    processes = Processes()
    if stopped_first:
        processes.kill_all()
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}
    driver = start(SLOW)
    if not stopped_first:
        processes.add(driver)
        processes.kill_all()
    with pytest.raises(ToolFailed):
        checkov.scan_cached(
            {"t": [K8sObject(ref_of(body), body, "t", 0)]}, [], 60, None, driver, processes
        )
    assert driver.proc.returncode is not None
