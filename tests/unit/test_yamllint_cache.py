"""yamllint's verdict on a file is kept by text, path and the rules that apply: only changes run."""

from __future__ import annotations

from pathlib import Path

import pytest
from yamllint import linter
from yamllint.config import YamlLintConfig

from kuberay_gitops.tools import yamllint

TOO_LONG = "key: " + "x" * 90 + "\n"  # 95 columns
CONFIG_80 = "extends: default\nrules:\n  line-length: {max: 80}\n  document-start: disable\n"
CONFIG_120 = CONFIG_80.replace("max: 80", "max: 120")
Row = tuple[str, int | None, int | None, str, str]


def _rows(conf: YamlLintConfig, rel: str, text: str, cache: Path | None) -> list[Row]:
    return [
        (f.location.file, f.location.line, f.location.column, f.check_id, f.message)
        for f in yamllint.lint_texts(conf, [(rel, text)], cache)
    ]


def _no_yamllint(*args: object) -> object:
    raise AssertionError("yamllint ran on a file whose verdict is cached")


def test_a_file_seen_before_is_not_linted_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _rows(YamlLintConfig(CONFIG_80), "a.yaml", TOO_LONG, tmp_path)
    assert first == [("a.yaml", 1, 81, "line-length", "line too long (95 > 80 characters)")]
    monkeypatch.setattr(linter, "run", _no_yamllint)
    assert _rows(YamlLintConfig(CONFIG_80), "a.yaml", TOO_LONG, tmp_path) == first


def test_a_changed_text_is_linted_again(tmp_path: Path) -> None:
    _rows(YamlLintConfig(CONFIG_80), "a.yaml", TOO_LONG, tmp_path)
    assert _rows(YamlLintConfig(CONFIG_80), "a.yaml", "key: short\n", tmp_path) == []


def test_another_rule_setting_is_another_verdict(tmp_path: Path) -> None:
    _rows(YamlLintConfig(CONFIG_80), "a.yaml", TOO_LONG, tmp_path)
    assert _rows(YamlLintConfig(CONFIG_120), "a.yaml", TOO_LONG, tmp_path) == []


def test_a_change_to_an_extended_config_file_is_another_verdict(tmp_path: Path) -> None:
    base = tmp_path / "base.yaml"
    base.write_text(CONFIG_80)
    cache = tmp_path / "cache"
    assert _rows(YamlLintConfig(f"extends: {base}\n"), "a.yaml", TOO_LONG, cache) != []
    base.write_text(CONFIG_120)
    assert _rows(YamlLintConfig(f"extends: {base}\n"), "a.yaml", TOO_LONG, cache) == []


def test_the_same_text_at_a_path_a_rule_ignores_is_another_verdict(tmp_path: Path) -> None:
    per_path = YamlLintConfig(CONFIG_80.replace("{max: 80}", "{max: 80, ignore: [b.yaml]}"))
    _rows(per_path, "a.yaml", TOO_LONG, tmp_path)
    assert _rows(per_path, "b.yaml", TOO_LONG, tmp_path) == []


def test_an_unreadable_entry_is_linted_again_never_a_pass(tmp_path: Path) -> None:
    first = _rows(YamlLintConfig(CONFIG_80), "a.yaml", TOO_LONG, tmp_path)
    (entry,) = (tmp_path / yamllint.CACHE_DIR).rglob("*.json")
    entry.write_text('[["1", 81, "line-length"')  # truncated
    assert _rows(YamlLintConfig(CONFIG_80), "a.yaml", TOO_LONG, tmp_path) == first
    entry.write_text('[["1", 81, "line-length", "error", "d"]]')  # not what is written
    assert _rows(YamlLintConfig(CONFIG_80), "a.yaml", TOO_LONG, tmp_path) == first


def test_without_a_cache_directory_nothing_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert _rows(YamlLintConfig(CONFIG_80), "a.yaml", TOO_LONG, None) != []
    assert list(tmp_path.iterdir()) == []
