from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conftest import CheckRun

CHECK = "pod-security-label"

NAMESPACE = """\
apiVersion: v1
kind: Namespace
metadata:
  name: kuberay
  labels:
    app.kubernetes.io/name: ray
{enforce}"""


def namespace(level: str | None) -> dict[str, str]:
    enforce = "" if level is None else f"    pod-security.kubernetes.io/enforce: {level}\n"
    return {"t/namespace.yaml": NAMESPACE.format(enforce=enforce)}


@pytest.mark.parametrize("level", ["restricted", "baseline"])
def test_baseline_or_restricted_passes_the_default_minimum(
    run_check: Callable[..., CheckRun], level: str
) -> None:
    assert run_check(CHECK, namespace(level)).rows() == []


def test_privileged_is_an_error(run_check: Callable[..., CheckRun]) -> None:
    result = run_check(CHECK, namespace("privileged"))
    assert result.rows() == [
        (
            CHECK,
            "kuberay",
            ".metadata.labels.pod-security.kubernetes.io/enforce",
            "t/namespace.yaml",
            7,
        )
    ]
    assert result.findings[0].message == (
        'Namespace "kuberay" enforces Pod Security "privileged" (below the minimum); expected '
        "baseline or stricter"
    )


def test_a_missing_enforce_label_is_an_error(run_check: Callable[..., CheckRun]) -> None:
    assert run_check(CHECK, namespace(None)).rows() == [
        (CHECK, "kuberay", ".metadata.labels", "t/namespace.yaml", 5)
    ]


def test_the_minimum_option_raises_the_floor(run_check: Callable[..., CheckRun]) -> None:
    config = "checks:\n  pod-security-label:\n    options:\n      minimum: restricted\n"
    result = run_check(CHECK, namespace("baseline"), config_extra=config)
    assert [(r[0], r[4]) for r in result.rows()] == [(CHECK, 7)]
