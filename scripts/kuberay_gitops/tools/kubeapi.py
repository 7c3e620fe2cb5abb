"""A minimal client of the twin's kube-apiserver: discovery, apply, list, TokenRequest.

Only what the cluster stage needs, over HTTPS on loopback with a bearer token. The API
server is the judge: this module never validates anything itself, it carries the
server's answer (status code, reason, message and field causes) back as an ApiError.
"""

from __future__ import annotations

import http.client
import json
import ssl
import time
import urllib.parse
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kuberay_gitops.exitcodes import ToolFailed

RETRY_SECONDS = 15.0  # how long a not-ready answer is retried
# kubectl's annotation for client-side apply: its size is what refuses big CRDs.
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


@dataclass(frozen=True, slots=True)
class Cause:
    """One field-level cause of a refusal (`details.causes[]` of a Status)."""

    field: str
    message: str
    reason: str


class ApiError(Exception):
    """The API server refused a request: its status code, reason, message and causes."""

    def __init__(
        self, status: int, reason: str, message: str, causes: tuple[Cause, ...] = ()
    ) -> None:
        super().__init__(message or f"HTTP {status} {reason}")
        self.status = status
        self.reason = reason
        self.message = message
        self.causes = causes


@dataclass(frozen=True, slots=True)
class Resource:
    """How a kind is served: its plural and whether it is namespaced."""

    api_version: str
    kind: str
    plural: str
    namespaced: bool

    def path(self, namespace: str | None, name: str | None = None) -> str:
        """The REST path of the collection, or of one object when `name` is given."""
        group, _, version = self.api_version.rpartition("/")
        root = f"/apis/{group}/{version}" if group else f"/api/{version}"
        ns = f"/namespaces/{urllib.parse.quote(namespace)}" if self.namespaced and namespace else ""
        tail = f"/{urllib.parse.quote(name)}" if name else ""
        return f"{root}{ns}/{self.plural}{tail}"


