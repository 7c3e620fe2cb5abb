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
