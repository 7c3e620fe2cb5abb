"""Offline JSON schemas for kubeconform, generated once into a cache.

Built-in kinds come from the `kubernetes-validate` package's strict schemas for the
configured Kubernetes version; their `$ref`s point at a web `$id`, so each kind is
written self-contained (its definitions inlined under `$defs`). Custom resources come
from every CRD in the configured CRD directories and in the rendered output, converted
the way kubeconform's openapi2jsonschema does (objects with `properties` get
`additionalProperties: false`, except where `x-kubernetes-preserve-unknown-fields`).
"""

from __future__ import annotations

import ast
import copy
import hashlib
import importlib.util
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from kuberay_gitops import diskcache
from kuberay_gitops.exitcodes import ConfigError
from kuberay_gitops.manifests import SAFE_LOADER

BUILTIN_TEMPLATE = "builtin/{{ .ResourceKind }}{{ .KindSuffix }}.json"
CRD_TEMPLATE = "crd/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json"


def _package() -> Path:
    """The kubernetes-validate package's directory: found, never imported (80 ms of imports)."""
    spec = importlib.util.find_spec("kubernetes_validate")
    if spec is None or spec.origin is None:
        raise ConfigError("the kubernetes-validate package is not installed: run `make setup`")
    return Path(spec.origin).parent


def _package_version(package: Path) -> str:
    """`__version__` of the package's own `version.py`, read, not run.

    The same copy whose schema files are read, whatever other copy or stale metadata the
    path holds, so the cache key always names the schemas it holds.
    """
    path = package / "version.py"
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, SyntaxError) as exc:
        raise ConfigError(f"{path}: cannot read kubernetes-validate's version: {exc}") from exc
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "__version__" for t in node.targets)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            return node.value.value
    raise ConfigError(f"{path}: no `__version__ = '...'` (an unsupported kubernetes-validate)")


def _builtin_source(package: Path, k8s_version: str) -> Path:
    base = package / "kubernetes-json-schema"
    src = base / f"v{k8s_version}-local-strict"
    if not src.is_dir():
        have = sorted(p.name.split("-")[0] for p in base.glob("v*-local-strict"))
        raise ConfigError(
            f"kubernetes_version {k8s_version}: no bundled schemas (available: {', '.join(have)})"
        )
    return src


def _collect_refs(node: Any, out: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and "#/$defs/" in ref:
            out.add(ref.split("#/$defs/", 1)[1])
        for v in node.values():
            _collect_refs(v, out)
    elif isinstance(node, list):
        for v in node:
            _collect_refs(v, out)


def _rewrite_refs(node: Any) -> Any:
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str) and "#/$defs/" in v:
                out[k] = "#/$defs/" + v.split("#/$defs/", 1)[1]
            else:
                out[k] = _rewrite_refs(v)
        return out
    if isinstance(node, list):
        return [_rewrite_refs(v) for v in node]
    return node


# Fields the OpenAPI of a Kubernetes version lists as required though its API server
# never requires them, by definition: what the server accepts decides. StatefulSetSpec
# `serviceName` has no `omitempty` before 1.33, yet pkg/apis/apps/validation (v1.32.13)
# never checks it, and the 1.33 OpenAPI marks it optional.
NOT_REQUIRED: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "io.k8s.api.apps.v1.StatefulSetSpec": frozenset({"serviceName"}),
    }
)


def _errata(name: str, definition: Any) -> Any:
    """A built-in definition with the NOT_REQUIRED fields dropped from `required`."""
    drop = NOT_REQUIRED.get(name)
    if not drop or not isinstance(definition, dict) or "required" not in definition:
        return definition
    return {**definition, "required": [r for r in definition["required"] if r not in drop]}


def ensure_builtin(cache: Path, k8s_version: str, filenames: Iterable[str]) -> Path:
    """Self-contained built-in schemas for the given kubeconform file names (lazily)."""
    package = _package()
    # The suffix changes whenever what is written here does (NOT_REQUIRED).
    root = cache / f"k8s-v{k8s_version}-kv{_package_version(package)}-e1"
    out_dir = root / "builtin"
    wanted = [f for f in filenames if not (out_dir / f).exists()]
    if not wanted:
        return root
    src = _builtin_source(package, k8s_version)
    # A kind with no built-in schema (every custom resource) is asked for on every run:
    # kubeconform then looks in the CRD schemas. The package's definitions are read only
    # when a built-in kind's schema is missing (reading them, and importing the package,
    # for the custom resources was a tenth of a one-overlay `--changed-since` run).
    present = [f for f in wanted if (src / f).is_file()]
    if present:
        defs = json.loads((src / "_definitions.json").read_text())["$defs"]
        for name in present:
            schema = json.loads((src / name).read_text())
            schema.pop("$id", None)
            needed: set[str] = set()
            _collect_refs(schema, needed)
            todo = list(needed)
            while todo:
                d = todo.pop()
                more: set[str] = set()
                _collect_refs(defs.get(d, {}), more)
                for m in more - needed:
                    needed.add(m)
                    todo.append(m)
            schema = _rewrite_refs(schema)
            schema["$defs"] = {
                d: _rewrite_refs(_errata(d, defs[d])) for d in sorted(needed) if d in defs
            }
            diskcache.write_json(out_dir / name, schema)
    return root