@dataclass(slots=True)
class KubeAPI:
    """A connection-per-request client; `timeout` bounds every request."""

    host: str
    port: int
    token: str
    ca_file: Path | None
    timeout: float = 30.0
    _resources: dict[tuple[str, str], Resource] = field(default_factory=dict)

    def _context(self) -> ssl.SSLContext:
        if self.ca_file is not None:
            ctx = ssl.create_default_context(cafile=str(self.ca_file))
            ctx.check_hostname = False  # the self-signed serving cert names "localhost"
            return ctx
        return ssl._create_unverified_context()  # before the server wrote its certificate

    def request(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
        content_type: str = "application/json",
        query: Mapping[str, str] | None = None,
    ) -> Any:
        """One request; the decoded JSON answer, or ApiError for any status >= 300.

        An answer that only says the server is not ready yet (429, 503, a storage still
        initializing after a start from a frozen store) is retried for `RETRY_SECONDS`.
        """
        deadline = time.monotonic() + RETRY_SECONDS
        while True:
            try:
                return self._request(method, path, body, content_type, query)
            except ApiError as exc:
                if not _transient(exc) or time.monotonic() > deadline:
                    raise
            time.sleep(0.2)

    def _request(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None,
        content_type: str,
        query: Mapping[str, str] | None,
    ) -> Any:
        url = path + ("?" + urllib.parse.urlencode(query) if query else "")
        conn = http.client.HTTPSConnection(
            self.host, self.port, timeout=self.timeout, context=self._context()
        )
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = content_type
        try:
            conn.request(method, url, body=data, headers=headers)
            resp = conn.getresponse()
            raw = resp.read()
        except (OSError, http.client.HTTPException) as exc:
            raise ToolFailed(f"kube-apiserver: {method} {path}: {exc}") from exc
        finally:
            conn.close()
        try:
            decoded = json.loads(raw) if raw else {}
        except ValueError:
            decoded = {"message": raw.decode(errors="replace")}
        if resp.status >= 300:
            raise _error(resp.status, decoded)
        return decoded

    # ------------------------------------------------------------------ discovery

    def discover(self) -> None:
        """Read every served kind from the discovery endpoints (again)."""
        found: dict[tuple[str, str], Resource] = {}
        versions = ["v1"]
        for v in versions:
            self._read_group_version("", v, found)
        groups = self.request("GET", "/apis").get("groups", [])
        for g in groups:
            for v in g.get("versions", []):
                self._read_group_version(g["name"], v["version"], found)
        self._resources = found

    def _read_group_version(
        self, group: str, version: str, found: dict[tuple[str, str], Resource]
    ) -> None:
        api_version = f"{group}/{version}" if group else version
        path = f"/apis/{api_version}" if group else f"/api/{version}"
        try:
            listing = self.request("GET", path)
        except ApiError:
            return  # a group version still being registered: the next discover sees it
        for r in listing.get("resources", []):
            if "/" in r.get("name", ""):
                continue  # subresources
            found[(api_version, r["kind"])] = Resource(
                api_version, r["kind"], r["name"], bool(r.get("namespaced"))
            )

    def resource(self, api_version: str, kind: str) -> Resource | None:
        """How `kind` is served, or None when the server does not know it."""
        return self._resources.get((api_version, kind))

    # ------------------------------------------------------------------ objects

    def apply(
        self, res: Resource, body: Mapping[str, Any], *, server_side: bool, manager: str
    ) -> Any:
        """Apply one object as Argo CD would: server-side, or kubectl's client-side create.

        Client-side apply records the whole object in the last-applied annotation, which is
        what makes the API server refuse a CRD of more than 256 KiB of annotations.
        """
        meta = body.get("metadata") or {}
        ns = meta.get("namespace")
        name = meta.get("name")
        if not name and meta.get("generateName"):
            # No name to apply to: `kubectl create` is the only way such an object is made.
            return self.request("POST", res.path(ns), body, query={"fieldManager": manager})
        if server_side:
            return self.request(
                "PATCH",
                res.path(ns, name),
                body,
                "application/apply-patch+yaml",
                {"fieldManager": manager, "force": "true"},
            )
        annotated = json.loads(json.dumps(body))
        annotations = annotated.setdefault("metadata", {}).setdefault("annotations", {}) or {}
        annotated["metadata"]["annotations"] = annotations
        annotations[LAST_APPLIED] = json.dumps(body, sort_keys=True, separators=(",", ":"))
        try:
            return self.request("POST", res.path(ns), annotated, query={"fieldManager": manager})
        except ApiError as exc:
            if exc.status != 409:
                raise
        return self.request(
            "PATCH",
            res.path(ns, name),
            annotated,
            "application/merge-patch+json",
            {"fieldManager": manager},
        )

    def get(self, res: Resource, namespace: str | None, name: str) -> Any:
        """One object."""
        return self.request("GET", res.path(namespace, name))

    def list(self, res: Resource, namespace: str | None = None) -> list[Any]:
        """Every object of a kind (in one namespace, or in all)."""
        return list(self.request("GET", res.path(namespace)).get("items", []))

    def create(self, res: Resource, namespace: str | None, body: Mapping[str, Any]) -> Any:
        """Create one object."""
        return self.request("POST", res.path(namespace), body)

    def json_patch(self, path: str, operations: Sequence[Mapping[str, Any]]) -> Any:
        """An RFC 6902 patch of the object (or subresource) at `path`; a failed `test` is 422."""
        return self.request("PATCH", path, operations, "application/json-patch+json")

    def token_for(self, namespace: str, service_account: str, seconds: int = 3600) -> str:
        """A bound token of a ServiceAccount (TokenRequest), to act as that account."""
        answer = self.request(
            "POST",
            f"/api/v1/namespaces/{namespace}/serviceaccounts/{service_account}/token",
            {
                "apiVersion": "authentication.k8s.io/v1",
                "kind": "TokenRequest",
                "spec": {"expirationSeconds": seconds},
            },
        )
        return str(answer["status"]["token"])

    def items(self, kinds: Sequence[tuple[str, str]]) -> Iterator[Any]:
        """Every object of the served kinds among `kinds` ((apiVersion, kind) pairs)."""
        for api_version, kind in kinds:
            res = self.resource(api_version, kind)
            if res is not None:
                for item in self.list(res):
                    item.setdefault("apiVersion", api_version)
                    item.setdefault("kind", kind)
                    yield item


def _transient(error: ApiError) -> bool:
    """The server asked to come back later; nothing was decided about the request."""
    return error.status in (429, 503, 504) or (
        error.status == 500 and "initializing" in error.message
    )


def _error(status: int, decoded: Any) -> ApiError:
    if not isinstance(decoded, Mapping):
        return ApiError(status, "", str(decoded))
    details = decoded.get("details") or {}
    causes = tuple(
        Cause(str(c.get("field", "")), str(c.get("message", "")), str(c.get("reason", "")))
        for c in (details.get("causes") or [])
        if isinstance(c, Mapping)
    )
    return ApiError(status, str(decoded.get("reason", "")), str(decoded.get("message", "")), causes)
