"""kubeconform's verdict on an object is kept by object, schemas and version: only changes run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kuberay_gitops import settings as settings_mod
from kuberay_gitops.manifests import K8sObject, ref_of
from kuberay_gitops.settings import Settings
from kuberay_gitops.tools import kubeconform, schemas, toolchain
from tests.conftest import WriteTree, target_tree


def _service(**spec: Any) -> K8sObject:
    body = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web", "namespace": "apps"},
        "spec": {"ports": [{"port": 80}], **spec},
    }
    return K8sObject(ref_of(body), body, "t", 0)


def _settings(write_tree: WriteTree) -> Settings:
    return settings_mod.load(write_tree(target_tree({"t/a.yaml": "kind: ConfigMap\n"})))


def _problems(settings: Settings, objects: list[K8sObject], cache: Path | None) -> set[Any]:
    binary = toolchain.locate(settings).kubeconform
    found = kubeconform.schema_problems(settings, binary, objects, cache)
    return {(p.kind, p.obj.ref.name, p.field, p.message) for p in found}


def _no_kubeconform(*args: object, **kwargs: object) -> object:
    raise AssertionError("kubeconform ran on objects whose verdicts are cached")


def test_an_object_seen_before_is_not_validated_again(
    write_tree: WriteTree, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, cache = _settings(write_tree), tmp_path / "verdicts"
    first = _problems(settings, [_service(portz=1), _service()], cache)
    assert {(k, n, f) for k, n, f, _ in first} == {("schema", "web", ("spec", "portz"))}
    monkeypatch.setattr(kubeconform, "run", _no_kubeconform)
    assert _problems(settings, [_service(portz=1), _service()], cache) == first


def test_a_changed_object_is_validated_again(write_tree: WriteTree, tmp_path: Path) -> None:
    settings, cache = _settings(write_tree), tmp_path / "verdicts"
    _problems(settings, [_service()], cache)
    changed = _problems(settings, [_service(portz=1)], cache)
    assert {(k, n, f) for k, n, f, _ in changed} == {("schema", "web", ("spec", "portz"))}


def test_a_missing_schema_is_an_error_asked_again_never_kept(
    write_tree: WriteTree, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, cache = _settings(write_tree), tmp_path / "verdicts"
    body = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}
    widget = K8sObject(ref_of(body), body, "t", 0)
    assert {k for k, *_ in _problems(settings, [widget], cache)} == {"missing-schema"}
    monkeypatch.setattr(kubeconform, "run", _no_kubeconform)
    with pytest.raises(AssertionError, match="kubeconform ran"):
        _problems(settings, [widget], cache)


def test_without_a_cache_directory_nothing_is_kept(write_tree: WriteTree, tmp_path: Path) -> None:
    settings = _settings(write_tree)
    before = {p for p in tmp_path.rglob("*") if kubeconform.CACHE_DIR in p.parts}
    assert _problems(settings, [_service(portz=1)], None) != set()
    assert {p for p in tmp_path.rglob("*") if kubeconform.CACHE_DIR in p.parts} == before


def test_a_scratch_path_with_dot_dot_still_matches_every_result(
    write_tree: WriteTree, tmp_path: Path
) -> None:
    settings = _settings(write_tree)
    binary = toolchain.locate(settings).kubeconform
    roots = schemas.ensure_builtin(
        settings.cache_path / "schemas", settings.kubernetes_version, ["service-v1.json"]
    )
    (tmp_path / "elsewhere").mkdir()
    scratch = tmp_path / "elsewhere" / ".." / "scratch"  # kubeconform reports it cleaned
    found = kubeconform.validate(
        binary, [_service(portz=1)], roots, roots, settings.kubernetes_version, [], 1, 60, scratch
    )
    assert [(p.kind, p.field) for p in found] == [("schema", ("spec", "portz"))]
