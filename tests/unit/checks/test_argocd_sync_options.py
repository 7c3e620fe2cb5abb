from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.builders import (
    REPO_URL,
    Body,
    app_spec,
    application,
    application_set,
    issues,
    repo_facts,
    to_yaml,
)
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


def _unknown(option: str, says: str, index: int = 1) -> tuple[str, str, str, str]:
    return (
        CHECK,
        "Application/app",
        f".spec.syncPolicy.syncOptions[{index}]",
        f'sync option "{option}" of Application "app" is not an application sync option {says}',
    )


@pytest.mark.parametrize(
    ("option", "says"),
    [
        ("PruneLast: true", '(Argo CD ignores it); did you mean "PruneLast=true"?'),
        ("prunelast:TRUE", '(Argo CD ignores it); did you mean "PruneLast=true"?'),
        (
            "ServerSideApply==true",
            "(Argo CD ignores it); known: ServerSideApply=true, ServerSideApply=false",
        ),
        (
            "ServerSideAply=yes",
            "(Argo CD ignores it); known: ServerSideApply=true, ServerSideApply=false",
        ),
        ("CreateNS=true", "(Argo CD ignores it)"),
        (
            "PrunePropagationPolicy=Foreground ",
            '(Argo CD ignores it); did you mean "PrunePropagationPolicy=foreground"?',
        ),
        (
            "PrunePropagationPolicy=delete",
            "(Argo CD ignores it); known: PrunePropagationPolicy=foreground, "
            "PrunePropagationPolicy=background, PrunePropagationPolicy=orphan",
        ),
    ],
    ids=[
        "colon",
        "colon-and-case",
        "double-equals",
        "typo-and-unknown-value",
        "name-not-close-enough",
        "trailing-space-is-trimmed",
        "unknown-value",
    ],
)
def test_an_unknown_option_gets_the_closest_suggestion(option: str, says: str) -> None:
    assert issues(CHECK, _app(option)) == [_unknown(option.strip(), says)]


def test_every_option_after_an_unknown_one_is_judged() -> None:
    app = application(sync_options=["CreateNamespace=false", "Foo=bar", "CreateNamespace=true"])
    assert issues(CHECK, app) == [
        _unknown("Foo=bar", "(Argo CD ignores it)"),
        (
            f"{CHECK}[conflict]",
            "Application/app",
            ".spec.syncPolicy.syncOptions[2]",
            'sync option "CreateNamespace=true" of Application "app" contradicts '
            '"CreateNamespace=false"',
        ),
    ]


def test_a_repeated_option_is_no_contradiction() -> None:
    app = application(sync_options=["Prune=false", "ServerSideApply=true", "Prune=false"])
    assert issues(CHECK, app) == []


def test_options_of_a_git_directory_generator_application_are_judged() -> None:
    units = application_set(
        "units",
        app_name="{{.path.basename}}",
        template=app_spec("{{.path.path}}", sync_options=["Replace=True"]),
        generators=[{"git": {"repoURL": REPO_URL, "directories": [{"path": "overlays/dev/*"}]}}],
    )
    facts = repo_facts("overlays/dev/crds")
    assert issues(CHECK, units, repo=facts) == [
        (
            CHECK,
            "ApplicationSet/units",
            ".spec.template.spec.syncPolicy.syncOptions[0]",
            'sync option "Replace=True" of Application "crds" (generated by ApplicationSet '
            "units) is not an application sync option (Argo CD ignores it); did you mean "
            '"Replace=true"?',
        )
    ]
