"""The control-plane twin: etcd, kube-apiserver and the KubeRay operator on loopback.

Real binaries built from pinned sources (`make setup`), never a model of them. Each twin
is fresh: random free ports, data and certificates in a temporary directory that is
removed afterwards, every process in a process group of its own that is stopped on the
way out, also on a timeout or Ctrl-C. The API server runs with RBAC and the default
admission plugins (Pod Security admission among them), as a real cluster does.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import os
import re
import secrets
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from ecdsa import NIST256p, SigningKey  # type: ignore[import-untyped]

from kuberay_gitops.exitcodes import ToolFailed, ToolNotFound
from kuberay_gitops.tools.kubeapi import ApiError, KubeAPI
from kuberay_gitops.tools.runner import Service, spawn
from kuberay_gitops.tools.toolchain import SETUP_HINT

# The twin's binaries and how each is recognised: the Go build information names the
# module that fixes its version (a dependency for the wrappers in toolchain/). The pins
# themselves are toolchain.env's, passed by the caller.
ETCD = "etcd"
KUBE_APISERVER = "kube-apiserver"
KUBERAY_OPERATOR = "kuberay-operator"
ADMIN_USER = "kuberay-gitops-admin"
SERVICE_CIDR = "10.96.0.0/16"
READY_SECONDS = 60.0
# The operator flags the twin sets itself: free loopback ports, no leader election.
OPERATOR_OWN_FLAGS = frozenset(
    {"--metrics-addr", "--health-probe-bind-address", "--enable-leader-election"}
)
FREEZE_SECONDS = 10.0  # a clean stop before a store is kept
# A soft memory limit per API server: megabyte-sized CRDs make its heap grow fast, and two
# twins run side by side within the stage's memory budget.
GO_RUNTIME: Mapping[str, str] = MappingProxyType({"GOMEMLIMIT": "400MiB"})


@dataclass(frozen=True, slots=True)
class TwinBinaries:
    """Verified paths of the three binaries."""

    etcd: Path
    kube_apiserver: Path
    operator: Path


def _build_module(data: bytes, module: str) -> str | None:
    """The version of `module` recorded in a Go binary's build information (mod or dep)."""
    m = re.search(rb"\n(?:mod|dep)\t" + re.escape(module.encode()) + rb"\t([^\t\n]+)", data)
    return m.group(1).decode() if m else None


def _verify(path: Path, module: str, version: str | None) -> Path:
    """The binary is the pinned build: build info names the pin, the stamp its content hash.

    The stamp (written by `provision` at set-up) holds the source digest and the sha256
    of the binary it built; a binary replaced afterwards no longer matches.
    """
    hint = SETUP_HINT
    if not path.is_file():
        raise ToolNotFound(f"{path.name} not found at {path}; {hint}")
    data = path.read_bytes()
    found = _build_module(data, module)
    if found is None or (version is not None and found != version):
        want = f"{module} {version}" if version else module
        raise ToolNotFound(
            f"{path.name} at {path} is not built from {want} (found {found or 'nothing'}); {hint}"
        )
    stamp = path.with_name(path.name + ".stamp")
    try:
        recorded = stamp.read_text().split()
    except OSError:
        recorded = []
    if len(recorded) < 2 or hashlib.sha256(data).hexdigest() != recorded[1]:
        raise ToolNotFound(f"{path.name} at {path} does not match its set-up stamp; {hint}")
    return path


def recorded_hash(path: Path) -> str:
    """The binary's sha256 as recorded at set-up (verified by `locate` before any use)."""
    return path.with_name(path.name + ".stamp").read_text().split()[1]


def locate(
    bindir: Path, etcd_version: str, apiserver_version: str, operator_module: str
) -> TwinBinaries:
    """Verify the twin's binaries (exit 3 with the set-up instruction otherwise).

    The pins are toolchain.env's (`settings.toolchain`); the operator is pinned by module
    only, its version is the source tree's (`provision` checks that at set-up).
    """
    return TwinBinaries(
        etcd=_verify(bindir / ETCD, "go.etcd.io/etcd/server/v3", etcd_version),
        kube_apiserver=_verify(bindir / KUBE_APISERVER, "k8s.io/kubernetes", apiserver_version),
        operator=_verify(bindir / KUBERAY_OPERATOR, operator_module, None),
    )


