"""The repository's YAML files as every stage lists them: set-up output and links left out."""

from __future__ import annotations

from pathlib import Path

from kuberay_gitops.tools.yamllint import yaml_files


def _touch(root: Path, *rels: str) -> None:
    for rel in rels:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("a: 1\n")


def _listed(root: Path) -> list[str]:
    return [p.relative_to(root).as_posix() for p in yaml_files(root)]


def test_yaml_and_yml_files_are_listed_sorted_and_others_are_not(tmp_path: Path) -> None:
    _touch(tmp_path, "b/x.yml", "a/z.yaml", "a/notes.md", ".yamllint", "a/y.yaml.txt")
    assert _listed(tmp_path) == [".yamllint", "a/z.yaml", "b/x.yml"]


def test_set_up_output_at_the_root_is_skipped_but_not_deeper(tmp_path: Path) -> None:
    _touch(tmp_path, ".venv/x.yaml", ".tools/y.yaml", "build/z.yaml", "apps/build/kept.yaml")
    assert _listed(tmp_path) == ["apps/build/kept.yaml"]


def test_a_nested_git_directory_is_skipped(tmp_path: Path) -> None:
    _touch(tmp_path, "vendor/.git/config.yaml", "vendor/kept.yaml")
    assert _listed(tmp_path) == ["vendor/kept.yaml"]


def test_a_symlinked_directory_is_not_descended(tmp_path: Path) -> None:
    _touch(tmp_path, "outside/x.yaml")
    repo = tmp_path / "repo"
    _touch(repo, "a.yaml")
    (repo / "linked").symlink_to(tmp_path / "outside", target_is_directory=True)
    assert _listed(repo) == ["a.yaml"]


def test_a_symlink_loop_is_listed_as_a_file_and_stops_nothing(tmp_path: Path) -> None:
    # The input limits report the loop later (input-unsafe); listing must not raise ELOOP.
    _touch(tmp_path, "a.yaml")
    (tmp_path / "loop.yaml").symlink_to(tmp_path / "loop.yaml")
    (tmp_path / "other").symlink_to(tmp_path / "other")
    (tmp_path / "through-a-file").symlink_to(tmp_path / "a.yaml" / "x")
    assert _listed(tmp_path) == ["a.yaml", "loop.yaml"]
