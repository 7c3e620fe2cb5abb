from __future__ import annotations

import os
from pathlib import Path

import pytest

from kuberay_gitops import inputs
from kuberay_gitops.filememo import RunCache

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n"


def _inspect(tmp_path: Path, content: str | bytes, name: str = "f.yaml") -> inputs.Inspected:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return inputs.inspect(tmp_path, path)


def _rows(result: inputs.Inspected) -> list[tuple[str, str, int | None]]:
    return [(f.check_id, f.location.file, f.location.line) for f in result.findings]


def test_a_plain_manifest_passes_and_keeps_its_text(tmp_path: Path) -> None:
    result = _inspect(tmp_path, CM)
    assert (_rows(result), result.text) == ([], CM)


def test_crlf_line_endings_reach_yamllint_unchanged(tmp_path: Path) -> None:
    assert _inspect(tmp_path, CM.replace("\n", "\r\n")).text == CM.replace("\n", "\r\n")


def test_bytes_that_are_not_utf8_are_reported_at_their_line(tmp_path: Path) -> None:
    result = _inspect(tmp_path, CM.encode() + b"data: \xff\n")
    assert _rows(result) == [("input-encoding[utf-8]", "f.yaml", 5)]
    assert result.text is None


def test_a_byte_order_mark_is_reported_and_stripped(tmp_path: Path) -> None:
    result = _inspect(tmp_path, "\ufeff" + CM)
    assert _rows(result) == [("input-encoding[bom]", "f.yaml", 1)]
    assert result.text == CM


def test_a_nul_byte_is_a_control_character_yaml_forbids(tmp_path: Path) -> None:
    result = _inspect(tmp_path, CM + "data:\n  k: a\x00b\n")
    assert _rows(result) == [("input-encoding[control]", "f.yaml", 6)]
    assert result.text is None


def test_a_file_over_the_size_limit_is_never_read(tmp_path: Path) -> None:
    result = _inspect(tmp_path, CM + "#" * inputs.MAX_BYTES)
    assert _rows(result) == [("input-unsafe[too-large]", "f.yaml", None)]
    assert result.text is None


def test_a_fifo_is_never_opened(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "f.yaml")
    result = inputs.inspect(tmp_path, tmp_path / "f.yaml")
    assert _rows(result) == [("input-unsafe[not-regular]", "f.yaml", None)]
    assert "FIFO" in result.findings[0].message


def test_a_symlink_loop_is_reported_as_unreadable(tmp_path: Path) -> None:
    (tmp_path / "f.yaml").symlink_to("f.yaml")
    result = inputs.inspect(tmp_path, tmp_path / "f.yaml")
    assert _rows(result) == [("input-unsafe[not-regular]", "f.yaml", None)]
    assert "symlink loop" in result.findings[0].message


def test_a_symlink_out_of_the_repository_is_not_read(tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text("\ufeffsecret: x\n")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "f.yaml").symlink_to(outside)
    assert inputs.inspect(repo, repo / "f.yaml") == inputs.Inspected("f.yaml", (), None)


def test_nesting_past_the_limit_is_refused(tmp_path: Path) -> None:
    deep = "a: " + "[" * (inputs.MAX_DEPTH + 1) + "]" * (inputs.MAX_DEPTH + 1) + "\n"
    result = _inspect(tmp_path, deep)
    assert _rows(result) == [("input-unsafe[too-deep]", "f.yaml", 1)]
    assert result.text is None


def test_nesting_past_libyamls_own_limit_is_refused_too(tmp_path: Path) -> None:
    result = _inspect(tmp_path, "a: " + "[" * 2000 + "]" * 2000 + "\n")
    assert _rows(result) == [("input-unsafe[too-deep]", "f.yaml", 1)]


def test_nesting_at_the_limit_passes(tmp_path: Path) -> None:
    depth = inputs.MAX_DEPTH - 1  # the root mapping is the first level
    assert _rows(_inspect(tmp_path, "a: " + "[" * depth + "]" * depth + "\n")) == []


def test_an_alias_bomb_is_refused_before_expansion(tmp_path: Path) -> None:
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]']
    lines += [
        f"{c}: &{c} [{','.join(['*' + p] * 10)}]" for p, c in zip("abcdef", "bcdefg", strict=True)
    ]
    result = _inspect(tmp_path, "\n".join(lines) + "\n")
    assert _rows(result) == [("input-unsafe[alias-bomb]", "f.yaml", 6)]  # 10**6 nodes


def test_ordinary_anchors_pass(tmp_path: Path) -> None:
    assert _rows(_inspect(tmp_path, "a: &x {b: 1, c: [1, 2]}\nd: *x\ne: *x\n")) == []


def test_an_empty_document_between_separators_is_reported(tmp_path: Path) -> None:
    result = _inspect(tmp_path, CM + "---\n---\n" + CM)
    assert _rows(result) == [("input-document[empty]", "f.yaml", 5)]


def test_leading_and_trailing_separators_are_fine(tmp_path: Path) -> None:
    assert _rows(_inspect(tmp_path, "---\n" + CM + "---\n")) == []


def test_a_python_tag_is_reported(tmp_path: Path) -> None:
    result = _inspect(tmp_path, CM + "data:\n  k: !!python/object:os.system ls\n")
    assert _rows(result) == [("input-document[tag]", "f.yaml", 6)]
    assert "python/object:os.system" in result.findings[0].message


def test_core_tags_pass(tmp_path: Path) -> None:
    assert _rows(_inspect(tmp_path, CM + "data:\n  k: !!str 1\n  b: !!binary aGk=\n")) == []


def test_a_kind_list_wrapper_is_reported(tmp_path: Path) -> None:
    result = _inspect(tmp_path, "apiVersion: v1\nkind: List\nitems: []\n")
    assert _rows(result) == [("input-document[list]", "f.yaml", 2)]


@pytest.mark.parametrize(
    "text",
    ["metadata:\n  kind: List\n", "items: [kind, List]\n", "kind: Listing\n"],
    ids=["nested", "in-a-sequence", "other-kind"],
)
def test_list_elsewhere_than_the_top_level_kind_passes(tmp_path: Path, text: str) -> None:
    assert _rows(_inspect(tmp_path, text)) == []


def test_refused_reports_only_what_would_harm_kustomize(tmp_path: Path) -> None:
    (tmp_path / "f.yaml").write_text("\ufeff" + CM + "---\n---\n" + CM)
    assert inputs.refused(tmp_path / "f.yaml", "f.yaml", RunCache()) == []


def test_a_key_twice_in_one_mapping_is_found_whatever_yamllint_is_told(tmp_path: Path) -> None:
    text = "# yamllint disable-file\n" + CM + "data:\n  cpu: 500m\n  cpu: '7'\n"
    assert _rows(_inspect(tmp_path, text)) == [("input-document[duplicate-key]", "f.yaml", 8)]


def test_equal_keys_in_different_mappings_are_fine(tmp_path: Path) -> None:
    text = CM + "data:\n  a:\n    name: x\n  b:\n    name: y\n---\n" + CM
    assert _rows(_inspect(tmp_path, text)) == []
