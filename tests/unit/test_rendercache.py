from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from kuberay_gitops import rendercache
from kuberay_gitops.discover import RenderTarget
from kuberay_gitops.filememo import RunCache
from kuberay_gitops.pipeline import Stages, validate
from kuberay_gitops.render import make_renderer, render_targets
from kuberay_gitops.settings import Settings, load
from kuberay_gitops.tools.toolchain import locate
from tests.conftest import KUSTOMIZATION, WriteTree, config_text

CM = (
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: n\ndata:\n  a: '{value}'\n"
)


def _tree(value: str = "1") -> dict[str, str]:
    return {
        "base/kustomization.yaml": KUSTOMIZATION.format(resources="  - configmap.yaml"),
        "base/configmap.yaml": CM.format(value=value),
        "t/kustomization.yaml": KUSTOMIZATION.format(resources="  - ../base"),
        "unrelated/notes.yaml": "a: 1\n",
    }


def _key(root: Path) -> str:
    return rendercache.key(root, RenderTarget("t"), "v5.8.1", {}, RunCache())


def test_key_changes_when_a_file_of_the_kustomize_graph_changes(write_tree: WriteTree) -> None:
    root = write_tree(_tree())
    before = _key(root)
    (root / "base/configmap.yaml").write_text(CM.format(value="2"))
    assert _key(root) != before


def test_key_ignores_files_outside_the_kustomize_graph(write_tree: WriteTree) -> None:
    root = write_tree(_tree())
    before = _key(root)
    (root / "unrelated/notes.yaml").write_text("a: 2\n")
    assert _key(root) == before


def test_a_cached_render_is_never_stale(
    write_tree: WriteTree, tmp_path_factory: pytest.TempPathFactory
) -> None:
    root = write_tree(_tree())
    own = tmp_path_factory.mktemp("own-cache")  # outside the tree: a cache inside is not read
    (root / "kuberay-gitops.yaml").write_text(
        config_text().replace("cache_dir:", f"cache_dir: {own}\n# was:")
    )
    stages = Stages(lint=False, schema=False, checks=False, checkov=False, cluster=False)
    settings = load(root, env={})
    first = validate(settings, (), stages)
    assert list((own / rendercache.DIR).glob("*.ref"))
    (root / "base/configmap.yaml").write_text(CM.format(value="2").replace("name: c", "name: d"))
    second = validate(settings, (), stages)
    assert [t.objects for t in first.targets] == [1]
    assert [t.objects for t in second.targets] == [1]
    docs = rendercache.load(own, _key_for(root, settings), {})
    assert docs is not None
    assert docs[0]["metadata"]["name"] == "d"


def _key_for(root: Path, settings: Settings) -> str:
    renderer = make_renderer(settings, locate(settings).kustomize)
    return rendercache.key(
        root, RenderTarget("t"), settings.toolchain.kustomize, renderer.env, RunCache()
    )


def test_targets_reading_the_same_bytes_from_the_same_places_share_a_key(
    write_tree: WriteTree,
) -> None:
    root = write_tree(
        {**_tree(), "u/kustomization.yaml": KUSTOMIZATION.format(resources="  - ../base")}
    )
    assert rendercache.key(root, RenderTarget("u"), "v5.8.1", {}, RunCache()) == _key(root)


def test_the_same_files_seen_from_another_depth_are_another_key(write_tree: WriteTree) -> None:
    root = write_tree(
        {
            **_tree(),
            "deep/u/kustomization.yaml": KUSTOMIZATION.format(resources="  - ../../base"),
        }
    )
    assert rendercache.key(root, RenderTarget("deep/u"), "v5.8.1", {}, RunCache()) != _key(root)


def test_identical_targets_are_built_once_and_each_gets_the_objects(
    write_tree: WriteTree,
) -> None:
    root = write_tree(
        {
            **_tree(),
            "u/kustomization.yaml": KUSTOMIZATION.format(resources="  - ../base"),
            "kuberay-gitops.yaml": config_text(targets=("t", "u")),
        }
    )
    settings = load(root, env={})
    renderer = make_renderer(settings, locate(settings).kustomize)
    messages: list[str] = []
    targets = [RenderTarget("t"), RenderTarget("u")]
    rendered = render_targets(settings, renderer, targets, False, messages.append)
    assert [m.split(" (")[0] for m in messages] == ["rendered 1/1 distinct builds"]
    assert [(r.target.path, [o.target for o in r.objects]) for r in rendered] == [
        ("t", ["t"]),
        ("u", ["u"]),
    ]


def _git(root: Path, *args: str) -> None:
    env = {"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1", "PATH": os.environ["PATH"]}
    subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    _git(root, "init", "-q")
    (root / ".gitignore").write_text("/.cache/\n")
    return root


def test_a_cache_outside_the_repository_is_trusted(checkout: Path, tmp_path: Path) -> None:
    assert rendercache.distrust(tmp_path / "elsewhere", checkout) is None


def test_an_ignored_untracked_cache_inside_a_checkout_is_trusted(checkout: Path) -> None:
    assert rendercache.distrust(checkout / ".cache" / "tests", checkout) is None


def test_a_cache_git_does_not_ignore_is_not_read(checkout: Path) -> None:
    assert rendercache.distrust(checkout / "cache", checkout) == (
        "cache_dir cache is inside the repository under check and git does not ignore it"
    )


def test_a_cache_with_a_committed_file_is_not_read_even_when_ignored(checkout: Path) -> None:
    entry = checkout / ".cache" / "render" / f"{'0' * 64}.ref"
    entry.parent.mkdir(parents=True)
    entry.write_text("forged")
    _git(checkout, "add", "-f", ".cache/render")
    assert rendercache.distrust(checkout / ".cache", checkout) == (
        "cache_dir .cache is inside the repository under check and git tracks files in it"
    )


def test_a_cache_inside_a_tree_that_is_no_checkout_is_not_read(tmp_path: Path) -> None:
    assert rendercache.distrust(tmp_path / ".cache", tmp_path) == (
        "cache_dir .cache is inside the repository under check, which is not in a git checkout"
    )


def test_pathspec_magic_in_the_cache_name_is_read_as_a_path(checkout: Path) -> None:
    """`:(top)g` must not let git look at `g/` (ignored) instead of the directory named so."""
    (checkout / ".gitignore").write_text("/g/\n")
    forged = checkout / ":(top)g" / "render"
    forged.mkdir(parents=True)
    (forged / "x.ref").write_text("forged")
    _git(checkout, "add", "--", ":(literal):(top)g/render/x.ref")
    assert rendercache.distrust(checkout / ":(top)g", checkout) == (
        "cache_dir :(top)g is inside the repository under check and git does not ignore it"
    )


def test_a_repository_inside_a_checkout_is_judged_by_that_checkout(checkout: Path) -> None:
    sub = checkout / "platform"
    sub.mkdir()
    (checkout / ".gitignore").write_text("/platform/.cache/\n")
    assert rendercache.distrust(sub / ".cache", sub) is None