def free_port() -> int:
    """A free TCP port on loopback (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _key_pair(directory: Path) -> tuple[Path, Path]:
    """A fresh ECDSA P-256 key pair for signing service-account tokens."""
    key = SigningKey.generate(curve=NIST256p)
    private, public = directory / "sa.key", directory / "sa.pub"
    private.write_bytes(key.to_pem())
    public.write_bytes(key.get_verifying_key().to_pem())
    private.chmod(0o600)
    return private, public


def _wait(what: str, service: Service, probe: object, deadline: float) -> None:
    """Poll `probe()` until it returns True; the service dying or the deadline is exit 3."""
    assert callable(probe)
    while True:
        if not service.alive():
            raise ToolFailed(f"{what} exited at start-up: {last_line(service.log_tail())}")
        with contextlib.suppress(OSError, http.client.HTTPException, ToolFailed, ApiError):
            if probe():
                return
        if time.monotonic() > deadline:
            raise ToolFailed(f"{what} not ready within {READY_SECONDS:g}s")
        time.sleep(0.2)


def last_line(text: str) -> str:
    """The last non-empty line of a log, shortened: what a one-line error can show."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    return lines[-1][:300] if lines else "no output"


@dataclass(slots=True)
class ControlPlane:
    """A running twin: its API client (as cluster admin), work directory and processes."""

    api: KubeAPI
    workdir: Path
    services: list[Service] = field(default_factory=list)

    def kubeconfig(self, token: str, name: str) -> Path:
        """A kubeconfig file that acts with `token` (for the operator)."""
        path = self.workdir / f"kubeconfig-{name}"
        ca = self.api.ca_file
        cluster = (
            f"    certificate-authority: {ca}\n" if ca else "    insecure-skip-tls-verify: true\n"
        )
        path.write_text(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: twin\n  cluster:\n"
            f"    server: https://127.0.0.1:{self.api.port}\n{cluster}"
            f"users:\n- name: {name}\n  user:\n    token: {token}\n"
            f"contexts:\n- name: twin\n  context:\n    cluster: twin\n    user: {name}\n"
            "current-context: twin\n"
        )
        path.chmod(0o600)
        return path

    def start_operator(
        self,
        binary: Path,
        args: Sequence[str],
        env: Mapping[str, str],
        token: str,
    ) -> Service:
        """Run the KubeRay operator against the twin with `token`'s identity.

        The caller's args come from the environment's operator Deployment; ports and
        leader election are overridden to run beside other twins on one machine.
        """
        kubeconfig = self.kubeconfig(token, "kuberay-operator")
        kept = [a for a in args if a.split("=", 1)[0] not in OPERATOR_OWN_FLAGS]
        argv = [
            str(binary),
            *kept,
            f"--metrics-addr=127.0.0.1:{free_port()}",
            f"--health-probe-bind-address=127.0.0.1:{free_port()}",
            "--enable-leader-election=false",
        ]
        service = spawn(
            KUBERAY_OPERATOR,
            argv,
            self.workdir / "kuberay-operator.log",
            # A minimal environment: nothing of the caller's (no proxies, no KUBECONFIG of
            # a real cluster, no GO* settings) reaches the operator.
            env={
                "PATH": os.defpath,
                "HOME": str(self.workdir),
                **env,
                "KUBECONFIG": str(kubeconfig),
            },
            inherit=False,
        )
        self.services.append(service)
        return service

    def freeze(self, dest: Path) -> None:
        """Stop the twin cleanly and keep its etcd store at `dest` (atomically).

        Another twin can start from a copy of it (`control_plane(etcd_data=...)`) with every
        object already stored, as this twin left them.
        """
        for service in reversed(self.services):
            service.stop(grace=FREEZE_SECONDS)
        self.services.clear()
        tmp = dest.with_name(f".{dest.name}.{os.getpid()}.{threading.get_ident()}")
        shutil.copytree(self.workdir / "etcd", tmp)
        try:
            tmp.rename(dest)
        except OSError:  # another run froze the same store first: keep theirs
            shutil.rmtree(tmp, ignore_errors=True)

    def stop(self) -> None:
        """Stop every process, newest first."""
        for service in reversed(self.services):
            service.stop(grace=0)  # throw-away state: nothing to shut down cleanly
        self.services.clear()


