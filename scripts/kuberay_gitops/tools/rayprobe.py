"""Print, as JSON, every TCP socket listening in the process trees of the given pids.

Run by the Ray venv's interpreter (it has psutil; the tool's venv does not need it):
`python rayprobe.py PID...`. Standalone on purpose: it imports nothing from kuberay_gitops.
One line of JSON: a list of {leader, pid, name, cmdline, ip, port}.
"""

from __future__ import annotations

import json
import sys
from typing import Any


def main(argv: list[str]) -> int:
    """Walk each leader's descendants, then match the machine's listening sockets to them."""
    import psutil  # type: ignore[import-untyped,import-not-found,unused-ignore]  # noqa: PLC0415

    owner: dict[int, int] = {}
    procs: dict[int, Any] = {}
    for raw in argv:
        leader = int(raw)
        try:
            root = psutil.Process(leader)
            tree = [root, *root.children(recursive=True)]
        except psutil.Error:
            continue
        for p in tree:
            owner.setdefault(p.pid, leader)
            procs[p.pid] = p
    out: list[dict[str, Any]] = []
    for conn in psutil.net_connections(kind="tcp"):
        if conn.status != psutil.CONN_LISTEN or conn.pid not in owner or not conn.laddr:
            continue
        p = procs[conn.pid]
        try:
            name, cmdline = p.name(), p.cmdline()
        except psutil.Error:
            continue
        out.append(
            {
                "leader": owner[conn.pid],
                "pid": conn.pid,
                "name": name,
                "cmdline": cmdline,
                "ip": conn.laddr.ip,
                "port": conn.laddr.port,
            }
        )
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
