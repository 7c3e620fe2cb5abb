"""The built-in schema cache: written once per kind, and no work for kinds it cannot serve."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest

from kuberay_gitops.exitcodes import ConfigError
from kuberay_gitops.tools import schemas
from tests.conftest import fresh_python

K8S = "1.32.0"


def _source(tmp_path: Path, *, definitions: bool = True) -> Path:
    """A tiny stand-in for kubernetes-validate's strict schemas: one kind, one definition."""
    src = tmp_path / "source"
    src.mkdir()
    (src / "service-v1.json").write_text(
        json.dumps(
            {
                "$id": "https://example.invalid/service",
                "properties": {"spec": {"$ref": "_definitions.json#/$defs/ServiceSpec"}},
            }
        )
    )
    if definitions:
        (src / "_definitions.json").write_text(
            json.dumps({"$defs": {"ServiceSpec": {"type": "object"}, "Unused": {}}})
        )
    return src


def test_a_built_in_kind_is_written_self_contained(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = _source(tmp_path)
    monkeypatch.setattr(schemas, "_builtin_source", lambda _p, _v: src)
    root = schemas.ensure_builtin(tmp_path / "cache", K8S, ["service-v1.json"])
    written = json.loads((root / "builtin" / "service-v1.json").read_text())
    assert "$id" not in written
    assert written["properties"]["spec"] == {"$ref": "#/$defs/ServiceSpec"}
    assert set(written["$defs"]) == {"ServiceSpec"}


def test_a_kind_without_a_built_in_schema_reads_no_definitions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No _definitions.json: reading it for a custom resource would fail here.
    src = _source(tmp_path, definitions=False)
    monkeypatch.setattr(schemas, "_builtin_source", lambda _p, _v: src)
    root = schemas.ensure_builtin(tmp_path / "cache", K8S, ["raycluster-ray-v1.json"])
    assert not (root / "builtin" / "raycluster-ray-v1.json").exists()


def test_a_kind_already_written_is_not_looked_up_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = _source(tmp_path)
    monkeypatch.setattr(schemas, "_builtin_source", lambda _p, _v: src)
    schemas.ensure_builtin(tmp_path / "cache", K8S, ["service-v1.json"])

    def gone(_p: Path, _v: str) -> Path:
        raise AssertionError("the source was looked up for a kind already written")

    monkeypatch.setattr(schemas, "_builtin_source", gone)
    root = schemas.ensure_builtin(tmp_path / "cache", K8S, ["service-v1.json"])
    assert (root / "builtin" / "service-v1.json").is_file()


def test_the_real_source_is_found() -> None:
    src = schemas._builtin_source(schemas._package(), K8S)
    assert (src / "_definitions.json").is_file()
    assert (src / "service-v1.json").is_file()


def test_a_run_of_custom_resources_never_imports_the_package(tmp_path: Path) -> None:
    # A fresh interpreter: whether kubernetes_validate (80 ms of imports) was loaded.
    code = (
        "import sys; from pathlib import Path; from kuberay_gitops.tools import schemas; "
        f"schemas.ensure_builtin(Path({str(tmp_path)!r}), {K8S!r}, ['raycluster-ray-v1.json']); "
        "print('kubernetes_validate' in sys.modules)"
    )
    assert fresh_python(code) == "False"


def test_an_unbundled_kubernetes_version_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=re.escape("kubernetes_version 0.1.0: no bundled")):
        schemas._builtin_source(schemas._package(), "0.1.0")


def test_the_cache_is_keyed_by_the_installed_package_version(tmp_path: Path) -> None:
    import kubernetes_validate.version  # noqa: PLC0415 - the version the schemas come with

    root = schemas.ensure_builtin(tmp_path, K8S, [])
    assert root.name == f"k8s-v{K8S}-kv{kubernetes_validate.version.__version__}-e1"


def test_the_version_is_read_from_the_copy_whose_schemas_are_used(tmp_path: Path) -> None:
    (tmp_path / "version.py").write_text("# generated\n__version__ = '9.8.7'\n")
    assert schemas._package_version(tmp_path) == "9.8.7"


@pytest.mark.parametrize(
    "text",
    ["from ._v import __version__\n", "__version__ = get_version()\n", "__version__ = (\n"],
    ids=["imported", "computed", "not-python"],
)
def test_a_version_file_without_a_literal_version_is_a_config_error(
    tmp_path: Path, text: str
) -> None:
    (tmp_path / "version.py").write_text(text)
    with pytest.raises(ConfigError, match=re.escape(str(tmp_path / "version.py"))):
        schemas._package_version(tmp_path)


def test_a_missing_package_is_the_set_up_instruction(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", lambda _name: None)
    with pytest.raises(ConfigError, match=re.escape("run `make setup`")):
        schemas.ensure_builtin(Path("unused"), K8S, ["service-v1.json"])