@contextlib.contextmanager
def control_plane(
    binaries: TwinBinaries, scratch: Path, etcd_data: Path | None = None
) -> Iterator[ControlPlane]:
    """A fresh etcd + kube-apiserver; always stopped and removed on the way out.

    `etcd_data`: a copy of a frozen twin's store to start from (`ControlPlane.freeze`).
    """
    scratch.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="twin-", dir=scratch))
    plane: ControlPlane | None = None
    services: list[Service] = []
    try:
        if etcd_data is not None:
            shutil.copytree(etcd_data, workdir / "etcd")
        deadline = time.monotonic() + READY_SECONDS
        client, peer = free_port(), free_port()
        etcd = spawn(
            ETCD,
            [
                str(binaries.etcd),
                "--name=twin",
                f"--data-dir={workdir / 'etcd'}",
                f"--listen-client-urls=http://127.0.0.1:{client}",
                f"--advertise-client-urls=http://127.0.0.1:{client}",
                f"--listen-peer-urls=http://127.0.0.1:{peer}",
                f"--initial-advertise-peer-urls=http://127.0.0.1:{peer}",
                f"--initial-cluster=twin=http://127.0.0.1:{peer}",
                "--unsafe-no-fsync",  # a throw-away store: durability costs only time
                "--log-level=warn",
            ],
            workdir / "etcd.log",
        )
        services.append(etcd)

        def etcd_ready() -> bool:
            conn = http.client.HTTPConnection("127.0.0.1", client, timeout=2)
            try:
                conn.request("GET", "/health")
                return conn.getresponse().status == 200
            finally:
                conn.close()

        _wait("etcd", etcd, etcd_ready, deadline)
        private, public = _key_pair(workdir)
        token = secrets.token_hex(24)
        tokens = workdir / "tokens.csv"
        tokens.write_text(f'{token},{ADMIN_USER},{ADMIN_USER},"system:masters"\n')
        tokens.chmod(0o600)
        port = free_port()
        certs = workdir / "certs"
        apiserver = spawn(
            KUBE_APISERVER,
            [
                str(binaries.kube_apiserver),
                f"--etcd-servers=http://127.0.0.1:{client}",
                f"--cert-dir={certs}",
                f"--secure-port={port}",
                "--bind-address=127.0.0.1",
                f"--service-cluster-ip-range={SERVICE_CIDR}",
                "--service-account-issuer=https://kubernetes.default.svc",
                f"--service-account-key-file={public}",
                f"--service-account-signing-key-file={private}",
                f"--token-auth-file={tokens}",
                "--authorization-mode=RBAC",
                "--profiling=false",
                "--v=0",
            ],
            workdir / "kube-apiserver.log",
            env=GO_RUNTIME,
        )
        services.append(apiserver)
        api = KubeAPI("127.0.0.1", port, token, None)

        def apiserver_ready() -> bool:
            api.request("GET", "/readyz")
            return True

        _wait("kube-apiserver", apiserver, apiserver_ready, deadline)
        serving = certs / "apiserver.crt"
        if serving.is_file():
            api.ca_file = serving
        api.discover()
        plane = ControlPlane(api, workdir, services)
        yield plane
    finally:
        if plane is not None:
            plane.stop()
        for service in reversed(services):
            service.stop(grace=0)  # throw-away state: nothing to shut down cleanly
        shutil.rmtree(workdir, ignore_errors=True)
