"""Meta-tests: every check is documented, named after its module and tested."""

from __future__ import annotations

import re
from dataclasses import MISSING, fields
from pathlib import Path

from kuberay_gitops import checks as registry
from kuberay_gitops.checks._api import CheckSpec
from kuberay_gitops.cli import checks_markdown
from kuberay_gitops.findings import Profile

REPO = Path(__file__).resolve().parents[2]
ID_RE = re.compile(r"^[a-z][a-z0-9-]{3,40}$")


def test_check_ids_match_the_pattern_and_are_unique() -> None:
    ids = [registry.spec(m).id for m in registry._MODULES]
    assert len(ids) == len(set(ids))
    assert [i for i in ids if not ID_RE.match(i)] == []


def test_module_name_is_the_id_with_underscores() -> None:
    for cid, module in registry.REGISTRY.items():
        assert module.__name__.rsplit(".", 1)[1] == cid.replace("-", "_")


def test_every_check_has_docstring_summary_and_hint() -> None:
    for cid, module in registry.REGISTRY.items():
        spec = registry.spec(module)
        assert (module.__doc__ or "").strip(), cid
        assert spec.summary.strip(), cid
        assert spec.hint.strip(), cid


def test_every_check_has_a_test_module() -> None:
    for cid in registry.REGISTRY:
        path = REPO / "tests" / "unit" / "checks" / f"test_{cid.replace('-', '_')}.py"
        assert path.is_file(), f"{cid}: missing {path.relative_to(REPO)}"


def test_docs_checks_md_is_generated_from_the_registry() -> None:
    assert (REPO / "docs" / "checks.md").read_text() == checks_markdown(), (
        "docs/checks.md is stale: run `make docs`"
    )


def test_every_check_declares_its_profile_and_none_is_defaulted() -> None:
    # No default: a new check cannot forget to say whether it is correctness or policy.
    profile = next(f for f in fields(CheckSpec) if f.name == "profile")
    assert (profile.default, profile.default_factory) == (MISSING, MISSING)
    undeclared = [
        cid
        for cid, module in registry.REGISTRY.items()
        if not isinstance(registry.spec(module).profile, Profile)
    ]
    assert undeclared == []
