"""The kustomization graph: one parse per run, nothing kept between runs, kustomize's reading."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kuberay_gitops import kgraph
from kuberay_gitops.discover import RenderTarget, discover
from kuberay_gitops.filememo import RunCache
from tests.conftest import KUSTOMIZATION, WriteTree

BASE = KUSTOMIZATION.format(resources="  - svc.yaml")
OVERLAY = KUSTOMIZATION.format(resources="  - ../../base")


def test_a_shared_base_is_parsed_once_per_run(
    write_tree: WriteTree, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_tree(
        {
            "base/kustomization.yaml": BASE,
            "base/svc.yaml": "kind: Service\n",
            "overlays/dev/kustomization.yaml": OVERLAY,
            "overlays/prod/kustomization.yaml": OVERLAY,
        }
    )
    parsed: list[str] = []
    real_parse = kgraph._parse_strict

    def counting(kfile: Path) -> dict[str, object] | Exception:
        parsed.append(kfile.relative_to(root).as_posix())
        return real_parse(kfile)

    monkeypatch.setattr(kgraph, "_parse_strict", counting)
    cache = RunCache()
    for env in ("dev", "prod"):
        assert "base/svc.yaml" in kgraph.dependencies(root, f"overlays/{env}", cache)
    assert sorted(parsed) == [
        "base/kustomization.yaml",
        "overlays/dev/kustomization.yaml",
        "overlays/prod/kustomization.yaml",
    ]


def test_a_new_run_sees_a_symlink_pointed_elsewhere(write_tree: WriteTree) -> None:
    # A symlink resolution is keyed by path alone: it may live for one run only.
    root = write_tree(
        {
            "overlays/dev/kustomization.yaml": KUSTOMIZATION.format(resources="  - link.yaml"),
            "lib/a.yaml": "kind: A\n",
            "lib/b.yaml": "kind: B\n",
        }
    )
    link = root / "overlays/dev/link.yaml"
    os.symlink("../../lib/a.yaml", link)
    assert "lib/a.yaml" in kgraph.dependencies(root, "overlays/dev", RunCache())
    link.unlink()
    os.symlink("../../lib/b.yaml", link)
    deps = kgraph.dependencies(root, "overlays/dev", RunCache())
    assert "lib/b.yaml" in deps
    assert "lib/a.yaml" not in deps


def test_a_component_is_no_render_target_however_kind_is_spelled(write_tree: WriteTree) -> None:
    # kustomize decodes field names case-insensitively; so does discovery.
    root = write_tree(
        {
            "overlays/dev/kustomization.yaml": OVERLAY,
            "overlays/gpu/kustomization.yaml": "apiVersion: v1alpha1\nKind: Component\n",
        }
    )
    assert discover(root, ["overlays/*"], RunCache()) == [RenderTarget("overlays/dev")]


@pytest.mark.parametrize(
    ("value", "remote"),
    [
        ("https://github.com/ray-project/kuberay//config?ref=v1.7.0", True),
        ("git::https://example.com/org/repo", True),
        ("git@github.com:org/repo", True),
        ("github.com/org/repo//path", True),
        ("gitlab.com/org/repo", False),
        ("../base", False),
    ],
    ids=["https", "git-prefix", "scp", "github-short", "other-host-short", "local"],
)
def test_remote_detection_is_kustomizes(value: str, remote: bool) -> None:
    # A host other than github.com without a scheme or user is a local path to kustomize.
    assert kgraph.looks_remote(value) is remote


def test_a_cycle_leaves_no_partial_closure_for_a_later_target(write_tree: WriteTree) -> None:
    root = write_tree(
        {
            "a/kustomization.yaml": KUSTOMIZATION.format(resources="  - ../b\n  - a.yaml"),
            "a/a.yaml": "kind: Service\n",
            "b/kustomization.yaml": KUSTOMIZATION.format(resources="  - ../a\n  - b.yaml"),
            "b/b.yaml": "kind: Service\n",
        }
    )
    cache = RunCache()
    whole = {"a/kustomization.yaml", "a/a.yaml", "b/kustomization.yaml", "b/b.yaml"}
    assert whole <= kgraph.dependencies(root, "a", cache)
    # b's walk inside a's met a on its way: b's files then lacked a's, and were not kept.
    assert kgraph.dependencies(root, "b", cache) == kgraph.dependencies(root, "b", RunCache())
    assert whole <= kgraph.dependencies(root, "b", cache)


def test_a_closure_kept_for_one_target_serves_another(write_tree: WriteTree) -> None:
    root = write_tree(
        {
            "base/kustomization.yaml": BASE,
            "base/svc.yaml": "kind: Service\n",
            "comp/kustomization.yaml": KUSTOMIZATION.format(resources="  - ../base"),
            "overlays/dev/kustomization.yaml": KUSTOMIZATION.format(
                resources="  - ../../base\n  - ../../comp"
            ),
            "overlays/prod/kustomization.yaml": OVERLAY,
        }
    )
    cache = RunCache()
    dev = kgraph.dependencies(root, "overlays/dev", cache)
    assert {"base/svc.yaml", "comp/kustomization.yaml"} <= dev  # base reached twice, once kept
    assert cache.closures.peek((str(root.resolve()), "base")) == frozenset(
        {"base/kustomization.yaml", "base/svc.yaml", *_other_names("base")}
    )
    prod = kgraph.dependencies(root, "overlays/prod", cache)
    assert prod == kgraph.dependencies(root, "overlays/prod", RunCache())
    assert "comp/kustomization.yaml" not in prod


def _other_names(directory: str) -> set[str]:
    """The other kustomization file names a directory's walk lists (adding one breaks it)."""
    return {f"{directory}/{n}" for n in kgraph.KUSTOMIZATION_FILES if n != "kustomization.yaml"}
