from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from kuberay_gitops.findings import Severity
from tests.builders import Body, application_set, grades, issues, to_yaml
from tests.conftest import CheckRun

CHECK = "argocd-appset-unsupported"
LIST = {"list": {"elements": [{"unit": "crds"}]}}


def _appset(generator: dict[str, Any] = LIST, name: str = "{{.unit}}", **spec: Any) -> Body:
    return application_set(
        "dev",
        app_name=f"dev-{name}",
        goTemplateOptions=["missingkey=error"],
        generators=[generator],
        **spec,
    )


def test_list_generator_with_plain_references_passes() -> None:
    assert issues(CHECK, _appset()) == []


def test_a_template_patch_is_reported_at_it(run_check: Callable[..., CheckRun]) -> None:
    appset = _appset(templatePatch="spec: {}\n")
    result = run_check(CHECK, {"t/applicationset.yaml": to_yaml(appset)})
    assert result.rows() == [(CHECK, "dev", ".spec.templatePatch", "t/applicationset.yaml", 25)]
    assert result.findings[0].severity is Severity.ERROR
    assert result.findings[0].message == (
        "ApplicationSet dev is not checked: templatePatch is not supported"
    )


@pytest.mark.parametrize(
    ("appset", "variant", "field", "says"),
    [
        (
            _appset({"clusters": {}}),
            "",
            ".spec.generators[0]",
            "generator clusters is not supported offline (list, git directories, matrix)",
        ),
        (
            _appset(name="{{.unit | upper}}"),
            "",
            ".spec.template.metadata.name",
            'template action "{{.unit | upper}}" is not supported offline',
        ),
        (
            _appset(name="{{.unti}}"),
            "[missing-key]",
            ".spec.template.metadata.name",
            'template "{{.unti}}": no param "unti"; Argo CD refuses to generate the Applications '
            "(missingkey=error)",
        ),
    ],
    ids=["cluster-generator", "template-function", "missing-key"],
)
def test_what_the_expander_cannot_evaluate_is_an_error(
    appset: Body, variant: str, field: str, says: str
) -> None:
    message = f"ApplicationSet dev is not checked: {says}"
    assert issues(CHECK, appset) == [(f"{CHECK}{variant}", "ApplicationSet/dev", field, message)]
    assert [g[1] for g in grades(CHECK, appset)] == [Severity.ERROR]