def builtin_filename(kind: str, api_version: str) -> str:
    """Kubeconform's `{{ .ResourceKind }}{{ .KindSuffix }}.json` for a built-in object."""
    group, _, version = api_version.rpartition("/")
    suffix = f"-{group.split('.')[0]}-{version}" if group else f"-{version}"
    return f"{kind.lower()}{suffix}.json"


def _strictify(node: Any) -> Any:
    if isinstance(node, dict):
        out = {k: _strictify(v) for k, v in node.items()}
        props = out.get("properties")
        if isinstance(out.get("required"), list) and isinstance(props, dict):
            # The API server applies a CRD's defaults before it validates, so a required
            # field with a default is never missing (KubeRay's minReplicas/maxReplicas).
            required = [r for r in out["required"] if "default" not in props.get(r, {})]
            if required:
                out["required"] = required
            else:
                del out["required"]
        if (
            "properties" in out
            and "additionalProperties" not in out
            and not out.get("x-kubernetes-preserve-unknown-fields")
        ):
            out["additionalProperties"] = False
        if out.get("x-kubernetes-int-or-string") and "type" not in out:
            out.pop("anyOf", None)
            out["type"] = ["integer", "string"]
        return out
    if isinstance(node, list):
        return [_strictify(v) for v in node]
    return node


def crd_schemas(crd: Mapping[str, Any]) -> dict[str, Any]:
    """{relative file name: schema} for every served version of one CRD."""
    spec = crd.get("spec") or {}
    group = spec.get("group", "")
    kind = ((spec.get("names") or {}).get("kind") or "").lower()
    out: dict[str, Any] = {}
    for version in spec.get("versions") or []:
        schema = ((version.get("schema") or {}).get("openAPIV3Schema")) or None
        if not schema or not kind:
            continue
        strict = _strictify(copy.deepcopy(schema))
        strict.pop("additionalProperties", None)  # the root stays open, as openapi2jsonschema
        props = strict.setdefault("properties", {})
        meta = props.get("metadata")
        if isinstance(meta, dict) and meta.get("additionalProperties") is False:
            meta.pop("additionalProperties")
        out[f"crd/{group}/{kind}_{version.get('name')}.json"] = strict
    return out


DEPRECATED_FILE = "deprecated.json"


def deprecated_versions(crds: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """{"group/version Kind": warning} for CRD versions marked `deprecated: true`.

    Such a version is still served (so its schema validates) but is on its way out:
    KubeRay v1.7.0 says ray.io/v1alpha1 "will be unavailable in KubeRay 1.9".
    """
    out: dict[str, str] = {}
    for crd in crds:
        spec = crd.get("spec") or {}
        kind = (spec.get("names") or {}).get("kind") or ""
        for version in spec.get("versions") or []:
            if isinstance(version, dict) and version.get("deprecated") is True:
                api = f"{spec.get('group', '')}/{version.get('name')}"
                warning = version.get("deprecationWarning") or f"{api} {kind} is deprecated"
                out[f"{api} {kind}"] = " ".join(str(warning).split())
    return out


def load_deprecated(crd_root: Path) -> dict[str, str]:
    """The deprecated versions recorded by `ensure_crds`."""
    path = crd_root / DEPRECATED_FILE
    return dict(json.loads(path.read_text())) if path.is_file() else {}


def iter_crd_files(dirs: Iterable[Path]) -> list[Path]:
    """YAML files under the CRD directories (missing directory → config error)."""
    files: list[Path] = []
    for d in dirs:
        if not d.is_dir():
            raise ConfigError(
                f"crd_dirs: {d} is not a directory (is ../shared beside the repository? "
                "set shared_dir or KUBERAY_GITOPS_SHARED_DIR)"
            )
        files.extend(sorted(p for p in d.rglob("*.y*ml") if p.is_file()))
    return files


def ensure_crds(
    cache: Path, crd_files: Iterable[Path], rendered_crds: Iterable[Mapping[str, Any]]
) -> Path:
    """Schemas for all CRDs, cached by a hash of their content."""
    files = list(crd_files)
    # Every environment renders the same CRDs: convert each distinct one once.
    distinct: dict[str, Mapping[str, Any]] = {}
    hashed: set[int] = set()  # identical renders share their parsed CRDs: hash each once
    for crd in rendered_crds:
        if id(crd) in hashed:
            continue
        hashed.add(id(crd))
        digest = hashlib.sha256(json.dumps(crd, sort_keys=True, default=str).encode()).hexdigest()
        distinct.setdefault(digest, crd)
    rendered = [distinct[d] for d in sorted(distinct)]
    h = hashlib.sha256(b"layout-3\0")  # bump when what is written here changes
    for f in files:
        h.update(f.read_bytes())
    for digest in sorted(distinct):
        h.update(digest.encode())
    root = cache / f"crds-{h.hexdigest()[:16]}"
    done = root / ".complete"
    if done.exists():
        return root
    docs: list[Mapping[str, Any]] = []
    for f in files:
        for doc in yaml.load_all(f.read_text(), Loader=SAFE_LOADER):
            if isinstance(doc, dict) and doc.get("kind") == "CustomResourceDefinition":
                docs.append(doc)
    docs.extend(rendered)
    for doc in docs:
        for name, schema in crd_schemas(doc).items():
            diskcache.write_json(root / name, schema)
    diskcache.write_json(root / DEPRECATED_FILE, deprecated_versions(docs))
    root.mkdir(parents=True, exist_ok=True)
    done.write_text("")
    return root
