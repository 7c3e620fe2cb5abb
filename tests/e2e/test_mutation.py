"""The mutation self-test (`make mutation`): its catalogue stays applicable to the real
repository, a sample of it is caught by the expected check, and broken entries are
catalogue errors (exit 3), never silent skips. The full catalogue runs in `make mutation`."""

from __future__ import annotations

from pathlib import Path

import pytest

from kuberay_gitops_dev.mutation import (
    CATALOGUE,
    CatalogueError,
    Mutation,
    RunConfig,
    apply,
    catalogue_markdown,
    copy_repository,
    footer,
    main,
    run,
    run_mutation,
    verify,
)
from tests.conftest import REPO_ROOT, TEST_CACHE, TOOLS_DIR, require_setup, shared_dir

BY_ID = {m.id: m for m in CATALOGUE}
# One per stage: a project check on a patch, an Argo CD check, kubeconform.
SAMPLE = ("operator-service-target-port", "appset-path-typo", "raycluster-field-typo")


def _config() -> RunConfig:
    require_setup()
    return RunConfig(REPO_ROOT, shared_dir(), TOOLS_DIR, TEST_CACHE)


def test_every_catalogue_entry_applies_exactly_once_to_the_real_repository() -> None:
    assert verify(CATALOGUE, REPO_ROOT) == []
    assert len(CATALOGUE) >= 20


def test_catalogue_covers_every_defect_category_of_the_requirement() -> None:
    expected = {m.expected_check for m in CATALOGUE}
    categories = {
        "port": {"ports-ray-declared", "ports-service-target", "ports-head-service"},
        "selector label": {"selector-service-no-pods", "selector-operator-and-ray"},
        "NetworkPolicy rule": {"netpol-ray-ports", "netpol-dns-egress"},
        "ServiceMonitor endpoint": {"monitor-port-exists"},
        "replica bound": {"ray-replicas-range"},
        "image tag": {"pod-image-tag"},
        "securityContext field": {"pod-privilege-escalation", "pod-run-as-non-root"},
        "Argo CD path": {"argocd-source-path"},
        "Argo CD sync order": {"argocd-crd-sync"},
        "schema field": {"kubeconform/schema"},
        "secret": {"secret-env-literal", "secret-committed"},
    }
    assert {c: ids - expected for c, ids in categories.items() if ids - expected} == {}


def test_docs_list_the_current_catalogue() -> None:
    assert catalogue_markdown() in (REPO_ROOT / "docs/mutation.md").read_text()


@pytest.mark.parametrize("mutation_id", SAMPLE)
def test_sample_mutation_is_caught_by_its_check_at_the_edited_file(mutation_id: str) -> None:
    mutation = BY_ID[mutation_id]
    outcome = run_mutation(mutation, _config())
    assert outcome.detected, [str(f) for f in outcome.findings]
    assert outcome.located_at_edit, [str(f) for f in outcome.expected_findings]


def test_an_undetected_mutation_is_a_miss_and_the_clean_copy_has_no_finding() -> None:
    harmless = Mutation(
        "comment-edit",
        "a comment reworded: nothing to detect",
        "base/raycluster/raycluster.yaml",
        "# Environment-neutral RayCluster.",
        "# Environment neutral RayCluster.",
        "pod-image-tag",
        ("overlays/dev/raycluster",),
    )
    summary = run([harmless], _config())
    assert summary.clean.findings == ()
    assert (summary.detected, summary.passed) == (0, False)
    assert "detected 0/1 (0 %)" in footer(summary)
    assert "MISS comment-edit: a comment reworded: nothing to detect" in footer(summary)
    assert "  nothing fired" in footer(summary)


def test_an_entry_whose_old_text_is_absent_is_a_catalogue_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stale = Mutation(
        "stale-entry",
        "edits text the repository no longer has",
        "base/raycluster/raycluster.yaml",
        "image: rayproject/ray:1.0.0\n",
        "image: rayproject/ray:latest\n",
        "pod-image-tag",
    )
    assert verify([stale], REPO_ROOT) == [
        "stale-entry: old text occurs 0 times in base/raycluster/raycluster.yaml (must be once)"
    ]
    copy_repository(REPO_ROOT, tmp_path)
    with pytest.raises(CatalogueError, match=r"stale-entry: old text occurs 0 times"):
        apply(stale, tmp_path)
    # The command refuses the whole catalogue before running anything: exit 3.
    assert main(["--repo", str(REPO_ROOT)], catalogue=[stale]) == 3
    assert "stale-entry: old text occurs 0 times" in capsys.readouterr().err


def test_an_entry_whose_old_text_is_ambiguous_is_a_catalogue_error() -> None:
    ambiguous = Mutation(
        "ambiguous-entry",
        "edits one of several identical lines",
        "base/raycluster/raycluster.yaml",
        "protocol: TCP",
        "protocol: UDP",
        "ports-ray-declared",
    )
    [problem] = verify([ambiguous], REPO_ROOT)
    assert problem.startswith("ambiguous-entry: old text occurs ")
    assert problem.endswith(" times in base/raycluster/raycluster.yaml (must be once)")
