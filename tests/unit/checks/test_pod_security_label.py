from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.builders import Body, issues, namespace, to_yaml
from tests.conftest import CheckRun

CHECK = "pod-security-label"
ENFORCE = "pod-security.kubernetes.io/enforce"


def _kuberay(level: str | None) -> Body:
    labels = {"app.kubernetes.io/name": "ray"}
    if level is not None:
        labels[ENFORCE] = level
    return namespace("kuberay", labels)


@pytest.mark.parametrize("level", ["restricted", "baseline"])
def test_baseline_or_restricted_passes_the_default_minimum(level: str) -> None:
    assert issues(CHECK, _kuberay(level)) == []


def test_privileged_is_an_error(run_check: Callable[..., CheckRun]) -> None:
    result = run_check(CHECK, {"t/namespace.yaml": to_yaml(_kuberay("privileged"))})
    assert result.rows() == [
        (CHECK, "kuberay", f".metadata.labels.{ENFORCE}", "t/namespace.yaml", 7)
    ]
    assert result.findings[0].message == (
        'Namespace "kuberay" enforces Pod Security "privileged" (below the minimum); expected '
        "baseline or stricter"
    )


def test_a_missing_enforce_label_is_an_error() -> None:
    assert issues(CHECK, _kuberay(None)) == [
        (
            CHECK,
            "Namespace/kuberay",
            ".metadata.labels",
            f'Namespace "kuberay" has no {ENFORCE} label: it admits privileged pods; expected '
            "baseline or stricter",
        )
    ]


def test_the_minimum_option_raises_the_floor() -> None:
    found = issues(CHECK, _kuberay("baseline"), options={"minimum": "restricted"})
    assert found == [
        (
            CHECK,
            "Namespace/kuberay",
            f".metadata.labels.{ENFORCE}",
            'Namespace "kuberay" enforces Pod Security "baseline" (below the minimum); expected '
            "restricted or stricter",
        )
    ]


def test_an_unknown_level_is_an_error_even_under_the_lowest_minimum() -> None:
    found = issues(CHECK, _kuberay("strict"), options={"minimum": "privileged"})
    assert found == [
        (
            CHECK,
            "Namespace/kuberay",
            f".metadata.labels.{ENFORCE}",
            'Namespace "kuberay" enforces Pod Security "strict" (an unknown level); expected '
            "privileged or stricter",
        )
    ]


def test_the_lowest_minimum_accepts_privileged() -> None:
    assert issues(CHECK, _kuberay("privileged"), options={"minimum": "privileged"}) == []


def test_restricted_passes_the_restricted_minimum() -> None:
    assert issues(CHECK, _kuberay("restricted"), options={"minimum": "restricted"}) == []


def test_an_empty_minimum_is_the_default() -> None:
    found = issues(CHECK, _kuberay("privileged"), options={"minimum": ""})
    assert [row[3] for row in found] == [
        'Namespace "kuberay" enforces Pod Security "privileged" (below the minimum); expected '
        "baseline or stricter"
    ]


def test_an_unknown_minimum_is_a_configuration_error() -> None:
    with pytest.raises(
        ValueError,
        match=r"^option minimum must be one of privileged, baseline, "
        r'restricted, got "high"$',
    ):
        issues(CHECK, _kuberay("restricted"), options={"minimum": "high"})


def test_a_namespace_without_labels_is_located_at_its_metadata() -> None:
    assert [row[2:] for row in issues(CHECK, namespace("bare"), _kuberay(None))] == [
        (
            ".metadata",
            f'Namespace "bare" has no {ENFORCE} label: it admits privileged pods; expected '
            "baseline or stricter",
        ),
        (
            ".metadata.labels",
            f'Namespace "kuberay" has no {ENFORCE} label: it admits privileged pods; expected '
            "baseline or stricter",
        ),
    ]
