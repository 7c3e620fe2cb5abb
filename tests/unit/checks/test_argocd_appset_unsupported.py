from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conftest import CheckRun

CHECK = "argocd-appset-unsupported"

APPSET = """\
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: dev
  namespace: argocd
spec:
  goTemplate: true
  goTemplateOptions: ["missingkey=error"]
  generators:
    - GENERATOR
  template:
    metadata:
      name: dev-NAME
    spec:
      project: p
      source:
        repoURL: https://github.com/org/repo.git
        targetRevision: main
        path: overlays/dev/crds
      destination:
        name: dev
"""
LIST = "list:\n        elements:\n          - unit: crds"


def appset(generator: str = LIST, name: str = "{{.unit}}", extra: str = "") -> dict[str, str]:
    text = APPSET.replace("GENERATOR", generator).replace("NAME", name) + extra
    return {"t/applicationset.yaml": text}


def test_list_generator_with_plain_references_passes(run_check: Callable[..., CheckRun]) -> None:
    assert run_check(CHECK, appset()).rows() == []


@pytest.mark.parametrize(
    ("tree", "variant", "field", "line", "says"),
    [
        (
            appset(extra="  templatePatch: |\n    spec: {}\n"),
            "",
            ".spec.templatePatch",
            24,
            "templatePatch is not supported",
        ),
        (
            appset("clusters: {}"),
            "",
            ".spec.generators[0]",
            10,
            "generator clusters is not supported offline (list, git directories, matrix)",
        ),
        (
            appset(name="{{.unit | upper}}"),
            "",
            ".spec.template.metadata.name",
            15,
            'template action "{{.unit | upper}}" is not supported offline',
        ),
        (
            appset(name="{{.unti}}"),
            "[missing-key]",
            ".spec.template.metadata.name",
            15,
            'template "{{.unti}}": no param "unti"; Argo CD refuses to generate the Applications '
            "(missingkey=error)",
        ),
    ],
    ids=["template-patch", "cluster-generator", "template-function", "missing-key"],
)
def test_what_the_expander_cannot_evaluate_is_an_error(
    run_check: Callable[..., CheckRun],
    tree: dict[str, str],
    variant: str,
    field: str,
    line: int,
    says: str,
) -> None:
    result = run_check(CHECK, tree)
    assert result.rows() == [(f"{CHECK}{variant}", "dev", field, "t/applicationset.yaml", line)]
    assert result.findings[0].severity.value == "error"
    assert result.findings[0].message == f"ApplicationSet dev is not checked: {says}"
