"""The offline Argo CD expander every `argocd-*` check reads (checks/_argocd.py).

Its helpers are called directly: URL and path normalization as Argo CD compares them, the
two glob dialects (Go `path.Match` for git directories, gobwas/glob for AppProjects), the
Applications an ApplicationSet generates, and the way back from each of their fields to
the ApplicationSet line (or list element) that set it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from kuberay_gitops.checks import _argocd
from kuberay_gitops.checks._api import RepoFacts
from kuberay_gitops.checks._argocd import Expansion, GeneratedApp, Problem, Source
from kuberay_gitops.findings import FieldPath
from kuberay_gitops.manifests import K8sObject
from tests.builders import (
    REPO_URL,
    Body,
    app_project,
    app_spec,
    application,
    application_set,
    index,
    repo_facts,
)

GEN: FieldPath = ("spec", "generators", 0)
LIST: FieldPath = (*GEN, "list")
TEMPLATE: FieldPath = ("spec", "template")
DIRS = ("overlays/dev/crds", "overlays/dev/operator", "overlays/prod/crds")
REPO = repo_facts(directories=DIRS)


def _obj(body: Body) -> K8sObject:
    """The one object `body` renders to."""
    (obj,) = index(body).of_kind(str(body["kind"]))
    return obj


def _appset(
    generators: Sequence[Any] | None = None,
    name: str = "{{.unit}}",
    template: Mapping[str, Any] | None = None,
    labels: Mapping[str, str] | None = None,
    **spec: Any,
) -> K8sObject:
    """ApplicationSet `set` (goTemplate unless `goTemplate=False`), one list element
    `unit: crds` unless `generators` says otherwise."""
    gens = [{"list": {"elements": [{"unit": "crds"}]}}] if generators is None else generators
    return _obj(
        application_set(
            "set", app_name=name, template=template, labels=labels, generators=list(gens), **spec
        )
    )


def _apps(appset: K8sObject, repo: RepoFacts = REPO) -> list[GeneratedApp]:
    exp = _argocd.expansion(appset, repo)
    assert exp.problems == ()
    return list(exp.apps)


def _names(appset: K8sObject, repo: RepoFacts = REPO) -> list[str]:
    return [a.name for a in _apps(appset, repo)]


def _problem(appset: K8sObject, repo: RepoFacts = REPO) -> tuple[FieldPath, str, str]:
    """(field, message, kind) of the one problem; no Application is generated."""
    exp = _argocd.expansion(appset, repo)
    assert exp.apps == ()
    assert not exp.complete
    (problem,) = exp.problems
    assert problem.owner is appset
    return problem.field, problem.message, problem.kind


def _rendered(text: str, element: Mapping[str, Any], go: bool = True) -> str:
    """`text` as the name of the one Application of a one-element list generator."""
    gens = [{"list": {"elements": [dict(element)]}}]
    (app,) = _apps(_appset(gens, name=text, goTemplate=go))
    return app.name


def _plain(**spec: Any) -> GeneratedApp:
    """Application `app` whose spec has the `spec` keys set (None: removed)."""
    body = application()
    for key, value in spec.items():
        if value is None:
            body["spec"].pop(key, None)
        else:
            body["spec"][key] = value
    (app,) = _argocd.expand(_obj(body), REPO)
    return app


def _git(*directories: Any, **spec: Any) -> dict[str, Any]:
    return {"git": {"repoURL": REPO_URL, "directories": list(directories), **spec}}


# ---------------------------------------------------------------------------- helpers


@pytest.mark.parametrize(
    ("url", "normalized"),
    [
        ("https://GitHub.com/Org/Repo.git", "https://github.com/org/repo"),
        ("  https://github.com/org/repo/  ", "https://github.com/org/repo"),
        ("https://github.com/org/repo.git/", "https://github.com/org/repo"),
        ("https://github.com/org/repo/.git", "https://github.com/org/repo"),
        ("git@github.com:org/repo.git", "git@github.com/org/repo"),
        ("ssh://git@github.com/org/repo.git", "git@github.com/org/repo"),
        ("ssh://git@github.com:22/org/repo", "git@github.com:22/org/repo"),
        ("git@github.com:org/repo:v2", "git@github.com/org/repo:v2"),
    ],
    ids=[
        "case-and-git",
        "blank-and-slash",
        "slash-after-git",
        "git-after-slash",
        "scp",
        "ssh",
        "ssh-port",
        "first-colon-only",
    ],
)
def test_repo_urls_are_normalized_as_argo_cd_compares_them(url: str, normalized: str) -> None:
    assert _argocd.normalize_repo_url(url) == normalized


@pytest.mark.parametrize(
    ("url", "repo_url", "same"),
    [
        ("https://github.com/Org/Repo/", REPO_URL, True),
        ("git@github.com:org/repo.git", REPO_URL, False),
        ("https://github.com/org/other.git", REPO_URL, False),
        (None, REPO_URL, False),
        ("", REPO_URL, False),
        (REPO_URL, "", False),
        (" ", "", False),
    ],
    ids=[
        "normalized",
        "other-scheme",
        "other-repo",
        "none",
        "empty",
        "unconfigured",
        "blank-unconfigured",
    ],
)
def test_same_repo_compares_normalized_urls_and_needs_a_configured_one(
    url: str | None, repo_url: str, same: bool
) -> None:
    assert _argocd.same_repo(url, repo_url) is same


@pytest.mark.parametrize(
    ("path", "normalized"),
    [
        ("/overlays/dev/", "overlays/dev"),
        (" overlays/dev ", "overlays/dev"),
        ("./overlays/../base//raycluster", "base/raycluster"),
        ("", "."),
        ("/", "."),
        (".", "."),
        ("/XGBoost/overlays/", "XGBoost/overlays"),
    ],
)
def test_source_paths_are_repo_relative(path: str, normalized: str) -> None:
    assert _argocd.normalize_path(path) == normalized


def _case(*values: Any, id: str) -> Any:
    return pytest.param(*values, id=id)


@pytest.mark.parametrize(
    ("pattern", "name", "matches"),
    [
        _case("overlays/*", "overlays/dev", True, id="star"),
        _case("overlays/*", "overlays/dev/crds", False, id="star-stops-at-slash"),
        _case("overlays/*/crds", "overlays/dev/crds", True, id="star-segment"),
        _case("overlays/**", "overlays/dev/crds", False, id="no-super-star"),
        _case("apps/*", "apps/Xy", True, id="star-any-letter"),
        _case("overlays/d?v", "overlays/dev", True, id="question"),
        _case("overlays?dev", "overlays/dev", False, id="question-not-slash"),
        _case("overlays/[dp]*", "overlays/prod", True, id="class"),
        _case("overlays/[dp]*", "overlays/dev", True, id="class-first-member"),
        _case("overlays/[d]ev", "overlays/dev", True, id="one-member-class"),
        _case("[ab].[cd]", "a.c", True, id="two-classes"),
        _case("[ab].[cd]", "axc", False, id="literal-between-classes"),
        _case("a][b]", "a]b", True, id="bracket-literal"),
        _case("overlays/[^d]*", "overlays/dev", False, id="negated-class"),
        _case("overlays/[^d]*", "overlays/prod", True, id="negated-class-other"),
        _case("overlays/[!d]*", "overlays/dev", True, id="bang-is-no-negation"),
        _case("overlays/\\*", "overlays/*", True, id="escape"),
        _case("overlays/\\*", "overlays/dev", False, id="escape-literal"),
        _case("overlays/\\*x", "overlays/*x", True, id="escape-then-more"),
        _case("x[\\d]", "xd", True, id="escape-in-class"),
        _case("x[\\d]", "x5", False, id="escape-in-class-no-regex"),
        _case("x[\\d]", "xX", False, id="escape-in-class-members-only"),
        _case("overlays\\", "overlays\\", False, id="trailing-backslash-malformed"),
        _case("overlays/[d", "overlays/d", False, id="unclosed-class-malformed"),
        _case("{dev,prod}", "dev", False, id="no-braces"),
        _case("{dev,prod}", "{dev,prod}", True, id="braces-literal"),
        _case("over.ays", "overlays", False, id="dot-literal"),
        _case("overlays", "overlays/dev", False, id="full-match"),
    ],
)
def test_git_directory_patterns_follow_go_path_match(
    pattern: str, name: str, matches: bool
) -> None:
    assert _argocd.go_path_match(pattern, name) is matches


@pytest.mark.parametrize(
    ("pattern", "value", "separators", "matches"),
    [
        _case("*", "a/b", "/", True, id="star-alone"),
        _case("dev-*", "dev-a", "", True, id="star"),
        _case("dev-*", "prod-a", "", False, id="star-no-match"),
        _case("dev-*", "dev-a/b", "", True, id="star-no-separator"),
        _case("dev-*", "dev-a/b", "/", False, id="star-separator"),
        _case("dev-**", "dev-a/b", "/", True, id="super-star"),
        _case("dev-?", "dev-/", "/", False, id="question-separator"),
        _case("dev-?", "dev-a", "/", True, id="question"),
        _case("{dev,prod}", "prod", "", True, id="braces"),
        _case("{dev,prod}", "qa", "", False, id="braces-no-match"),
        _case("{a,{b,c}}", "c", "", True, id="nested-braces"),
        _case("{a,{b,c}}", "{b", "", False, id="nested-braces-no-literal"),
        _case("{dev", "{dev", "", False, id="unbalanced-brace-malformed"),
        _case("dev,prod}", "dev,prod}", "", True, id="literal-close-and-comma"),
        _case("[!d]ev", "dev", "", False, id="bang-class"),
        _case("[!d]ev", "xev", "", True, id="bang-class-other"),
        _case("[!d]ev", "!ev", "", True, id="bang-is-not-a-member"),
        _case("**.example.com", "api.eu.example.com", ".", True, id="super-star-then-more"),
        _case("**.example.com", "apiexample.com", ".", False, id="super-star-then-dot"),
        _case("a*", "a\nb", "", True, id="newline"),
        _case("!dev", "dev", "", False, id="deny"),
        _case("!dev", "prod", "", True, id="deny-other"),
        _case("!dev-*", "dev-1", "", False, id="deny-glob"),
        _case("!dev-*", "dev-a/b", "/", True, id="deny-separator"),
        _case("!dev-**", "dev-a/b", "/", False, id="deny-super-star"),
        _case("!{dev,prod}", "qa", "", True, id="deny-braces"),
        _case("!{dev,prod}", "dev", "", False, id="deny-braces-match"),
        _case("![!d]ev", "dev", "", True, id="deny-bang-class"),
    ],
)
def test_project_patterns_follow_argo_cd_glob_match(
    pattern: str, value: str, separators: str, matches: bool
) -> None:
    assert _argocd.glob_match(pattern, value, separators) is matches


def test_without_separators_a_star_crosses_every_character() -> None:
    assert _argocd.glob_match("team-*", "team-X/Y")


def test_without_negation_a_leading_bang_is_literal() -> None:
    assert _argocd.glob_match("!dev", "!dev", negation=False)
    assert not _argocd.glob_match("!dev", "prod", negation=False)


@pytest.mark.parametrize(
    ("name", "sanitized"),
    [
        ("Ray_Cluster", "ray-cluster"),
        ("-.a.b-.", "a.b"),
        ("x" * 300, "x" * 253),
        ("x" * 252 + "_y", "x" * 252),
    ],
    ids=["lower-and-dash", "trim", "truncate", "trim-after-truncate"],
)
def test_names_are_sanitized_as_argo_cd_sanitize_name(name: str, sanitized: str) -> None:
    assert _argocd.sanitize_name(name) == sanitized


# ---------------------------------------------------------------------------- plain Applications


def test_a_plain_application_is_itself_with_fields_at_their_own_path() -> None:
    obj = _obj(application(labels={"kuberay-gitops/env": "dev"}, annotations={"a": "b"}))
    exp = _argocd.expansion(obj, REPO)
    assert exp.complete
    (app,) = exp.apps
    assert (app.owner, app.name, app.generated, str(app)) == (
        obj,
        "app",
        False,
        'Application "app"',
    )
    assert (app.labels, app.annotations) == ({"kuberay-gitops/env": "dev"}, {"a": "b"})
    assert app.spec == obj.spec
    assert app.field("spec", "source", "targetRevision") == ("spec", "source", "targetRevision")


def test_label_and_annotation_values_are_strings_as_go_prints_them() -> None:
    body = application()
    body["metadata"]["labels"] = {"replicas": 3, "on": True, "off": False}
    body["metadata"]["annotations"] = {"none": None}
    app = _argocd.expansion(_obj(body), REPO).apps[0]
    assert app.labels == {"replicas": "3", "on": "true", "off": "false"}
    assert app.annotations == {"none": "<no value>"}


def test_sources_are_the_source_and_each_mapping_of_sources() -> None:
    many = [{"path": "a"}, "not-a-source", {"path": "b"}]
    (app,) = _argocd.expand(_obj(application(sources=many)), REPO)
    assert [(s.path, s.get("path")) for s in app.sources] == [
        (("spec", "source"), "overlays/dev/crds"),
        (("spec", "sources", 0), "a"),
        (("spec", "sources", 2), "b"),
    ]


@pytest.mark.parametrize(("source", "sources"), [(None, "a"), ("a", None), (None, None)])
def test_sources_that_are_no_mappings_or_list_are_none(source: Any, sources: Any) -> None:
    assert _plain(source=source, sources=sources).sources == []


def test_a_source_field_is_a_non_empty_string_or_none() -> None:
    src = Source(("spec", "source"), {"path": "p", "empty": "", "number": 1})
    assert (src.get("path"), src.get("empty"), src.get("number"), src.get("absent")) == (
        "p",
        None,
        None,
        None,
    )


@pytest.mark.parametrize(
    ("destination", "cluster"),
    [
        ({"name": "prod", "server": "https://prod.example"}, "prod"),
        ({"name": "", "server": "https://prod.example"}, "https://prod.example"),
        ({"server": "https://kubernetes.default.svc"}, "in-cluster"),
        ({"server": "https://kubernetes.default.svc/"}, "in-cluster"),
        ({"server": ""}, ""),
        ({"name": 1, "server": 2}, ""),
        (None, ""),
    ],
    ids=["name-first", "server", "in-cluster", "in-cluster-slash", "empty", "not-strings", "none"],
)
def test_the_cluster_is_the_destination_name_else_its_server(
    destination: dict[str, Any] | None, cluster: str
) -> None:
    app = _plain(destination=destination)
    assert app.destination == (destination or {})
    assert app.cluster == cluster


def test_a_destination_that_is_no_mapping_is_empty() -> None:
    app = _plain(destination="prod")
    assert (app.destination, app.cluster) == ({}, "")


def test_sync_options_are_indexed_and_stripped() -> None:
    opts = ["CreateNamespace=true", " ServerSideApply=true "]
    (app,) = _argocd.expand(_obj(application(sync_options=opts)), REPO)
    assert app.sync_options == [(0, "CreateNamespace=true"), (1, "ServerSideApply=true")]


@pytest.mark.parametrize(
    "policy", [None, "auto", {"syncOptions": "CreateNamespace=true"}, {"automated": {}}]
)
def test_no_sync_options_list_is_no_sync_options(policy: Any) -> None:
    assert _plain(syncPolicy=policy).sync_options == []


@pytest.mark.parametrize(
    ("labels", "path", "unit", "rank"),
    [
        ({"kuberay-gitops/unit": "operator"}, "overlays/dev/crds", "operator", 1),
        ({}, "overlays/dev/crds/", "crds", 0),
        ({}, "overlays/dev/operator", "operator", 1),
        ({}, "/overlays/dev/raycluster", "raycluster", 2),
        ({}, "apps/batch", "", 3),
        ({"kuberay-gitops/unit": "serve"}, "overlays/dev/crds", "serve", 3),
        ({"kuberay-gitops/unit": ""}, "overlays/dev/raycluster", "raycluster", 2),
    ],
    ids=[
        "label",
        "crds-path",
        "operator-path",
        "raycluster-path",
        "app",
        "app-label",
        "empty-label",
    ],
)
def test_unit_from_label_else_source_path_and_its_rank(
    labels: dict[str, str], path: str, unit: str, rank: int
) -> None:
    (app,) = _argocd.expand(_obj(application(labels=labels, path=path)), REPO)
    assert (app.unit, app.rank) == (unit, rank)


def test_unit_from_the_first_source_naming_one() -> None:
    many = [
        {"chart": "c"},
        {"path": "apps/batch"},
        {"path": "overlays/dev/operator"},
        {"path": "x/crds"},
    ]
    assert _plain(source=None, sources=many).unit == "operator"
    assert _plain(source={"path": 1}).unit == ""


def test_field_maps_through_the_longest_recorded_prefix() -> None:
    owner = _obj(application())
    app = GeneratedApp(
        owner,
        "a",
        {},
        {},
        {},
        template_path=TEMPLATE,
        origins={("spec",): ("s",), ("spec", "source"): ("src",)},
    )
    assert app.field("spec", "source", "path") == ("src", "path")
    assert app.field("spec", "source") == ("src",)
    assert app.field("spec", "project") == ("s", "project")
    assert app.field("metadata", "name") == (*TEMPLATE, "metadata", "name")


def test_expansion_of_another_kind_is_empty_and_complete() -> None:
    cm = _obj({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}})
    assert _argocd.expansion(cm, REPO) == Expansion(cm, ())
    assert _argocd.expansion(cm, REPO).complete


# ---------------------------------------------------------------------------- ApplicationSets


def test_each_list_element_is_one_application_traced_to_its_element() -> None:
    gens = [{"list": {"elements": [{"unit": "crds"}, {"unit": "operator"}]}}]
    template = app_spec("overlays/dev/{{.unit}}", revision="{{.unit}}")
    appset = _appset(gens, name="{{.unit}}", template=template, labels={"u": "{{.unit}}"})
    crds, operator = _apps(appset)
    assert (crds.name, operator.name) == ("crds", "operator")
    assert (operator.owner, operator.generated) == (appset, True)
    assert str(operator) == 'Application "operator" (generated by ApplicationSet set)'
    assert operator.labels == {"u": "operator"}
    assert operator.spec["source"]["path"] == "overlays/dev/operator"
    element = (*LIST, "elements", 1, "unit")
    assert operator.field("metadata", "name") == element
    assert operator.field("metadata", "labels", "u") == element
    assert operator.field("spec", "source", "targetRevision") == element
    # not one reference: the template line
    assert operator.field("spec", "source", "path") == (*TEMPLATE, "spec", "source", "path")
    assert operator.field("spec", "project") == (*TEMPLATE, "spec", "project")
    assert operator.field("spec", "nowhere") == (*TEMPLATE, "spec", "nowhere")


def test_a_nested_element_value_is_traced_to_its_key() -> None:
    gens = [{"list": {"elements": [{"unit": "crds", "cfg": {"rev": "v1.2.3"}}]}}]
    (app,) = _apps(_appset(gens, template=app_spec(revision="{{ .cfg.rev }}")))
    assert app.spec["source"]["targetRevision"] == "v1.2.3"
    path = ("spec", "source", "targetRevision")
    assert app.field(*path) == (*LIST, "elements", 0, "cfg", "rev")


def test_a_deeply_nested_element_value_is_traced_to_its_key() -> None:
    gens = [{"list": {"elements": [{"unit": "crds", "a": {"b": {"c": "v1.2.3"}}}]}}]
    (app,) = _apps(_appset(gens, template=app_spec(revision="{{.a.b.c}}")))
    path = ("spec", "source", "targetRevision")
    assert app.field(*path) == (*LIST, "elements", 0, "a", "b", "c")


def test_an_index_of_a_nested_field_is_traced_to_that_field() -> None:
    gens = [{"list": {"elements": [{"unit": "crds", "m": {"l": ["v1"]}}]}}]
    (app,) = _apps(_appset(gens, template=app_spec(revision="{{index .m.l 0}}")))
    assert app.spec["source"]["targetRevision"] == "v1"
    assert app.field("spec", "source", "targetRevision") == (*LIST, "elements", 0, "m", "l")


def test_a_reference_padded_by_blanks_is_still_traced_and_keeps_them() -> None:
    (app,) = _apps(_appset(template=app_spec(revision=" {{.unit}} ")))
    assert app.spec["source"]["targetRevision"] == " crds "
    path = ("spec", "source", "targetRevision")
    assert app.field(*path) == (*LIST, "elements", 0, "unit")


def test_template_keys_lists_and_scalars_are_rendered() -> None:
    template = app_spec(
        source=None,
        sources=[{"repoURL": REPO_URL, "path": "{{.unit}}"}],
        revisionHistoryLimit=3,
        info=[{"{{.unit}}-key": "v"}],
    )
    (app,) = _apps(_appset(template=template))
    assert app.spec["sources"] == [{"repoURL": REPO_URL, "path": "crds"}]
    assert app.spec["revisionHistoryLimit"] == 3
    assert app.spec["info"] == [{"crds-key": "v"}]
    assert app.field("spec", "sources", 0, "path") == (*LIST, "elements", 0, "unit")
    assert app.field("spec", "sources", 0, "repoURL") == (
        *TEMPLATE,
        "spec",
        "sources",
        0,
        "repoURL",
    )
    assert app.field("spec", "info", 0, "crds-key") == (
        *TEMPLATE,
        "spec",
        "info",
        0,
        "{{.unit}}-key",
    )


@pytest.mark.parametrize(
    ("value", "printed"),
    [
        (True, "true"),
        (False, "false"),
        (None, "<no value>"),
        (3, "3"),
        (["a", 1, True], "[a 1 true]"),
        ({"b": 2, "a": "x"}, "map[a:x b:2]"),
    ],
    ids=["true", "false", "nil", "int", "list", "map"],
)
def test_values_are_printed_as_go_templates_print_them(value: Any, printed: str) -> None:
    assert _rendered("{{.v}}", {"v": value}) == printed


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("dev-{{.unit}}-{{.n}}", "dev-crds-1"),
        ("a {{- .unit -}} b", "acrdsb"),
        ("a {{- .unit}} b", "acrds b"),
        ("a {{.unit -}} b", "a crdsb"),
        ("a {{.unit}} b", "a crds b"),
        ("{{.unit -}} {{- .n}}", "crds1"),
        ("{{.unit -}}  x", "crdsx"),
        ("{{.unit -}}  a  {{.n}}", "crdsa  1"),
        ("{{.unit}}  a  {{- .n}}", "crds  a1"),
        ("{{ .unit }}", "crds"),
        ("plain", "plain"),
    ],
    ids=[
        "two",
        "trim-both",
        "trim-left",
        "trim-right",
        "no-trim",
        "trim-between",
        "trim-rest",
        "trim-right-only",
        "trim-left-only",
        "spaces",
        "no-action",
    ],
)
def test_go_template_actions_and_trimming(text: str, name: str) -> None:
    assert _rendered(text, {"unit": "crds", "n": 1}) == name


def test_two_references_trace_to_the_template() -> None:
    gens = [{"list": {"elements": [{"unit": "crds", "env": "dev"}]}}]
    (app,) = _apps(_appset(gens, template=app_spec(revision="{{.unit}}{{.env}}")))
    assert app.field("spec", "source", "targetRevision") == (
        *TEMPLATE,
        "spec",
        "source",
        "targetRevision",
    )


@pytest.mark.parametrize(
    ("text", "element", "name"),
    [
        ('{{index .m "k"}}', {"m": {"k": "v"}}, "v"),
        ('{{index .m "k" 1}}', {"m": {"k": ["a", "b"]}}, "b"),
        ("{{index .l 0}}", {"l": ["a", "b"]}, "a"),
        ('{{index .m "a b"}}', {"m": {"a b": "v"}}, "v"),
    ],
    ids=["key", "key-then-position", "position", "quoted-blank"],
)
def test_go_index_of_maps_and_lists(text: str, element: dict[str, Any], name: str) -> None:
    assert _rendered(text, element) == name


def test_an_index_reference_is_traced_to_its_param() -> None:
    gens = [{"list": {"elements": [{"unit": "crds", "l": ["v1"]}]}}]
    (app,) = _apps(_appset(gens, template=app_spec(revision="{{index .l 0}}")))
    assert app.field("spec", "source", "targetRevision") == (*LIST, "elements", 0, "l")


@pytest.mark.parametrize(
    ("text", "element", "kind", "says"),
    [
        (
            "{{upper .unit}}",
            {"unit": "c"},
            "unsupported",
            'template action "{{upper .unit}}" is not supported offline',
        ),
        (
            "{{index .l}}",
            {"l": ["a"]},
            "unsupported",
            'template action "{{index .l}}" is not supported offline',
        ),
        (
            "{{index l 0}}",
            {"l": ["a"]},
            "unsupported",
            'template action "{{index l 0}}" is not supported offline',
        ),
        (
            "{{.unit | upper}}",
            {"unit": "c"},
            "unsupported",
            'template action "{{.unit | upper}}" is not supported offline',
        ),
        (
            "{{.unti}}",
            {"unit": "c"},
            "missing-key",
            'template "{{.unti}}": no param "unti"; Argo CD renders "<no value>"',
        ),
        (
            "{{.m.x.y}}",
            {"m": {"a": 1}},
            "missing-key",
            'template "{{.m.x.y}}": no param "m.x"; Argo CD renders "<no value>"',
        ),
        (
            "{{.unit.x}}",
            {"unit": "c"},
            "missing-key",
            'template "{{.unit.x}}": "unit" is not a map',
        ),
        (
            "{{.m.a.x}}",
            {"m": {"a": "s"}},
            "missing-key",
            'template "{{.m.a.x}}": "m.a" is not a map',
        ),
        (
            "{{index .l 1}}",
            {"l": ["a"]},
            "missing-key",
            'template "{{index .l 1}}": index 1 is out of range',
        ),
        (
            '{{index .l "k"}}',
            {"l": ["k"]},
            "missing-key",
            'template "{{index .l "k"}}": index "k" is out of range',
        ),
        (
            '{{index .m "x"}}',
            {"m": {"k": "v"}},
            "missing-key",
            'template "{{index .m "x"}}": index "x" is out of range',
        ),
        (
            "{{index .m 0}}",
            {"m": {"0": "v"}},
            "missing-key",
            'template "{{index .m 0}}": index 0 is out of range',
        ),
        (
            "{{index .nope 0}}",
            {"l": ["a"]},
            "missing-key",
            'template "{{index .nope 0}}": no param "nope"; Argo CD renders "<no value>"',
        ),
    ],
    ids=[
        "function",
        "index-without-position",
        "index-of-no-field",
        "pipeline",
        "missing",
        "missing-nested",
        "not-a-map",
        "nested-not-a-map",
        "out-of-range",
        "key-of-list",
        "missing-key",
        "position-of-map",
        "index-of-missing",
    ],
)
def test_what_a_go_template_cannot_render_is_a_problem_at_its_field(
    text: str, element: dict[str, Any], kind: str, says: str
) -> None:
    gens = [{"list": {"elements": [element]}}]
    field, message, problem_kind = _problem(_appset(gens, name=text))
    assert (field, message, problem_kind) == ((*TEMPLATE, "metadata", "name"), says, kind)


def test_missingkey_error_says_argo_cd_refuses() -> None:
    appset = _appset(name="{{.unti}}", goTemplateOptions=["missingkey=error"])
    assert _problem(appset) == (
        (*TEMPLATE, "metadata", "name"),
        'template "{{.unti}}": no param "unti"; Argo CD refuses to generate the Applications '
        "(missingkey=error)",
        "missing-key",
    )


def test_missingkey_error_needs_an_options_list() -> None:
    appset = _appset(name="{{.unti}}", goTemplateOptions="missingkey=error")
    assert _problem(appset)[1].endswith('Argo CD renders "<no value>"')


def test_a_key_that_cannot_render_is_a_problem_at_the_key() -> None:
    appset = _appset(labels={"{{.nope}}": "v"})
    assert _problem(appset)[0] == (*TEMPLATE, "metadata", "labels", "{{.nope}}")


def test_a_list_item_that_cannot_render_is_a_problem_at_the_item() -> None:
    template = app_spec(source=None, sources=[{"path": "a"}, {"path": "{{.nope}}"}])
    assert _problem(_appset(template=template))[0] == (*TEMPLATE, "spec", "sources", 1, "path")


@pytest.mark.parametrize(
    ("text", "element", "name"),
    [
        ("{{unit}}", {"unit": "crds"}, "crds"),
        ("{{ unit }}", {"unit": "crds"}, "crds"),
        ("dev-{{unit}}-{{n}}", {"unit": "crds", "n": 2}, "dev-crds-2"),
        ("{{other}}-{{unit}}", {"unit": "crds"}, "{{other}}-crds"),
        ("{{}}", {"unit": "crds"}, "{{}}"),
        ("{{flag}}", {"flag": True}, "true"),
        ("{{values.env}}", {"values": {"env": "dev"}}, "dev"),
        ("{{values}}", {"values": "x"}, "x"),
        ("{{m}}", {"m": {"a": 1}}, "map[a:1]"),
        ("{{.unit}}", {"unit": "crds"}, "{{.unit}}"),
    ],
    ids=[
        "tag",
        "blanks",
        "two",
        "unknown-stays",
        "empty-stays",
        "bool",
        "values",
        "values-not-a-map",
        "map-printed",
        "go-syntax-stays",
    ],
)
def test_fasttemplate_replaces_known_tags_only(
    text: str, element: dict[str, Any], name: str
) -> None:
    assert _rendered(text, element, go=False) == name


def test_fasttemplate_traces_a_whole_known_tag_to_its_element() -> None:
    gens = [{"list": {"elements": [{"unit": "crds", "values": {"rev": "v1"}}]}}]
    template = app_spec(revision="{{values.rev}}", path="{{other}}", project="{{unit}}-p")
    (app,) = _apps(_appset(gens, name="{{unit}}", template=template, goTemplate=False))
    assert app.field("metadata", "name") == (*LIST, "elements", 0, "unit")
    assert app.field("spec", "source", "targetRevision") == (*LIST, "elements", 0, "values", "rev")
    assert app.field("spec", "source", "path") == (*TEMPLATE, "spec", "source", "path")
    assert app.field("spec", "project") == (*TEMPLATE, "spec", "project")


def test_go_template_must_be_true_itself() -> None:
    assert _names(_appset(name="{{.unit}}", goTemplate="true")) == ["{{.unit}}"]


# ---------------------------------------------------------------------------- list generator


def test_elements_yaml_adds_elements_traced_to_it() -> None:
    gens = [{"list": {"elements": [{"unit": "crds"}], "elementsYaml": "- unit: operator\n"}}]
    crds, operator = _apps(_appset(gens))
    assert (crds.name, operator.name) == ("crds", "operator")
    assert crds.field("metadata", "name") == (*LIST, "elements", 0, "unit")
    assert operator.field("metadata", "name") == (*LIST, "elementsYaml")


def test_elements_yaml_keeps_nested_values_for_go_templates() -> None:
    gens = [{"list": {"elementsYaml": "- unit: operator\n  cfg: {rev: v1}\n"}}]
    (app,) = _apps(_appset(gens, template=app_spec(revision="{{.cfg.rev}}")))
    assert app.spec["source"]["targetRevision"] == "v1"
    assert app.field("spec", "source", "targetRevision") == (*LIST, "elementsYaml")


def test_elements_yaml_in_fasttemplate() -> None:
    gens = [{"list": {"elementsYaml": "- unit: operator\n  values: {env: dev}\n"}}]
    appset = _appset(gens, name="{{values.env}}-{{unit}}", goTemplate=False)
    (app,) = _apps(appset)
    assert app.name == "dev-operator"


@pytest.mark.parametrize("elements", [None, []])
def test_no_elements_generate_nothing(elements: Any) -> None:
    assert _names(_appset([{"list": {"elements": elements, "elementsYaml": "  "}}])) == []


@pytest.mark.parametrize(
    ("generator", "field", "says"),
    [
        ({"list": "x"}, LIST, "list generator is not a mapping"),
        ({"list": {"elements": "x"}}, (*LIST, "elements"), "list generator elements is not a list"),
        (
            {"list": {"elements": [{"a": 1}, "x"]}},
            (*LIST, "elements", 1),
            "list element is not a mapping",
        ),
        (
            {"list": {"elementsYaml": "- unit: '{{.x}}'\n"}},
            (*LIST, "elementsYaml"),
            "elementsYaml with template actions is not supported offline",
        ),
        (
            {"list": {"elementsYaml": "- a\n"}},
            (*LIST, "elementsYaml"),
            "elementsYaml is not a list of mappings",
        ),
        (
            {"list": {"elementsYaml": "a: b\n"}},
            (*LIST, "elementsYaml"),
            "elementsYaml is not a list of mappings",
        ),
        ({"git": "x"}, (*GEN, "git"), "git generator is not a mapping"),
        ("x", GEN, "generator is not a mapping"),
        ({}, GEN, "generator none is not supported offline (list, git directories, matrix)"),
        (
            {"list": {}, "git": {}},
            GEN,
            "generator list, git is not supported offline (list, git directories, matrix)",
        ),
        (
            {"clusters": {}},
            GEN,
            "generator clusters is not supported offline (list, git directories, matrix)",
        ),
        (
            {"list": {}, "selector": {}},
            (*GEN, "selector"),
            "generator selector is not supported offline",
        ),
        (
            {"list": {}, "template": {}},
            (*GEN, "template"),
            "generator template is not supported offline",
        ),
        ({"list": {}, "values": {}}, (*GEN, "values"), "generator values is not supported offline"),
    ],
    ids=[
        "list-not-mapping",
        "elements-not-list",
        "element-not-mapping",
        "yaml-template",
        "yaml-scalars",
        "yaml-mapping",
        "git-not-mapping",
        "not-mapping",
        "none",
        "two",
        "other",
        "selector",
        "template",
        "values",
    ],
)
def test_a_generator_the_expander_cannot_evaluate_is_a_problem(
    generator: Any, field: FieldPath, says: str
) -> None:
    assert _problem(_appset([generator])) == (field, says, "unsupported")


def test_elements_yaml_that_is_not_yaml_is_a_problem() -> None:
    field, message, kind = _problem(_appset([{"list": {"elementsYaml": "- [a\n"}}]))
    assert (field, kind) == ((*LIST, "elementsYaml"), "unsupported")
    assert message.startswith("elementsYaml is not YAML: ")


# ---------------------------------------------------------------------------- git generator


def test_git_directories_generate_one_application_per_matching_directory() -> None:
    git = _git({"path": "overlays/*/crds"})
    appset = _appset([git], name="{{.path.segments}}-{{.path.basename}}")
    assert _names(appset) == ["[overlays dev crds]-crds", "[overlays prod crds]-crds"]


def test_git_path_params_in_go_templates() -> None:
    repo = repo_facts(directories=["apps/My_Job"])
    text = (
        "{{.path.path}} {{.path.basename}} {{.path.basenameNormalized}} {{index .path.segments 0}}"
    )
    (app,) = _apps(_appset([_git({"path": "apps/*"})], name=text), repo)
    assert app.name == "apps/My_Job My_Job my-job apps"


def test_git_path_params_with_a_prefix() -> None:
    repo = repo_facts(directories=["apps/job"])
    git = _git({"path": "apps/*"}, pathParamPrefix="p")
    (app,) = _apps(_appset([git], name="{{.p.path.path}}-{{index .p.path.segments 1}}"), repo)
    assert app.name == "apps/job-job"
    gens = [_git({"path": "apps/*"}, pathParamPrefix="p")]
    fast = _appset(gens, name="{{p.path}} {{p.path.basename}} {{p.path[1]}}", goTemplate=False)
    assert _names(fast, repo) == ["apps/job job job"]


def test_prefixed_git_params_trace_to_the_include() -> None:
    git = _git({"path": "overlays/prod/*"}, pathParamPrefix="p")
    (app,) = _apps(_appset([git], name="{{.p.path.basename}}"))
    assert app.name == "crds"
    assert app.field("metadata", "name") == (*GEN, "git", "directories", 0, "path")


def test_a_path_param_prefix_that_is_no_string_is_a_problem() -> None:
    git = _git({"path": "apps/*"}, pathParamPrefix=["p"])
    assert _problem(_appset([git])) == (
        (*GEN, "git", "pathParamPrefix"),
        "git generator pathParamPrefix is not a string",
        "unsupported",
    )


def test_an_empty_path_param_prefix_is_none() -> None:
    repo = repo_facts(directories=["apps/job"])
    git = _git({"path": "apps/*"}, pathParamPrefix="")
    assert _names(_appset([git], name="{{.path.basename}}"), repo) == ["job"]


def test_git_path_params_in_fasttemplate() -> None:
    repo = repo_facts(directories=["apps/My_Job"])
    text = "{{path}} {{path.basename}} {{path.basenameNormalized}} {{path[0]}}-{{path[1]}}"
    appset = _appset([_git({"path": "apps/*"})], name=text, goTemplate=False)
    assert _names(appset, repo) == ["apps/My_Job My_Job my-job apps-My_Job"]


def test_excluded_directories_are_left_out_and_params_trace_to_the_first_include() -> None:
    git = _git(
        {"path": "overlays/dev/*"},
        {"path": "overlays/*/crds"},
        {"path": "overlays/*/operator", "exclude": True},
        {"path": "overlays/prod/*", "exclude": False},
    )
    template = app_spec(path="{{.path.path}}")
    apps = _apps(_appset([git], name="{{.path.basename}}", template=template))
    assert [a.spec["source"]["path"] for a in apps] == ["overlays/dev/crds", "overlays/prod/crds"]
    directories = (*GEN, "git", "directories")
    assert [a.field("metadata", "name") for a in apps] == [
        (*directories, 0, "path"),
        (*directories, 1, "path"),
    ]
    assert apps[0].field("spec", "source", "path") == (*directories, 0, "path")


def test_fasttemplate_git_params_trace_to_the_include() -> None:
    appset = _appset(
        [_git({"path": "overlays/prod/*"})], name="{{path.basename}}", goTemplate=False
    )
    (app,) = _apps(appset)
    assert app.field("metadata", "name") == (*GEN, "git", "directories", 0, "path")


@pytest.mark.parametrize(
    ("git", "field", "says"),
    [
        (
            _git({"path": "a"}, files=[]),
            (*GEN, "git", "files"),
            "git generator files is not supported offline",
        ),
        (
            _git({"path": "a"}, values={}),
            (*GEN, "git", "values"),
            "git generator values is not supported offline",
        ),
        ({"git": {"repoURL": REPO_URL}}, (*GEN, "git"), "git generator without directories"),
        (_git(), (*GEN, "git"), "git generator without directories"),
        (
            _git({"exclude": True}),
            (*GEN, "git", "directories", 0),
            "git directories entry without path",
        ),
        (
            _git({"path": "a"}, "b"),
            (*GEN, "git", "directories", 1),
            "git directories entry without path",
        ),
    ],
    ids=["files", "values", "no-directories", "empty-directories", "no-path", "not-mapping"],
)
def test_a_git_generator_the_expander_cannot_list_is_a_problem(
    git: Any, field: FieldPath, says: str
) -> None:
    assert _problem(_appset([git])) == (field, says, "unsupported")


def test_a_git_generator_of_another_repository_is_a_problem() -> None:
    url = "https://github.com/org/other.git"
    git = {"git": {"repoURL": url, "directories": [{"path": "*"}]}}
    assert _problem(_appset([git])) == (
        (*GEN, "git", "repoURL"),
        f'git generator repoURL "{url}" is not this repository ("{REPO_URL}"): its '
        "directories cannot be listed offline",
        "unsupported",
    )


# ---------------------------------------------------------------------------- matrix, sets


def test_matrix_crosses_two_generators_the_second_using_the_first() -> None:
    envs = {"list": {"elements": [{"env": "dev"}, {"env": "prod"}]}}
    dirs = _git({"path": "overlays/{{.env}}/*"})
    appset = _appset(
        [{"matrix": {"generators": [envs, dirs]}}],
        name="{{.env}}-{{.path.basename}}",
        labels={"env": "{{.env}}", "unit": "{{.path.basename}}"},
    )
    apps = _apps(appset)
    assert [a.name for a in apps] == ["dev-crds", "dev-operator", "prod-crds"]
    children = (*GEN, "matrix", "generators")
    assert apps[2].field("metadata", "labels", "env") == (
        *children,
        0,
        "list",
        "elements",
        1,
        "env",
    )
    assert apps[2].field("metadata", "labels", "unit") == (
        *children,
        1,
        "git",
        "directories",
        0,
        "path",
    )


def test_a_matrix_childs_problem_is_at_the_child() -> None:
    envs = {"list": {"elements": [{"env": "dev"}]}}
    dirs = _git({"path": "overlays/{{.nope}}/*"})
    assert _problem(_appset([{"matrix": {"generators": [envs, dirs]}}])) == (
        (*GEN, "matrix", "generators", 1, "git", "directories", 0, "path"),
        'template "{{.nope}}": no param "nope"; Argo CD renders "<no value>"',
        "missing-key",
    )


@pytest.mark.parametrize(
    ("matrix", "field", "says"),
    [
        (
            {"generators": [{"list": {"elements": []}}]},
            (*GEN, "matrix"),
            "matrix needs exactly two generators",
        ),
        ({"generators": "x"}, (*GEN, "matrix"), "matrix needs exactly two generators"),
        ("x", (*GEN, "matrix"), "matrix needs exactly two generators"),
        (
            {"generators": [{"list": {"elements": [{"a": 1}]}}, {"matrix": {}}]},
            (*GEN, "matrix", "generators", 1),
            "generator matrix is not supported offline (list, git directories, matrix)",
        ),
        (
            {"generators": [{"matrix": {}}, {"list": {}}]},
            (*GEN, "matrix", "generators", 0),
            "generator matrix is not supported offline (list, git directories, matrix)",
        ),
    ],
    ids=["one-child", "children-not-list", "not-mapping", "nested-second", "nested-first"],
)
def test_a_matrix_the_expander_cannot_cross_is_a_problem(
    matrix: Any, field: FieldPath, says: str
) -> None:
    assert _problem(_appset([{"matrix": matrix}])) == (field, says, "unsupported")


def test_generators_add_up_in_order() -> None:
    first = {"list": {"elements": [{"unit": "a"}]}}
    second = {"list": {"elements": [{"unit": "b"}]}}
    a, b = _apps(_appset([first, second]))
    assert (a.name, b.name) == ("a", "b")
    assert b.field("metadata", "name") == ("spec", "generators", 1, "list", "elements", 0, "unit")


@pytest.mark.parametrize(
    ("spec", "field", "says"),
    [
        (
            {"templatePatch": "spec: {}"},
            ("spec", "templatePatch"),
            "templatePatch is not supported",
        ),
        ({"template": None}, TEMPLATE, "no template"),
        ({"template": "x"}, TEMPLATE, "no template"),
        ({"generators": {"list": {}}}, ("spec", "generators"), "generators is not a list"),
        ({"generators": None}, ("spec", "generators"), "generators is not a list"),
    ],
)
def test_an_application_set_without_template_or_generators_list_is_a_problem(
    spec: dict[str, Any], field: FieldPath, says: str
) -> None:
    body = application_set("set", [{"unit": "crds"}])
    for key, value in spec.items():
        if value is None:
            body["spec"].pop(key)
        else:
            body["spec"][key] = value
    appset = _obj(body)
    exp = _argocd.expansion(appset, REPO)
    assert exp == Expansion(appset, (), (Problem(appset, field, says, "unsupported"),))


def test_a_template_without_metadata_or_spec_generates_an_unnamed_application() -> None:
    body = application_set("set", [{"unit": "crds"}])
    body["spec"]["template"] = {"metadata": None, "spec": None}
    (app,) = _apps(_obj(body))
    assert (app.name, app.labels, app.annotations, app.spec) == ("", {}, {}, {})
    assert app.template_path == TEMPLATE


def test_a_template_with_non_mapping_metadata_or_spec_generates_an_empty_application() -> None:
    body = application_set("set", [{"unit": "crds"}])
    body["spec"]["template"] = {"metadata": "{{.unit}}", "spec": ["x"]}
    (app,) = _apps(_obj(body))
    assert (app.name, app.spec) == ("", {})


def test_rendered_annotations_are_kept() -> None:
    body = application_set("set", [{"unit": "crds"}], annotations={"a": "{{.unit}}"})
    (app,) = _apps(_obj(body))
    assert app.annotations == {"a": "crds"}


# ---------------------------------------------------------------------------- index level


def test_applications_of_an_index_in_render_order_with_problems_kept() -> None:
    broken = application_set("broken", [{"unit": "crds"}], templatePatch="spec: {}")
    objs = index(
        application_set("set", [{"unit": "crds"}, {"unit": "operator"}]),
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}},
        application("plain"),
        broken,
    )
    exps = _argocd.expansions(objs, REPO)
    assert [(e.owner.ref.name, len(e.apps), e.complete) for e in exps] == [
        ("set", 2, True),
        ("plain", 1, True),
        ("broken", 0, False),
    ]
    assert [a.name for a in _argocd.applications(objs, REPO)] == ["crds", "operator", "plain"]
    assert _argocd.expand(index(broken).of_kind("ApplicationSet")[0], REPO) == []
    git = _appset([_git({"path": "overlays/prod/*"})], name="{{.path.path}}")
    assert [a.name for a in _argocd.expand(git, REPO)] == ["overlays/prod/crds"]


@pytest.mark.parametrize(
    ("body", "has"),
    [
        (app_project(), True),
        (application(), True),
        (application_set("set"), True),
        ({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}, False),
    ],
    ids=["project", "application", "application-set", "other"],
)
def test_has_argo_objects(body: Body, has: bool) -> None:
    assert _argocd.has_argo_objects(index(body)) is has
