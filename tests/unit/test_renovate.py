"""renovate.json keeps every pin current only if its patterns still match the files.

Each custom manager's file patterns must select existing files and each of its match
strings must find the pin it is for; a pattern that silently stops matching would leave a
pin stale forever.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO_ROOT

CONFIG: dict[str, Any] = json.loads((REPO_ROOT / "renovate.json").read_text())
MANAGERS = CONFIG["customManagers"]


def _python(js: str) -> re.Pattern[str]:
    """Renovate's JavaScript regex in Python: `(?<name>` named groups."""
    return re.compile(js.replace("(?<", "(?P<"))


def _repository_files() -> list[Path]:
    """Every file outside the hidden top-level directories (.git, .venv, .tools, caches)."""
    out: list[Path] = []
    for top in sorted(REPO_ROOT.iterdir()):
        if top.name.startswith("."):
            continue
        out.extend([top] if top.is_file() else sorted(p for p in top.rglob("*") if p.is_file()))
    return out


FILES = _repository_files()


def _files(patterns: list[str]) -> list[Path]:
    regexes = [_python(p.strip("/")) for p in patterns]
    return [p for p in FILES if any(r.search(p.relative_to(REPO_ROOT).as_posix()) for r in regexes)]


@pytest.mark.parametrize("manager", MANAGERS, ids=lambda m: m["description"][:40])
def test_every_match_string_finds_its_pin(manager: dict[str, Any]) -> None:
    files = _files(manager["managerFilePatterns"])
    assert files, manager["managerFilePatterns"]
    for match in manager["matchStrings"]:
        found = [m for f in files for m in _python(match).finditer(f.read_text())]
        assert found, match
        for m in found:
            assert re.fullmatch(r"v?\d+\.\d+\.\d+", m.group("currentValue")), m.group(0)


def test_the_go_tools_name_their_modules() -> None:
    manager = MANAGERS[0]
    text = (REPO_ROOT / "toolchain.env").read_text()
    names = {m.group("depName") for s in manager["matchStrings"] for m in _python(s).finditer(text)}
    assert names == {"sigs.k8s.io/kustomize/kustomize/v5", "github.com/yannh/kubeconform"}


def test_the_kubernetes_manager_sees_every_image_file() -> None:
    manifests = {"base", "components", "overlays", "apps"}
    with_images = {
        p
        for p in FILES
        if p.suffix == ".yaml"
        and p.relative_to(REPO_ROOT).parts[0] in manifests
        and "image: " in p.read_text()
    }
    assert with_images
    assert with_images <= set(_files(CONFIG["kubernetes"]["managerFilePatterns"]))
