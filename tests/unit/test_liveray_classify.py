"""liveray.classify on observed sockets: a process's title is not trusted to be set yet.

These rows are the shape `psutil` gives the audit (name, cmdline, port); the race they pin
was seen in CI: a Serve replica observed before it named itself.
"""

from __future__ import annotations

from typing import Any

from kuberay_gitops import liveray

RAYLET = {
    "name": "raylet",
    "cmdline": ["raylet", "--min_worker_port=8310", "--max_worker_port=8600"],
    "port": 8301,
}
HEAD = liveray.NodePlan(
    "head",
    "2.55.1",
    (("node-manager-port", "8301"), ("min-worker-port", "8310"), ("max-worker-port", "8600")),
    (),
)


def _replica(title: str) -> dict[str, Any]:
    return {"name": title, "cmdline": [title], "port": 41234}


def test_an_untitled_worker_outside_the_range_where_serve_runs_is_the_replica() -> None:
    serve = liveray.ServePlan("0.0.0.0", 8001)
    for title in ("ray::ServeReplica:app", "python3", "ray::IDLE"):
        found = liveray.classify([RAYLET, _replica(title)], HEAD, 0, serve)
        replica = [li for li in found if li.process == "serve-replica"]
        assert [li.key for li in replica] == [liveray.REPLICA_GRPC], title


def test_without_serve_a_worker_on_a_random_port_stays_a_finding() -> None:
    found = liveray.classify([RAYLET, _replica("python3")], HEAD, 0, None)
    assert [(li.process, li.key) for li in found if li.lo == 41234] == [("ray-worker", None)]
