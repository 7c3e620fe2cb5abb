"""`explain` answers for every id a report can carry, not just the registered checks."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conftest import CliResult

Run = Callable[..., CliResult]


@pytest.mark.parametrize(
    ("check_id", "says"),
    [
        ("render", "every render target builds with kustomize"),
        ("kubeconform/schema", "valid against their Kubernetes or CRD schema"),
        ("yamllint/truthy", "yamllint rule"),
        ("checkov/CKV_K8S_8", "checkov Kubernetes policy"),
        ("schema/deprecated-version", "non-deprecated version of their CRD"),
        ("policy-change", "policy that judges it"),
        ("cluster-cel", "the API server"),
        ("ports-reserved", "ports-reserved (error)"),
        ("exposure-ray-ports[ingress]", "exposure-ray-ports (error)"),
    ],
)
def test_every_printed_id_is_explained(run_cli: Run, check_id: str, says: str) -> None:
    result = run_cli("explain", check_id)
    assert result.exit_code == 0, result.stderr
    assert says in result.stdout


def test_an_unknown_id_is_a_usage_error(run_cli: Run) -> None:
    result = run_cli("explain", "no-such-check")
    assert result.exit_code == 2
    assert 'unknown check "no-such-check"' in result.stderr
