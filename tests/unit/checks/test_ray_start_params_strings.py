from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.builders import Body, head_group, issues, raycluster, to_yaml, worker_group
from tests.conftest import CheckRun

CHECK = "ray-start-params-strings"


def _cluster(port: Any, block: Any, num_cpus: Any) -> Body:
    return raycluster(
        head=head_group(params={"port": port, "block": block}),
        workers=[worker_group(params={"num-cpus": num_cpus})],
    )


def test_quoted_values_pass() -> None:
    assert issues(CHECK, _cluster("6380", "true", "4")) == []


def test_int_and_bool_values_are_reported_at_their_keys(
    run_check: Callable[..., CheckRun],
) -> None:
    result = run_check(CHECK, {"t/raycluster.yaml": to_yaml(_cluster(6380, True, 4))})
    head = ".spec.headGroupSpec.rayStartParams"
    assert result.rows() == [
        (CHECK, "rc", f"{head}.port", "t/raycluster.yaml", 9),
        (CHECK, "rc", f"{head}.block", "t/raycluster.yaml", 10),
        (CHECK, "rc", ".spec.workerGroupSpecs[0].rayStartParams.num-cpus", "t/raycluster.yaml", 21),
    ]


def _rows(params: dict[str, Any], worker: bool = False) -> list[tuple[str, str, str, str]]:
    if worker:
        cluster = raycluster(workers=[worker_group("gpu", params=params)])
    else:
        cluster = raycluster(head=head_group(params=params))
    return issues(CHECK, cluster)


HEAD = ".spec.headGroupSpec.rayStartParams"


def _head(key: str, what: str, text: str) -> tuple[str, str, str, str]:
    message = f'head group headgroup: rayStartParams {key} is {what}, expected the string "{text}"'
    return (CHECK, "RayCluster/rc", f"{HEAD}.{key}", message)


def test_each_type_is_named_in_the_message_with_the_quoted_fix() -> None:
    params = {
        "port": 6380,
        "block": True,
        "include-dashboard": False,
        "num-cpus": 0.5,
        "temp-dir": None,
        "resources": {"tpu": 1},
        "dashboard-host": "0.0.0.0",
    }
    assert _rows(params) == [
        _head("port", "an int 6380", "6380"),
        _head("block", "a bool true", "true"),
        _head("include-dashboard", "a bool false", "false"),
        _head("num-cpus", "a float 0.5", "0.5"),
        _head("temp-dir", "null null", "null"),
        _head("resources", "a structure {'tpu': 1}", "{'tpu': 1}"),
    ]


def test_a_worker_group_is_named_by_role_and_group() -> None:
    assert _rows({"num-gpus": 1}, worker=True) == [
        (
            CHECK,
            "RayCluster/rc",
            ".spec.workerGroupSpecs[0].rayStartParams.num-gpus",
            'worker group gpu: rayStartParams num-gpus is an int 1, expected the string "1"',
        )
    ]
