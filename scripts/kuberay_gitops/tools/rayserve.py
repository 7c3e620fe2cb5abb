"""Start Ray Serve on a running Ray head, as a cluster that serves would, then exit.

Run by the Ray venv's interpreter: `python rayserve.py ADDRESS HOST PORT`. Serve's
controller and proxy are detached actors, so they keep listening after this driver exits.
A one-replica no-op application is deployed (no CPU) so the proxy's route table is
populated and `/-/healthz` answers "success", as it does once a RayService's applications
run; the repository's own application code is not run. The proxy runs on the head only:
every Ray node of the audit shares one network namespace, so a second proxy on the same
port could not bind.
"""

from __future__ import annotations

import sys


def main(argv: list[str]) -> int:
    """Connect, start Serve with the cluster's http_options, deploy the no-op app."""
    import ray  # type: ignore[import-untyped,import-not-found,unused-ignore]  # noqa: PLC0415
    from ray import serve  # type: ignore[import-untyped,import-not-found,unused-ignore]  # noqa: PLC0415

    address, host, port = argv[0], argv[1], int(argv[2])
    ray.init(address=address, logging_level="ERROR", log_to_driver=False)
    serve.start(http_options={"host": host, "port": port, "location": "HeadOnly"})

    # On the head (its node resource), so what listens where is the same on every run.
    head = {f"node:{address.rsplit(':', 1)[0]}": 0.001}

    @serve.deployment(ray_actor_options={"num_cpus": 0, "resources": head})  # type: ignore[misc,unused-ignore]
    class Ok:
        def __call__(self, _request: object) -> str:
            return "ok"

    app = Ok.bind()  # type: ignore[attr-defined,unused-ignore]
    serve.run(app, name="kuberay-gitops-audit", route_prefix="/kuberay-gitops-audit")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
