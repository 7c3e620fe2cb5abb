from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.builders import Body, app_spec, application, application_set, issues, to_yaml
from tests.conftest import CheckRun

CHECK = "argocd-sync-options"
SECOND = ".spec.syncPolicy.syncOptions[1]"


def _app(option: str) -> Body:
    return application(sync_options=["CreateNamespace=false", option])


@pytest.mark.parametrize(
    "option",
    [
        "ServerSideApply=true",
        "Prune=confirm",
        "PrunePropagationPolicy=orphan",
        "RespectIgnoreDifferences=true",
        "ClientSideApplyMigration=false",
        "SkipDryRunOnMissingResource=true",
    ],
)
def test_known_sync_option_passes(option: str) -> None:
    assert issues(CHECK, _app(option)) == []


@pytest.mark.parametrize(
    ("option", "says"),
    [
        ("ServerSideApply=True", '(Argo CD ignores it); did you mean "ServerSideApply=true"?'),
        ("PruneLast = true", '(Argo CD ignores it); did you mean "PruneLast=true"?'),
        ("ServerSideAply=true", '(Argo CD ignores it); did you mean "ServerSideApply=true"?'),
        ("Force=true", "(Force=true works only as a resource annotation)"),
        ("Prune=true", "(Argo CD ignores it); known: Prune=false, Prune=confirm"),
        ("Foo=bar", "(Argo CD ignores it)"),
    ],
    ids=["case", "spaces", "typo", "annotation-only", "default-value", "unknown"],
)
def test_unknown_sync_option_is_reported_at_the_option(option: str, says: str) -> None:
    message = (
        f'sync option "{option}" of Application "app" is not an application sync option {says}'
    )
    assert issues(CHECK, _app(option)) == [(CHECK, "Application/app", SECOND, message)]


def test_contradicting_values_of_one_option_are_reported() -> None:
    assert issues(CHECK, _app("CreateNamespace=true")) == [
        (
            f"{CHECK}[conflict]",
            "Application/app",
            SECOND,
            'sync option "CreateNamespace=true" of Application "app" contradicts '
            '"CreateNamespace=false"',
        )
    ]


def test_option_from_a_list_element_is_reported_at_the_element(
    run_check: Callable[..., CheckRun],
) -> None:
    appset = application_set(
        "dev",
        [{"unit": "crds", "apply": "ServerSideApply=ture"}],
        "dev-{{.unit}}",
        app_spec("overlays/dev/{{.unit}}", sync_options=["{{.apply}}"]),
    )
    result = run_check(CHECK, {"t/applicationset.yaml": to_yaml(appset)})
    assert result.rows() == [
        (CHECK, "dev", ".spec.generators[0].list.elements[0].apply", "t/applicationset.yaml", 12)
    ]
    assert result.findings[0].message.endswith("known: ServerSideApply=true, ServerSideApply=false")
