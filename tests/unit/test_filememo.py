from __future__ import annotations

import os
from pathlib import Path

import pytest

from kuberay_gitops.filememo import FileMemo, RunCache


def test_a_file_is_parsed_once_per_version(tmp_path: Path) -> None:
    path = tmp_path / "k.yaml"
    path.write_text("a")
    calls: list[str] = []

    def parse(p: Path) -> str:
        calls.append(p.read_text())
        return p.read_text()

    memo: FileMemo[str] = FileMemo()
    assert [memo.get(path, parse), memo.get(path, parse)] == ["a", "a"]
    path.write_text("bb")
    assert memo.get(path, parse) == "bb"
    assert calls == ["a", "bb"]


def test_an_edit_of_the_same_size_is_a_new_version(tmp_path: Path) -> None:
    path = tmp_path / "k.yaml"
    path.write_text("a")
    memo: FileMemo[str] = FileMemo()
    memo.get(path, Path.read_text)
    path.write_text("b")
    os.utime(path, ns=(1, 1))
    assert memo.get(path, Path.read_text) == "b"


def test_a_parse_error_propagates_and_is_not_kept(tmp_path: Path) -> None:
    path = tmp_path / "k.yaml"
    path.write_text("a")
    memo: FileMemo[str] = FileMemo()

    def broken(_: Path) -> str:
        raise ValueError("bad")

    with pytest.raises(ValueError, match="bad"):
        memo.get(path, broken)
    assert memo.get(path, Path.read_text) == "a"


def test_paths_resolve_through_symlinks_to_repository_relative_places(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / "a").mkdir(parents=True)
    (root / "b").symlink_to("a")
    (root / "out").symlink_to(tmp_path)
    (root / "loop1").symlink_to("loop2")
    (root / "loop2").symlink_to("loop1")
    cache, top = RunCache(), root.resolve()
    assert [cache.real(top, p) for p in ("a", "b", "b/x", "out", "loop1", ".")] == [
        None,  # where it is
        "a",
        "a/x",
        None,  # outside
        None,  # nowhere
        None,
    ]
    assert [cache.inside(top, p) for p in ("a", "b/x", "missing", "out", "loop1")] == [
        True,
        True,
        True,  # a file that may appear there
        False,
        False,
    ]


def test_a_way_out_of_the_repository_that_leads_back_in_is_inside(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / "base").mkdir(parents=True)
    (root / "out").symlink_to("/")
    back = f"out{root.resolve()}/base"  # out/ + the repository's absolute path
    cache, top = RunCache(), root.resolve()
    assert (cache.real(top, back), cache.inside(top, back)) == ("base", True)
    assert cache.inside(top, "out/etc") is False
