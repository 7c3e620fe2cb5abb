from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kuberay_gitops.checks import secret_env_literal
from kuberay_gitops.checks._api import CheckContext
from kuberay_gitops.findings import format_field
from tests.builders import (
    Body,
    container,
    deployment,
    head_group,
    index,
    issues,
    raycluster,
    to_yaml,
)
from tests.conftest import CheckRun

CHECK = "secret-env-literal"
REDIS_SECRET = {"valueFrom": {"secretKeyRef": {"name": "redis", "key": "password"}}}
S3_SECRET = {"valueFrom": {"secretKeyRef": {"name": "s3", "key": "secret"}}}
DB_PASSWORD = {"name": "DB_PASSWORD", "value": "$(VAULT_DB_PASSWORD)"}


def _cluster(
    redis: dict[str, Any] = REDIS_SECRET,
    s3: dict[str, Any] = S3_SECRET,
    last: dict[str, Any] = DB_PASSWORD,
    params: dict[str, str] | None = None,
) -> Body:
    """A head-only RayCluster with GCS FT on Redis whose password and S3 key come from Secrets."""
    env = [
        {"name": "RAY_AUTH_TOKEN_PATH", "value": "/etc/ray/token"},
        {"name": "S3_SECRET_ACCESS_KEY", **s3},
        last,
    ]
    return raycluster(
        head=head_group(params=params, ray={"env": env}),
        workers=[],
        gcsFaultToleranceOptions={"redisAddress": "redis:6379", "redisPassword": redis},
    )


def test_secret_refs_paths_and_var_references_pass() -> None:
    assert issues(CHECK, _cluster()) == []


def test_literal_credential_env_and_redis_password_are_errors(
    run_check: Callable[..., CheckRun],
) -> None:
    literal = _cluster(redis={"value": "hunter2"}, s3={"value": "wJalrXUtnFEMI/K7MDENG"})
    result = run_check(CHECK, {"t/raycluster.yaml": to_yaml(literal)})
    assert result.rows() == [
        (
            CHECK,
            "rc",
            ".spec.headGroupSpec.template.spec.containers[0].env[1].value",
            "t/raycluster.yaml",
            18,
        ),
        (
            CHECK,
            "rc",
            ".spec.gcsFaultToleranceOptions.redisPassword.value",
            "t/raycluster.yaml",
            24,
        ),
    ]
    assert result.findings[0].message == (
        'container "ray-head" of the head group headgroup sets env "S3_SECRET_ACCESS_KEY" '
        "to a literal value"
    )


def test_name_patterns_option_is_honoured() -> None:
    tokens = {"name_patterns": ["TOKEN"]}
    assert issues(CHECK, _cluster(), options=tokens) == []
    assert issues(CHECK, _cluster(), options={**tokens, "exclude_patterns": []}) == [
        (
            CHECK,
            "RayCluster/rc",
            ".spec.headGroupSpec.template.spec.containers[0].env[0].value",
            'container "ray-head" of the head group headgroup sets env "RAY_AUTH_TOKEN_PATH" to a '
            "literal value",
        )
    ]


def test_a_switch_named_like_a_token_passes() -> None:
    switch = {"name": "RAY_ENABLE_K8S_TOKEN_AUTH", "value": "true"}
    assert issues(CHECK, _cluster(last=switch)) == []


def test_a_redis_password_the_shell_expands_passes() -> None:
    assert issues(CHECK, _cluster(params={"redis-password": "$REDIS_PASSWORD"})) == []


def test_a_literal_redis_password_in_ray_start_params_is_an_error() -> None:
    assert issues(CHECK, _cluster(params={"redis-password": "5241590000000000"})) == [
        (
            CHECK,
            "RayCluster/rc",
            ".spec.headGroupSpec.rayStartParams.redis-password",
            "rayStartParams redis-password is a literal value",
        )
    ]


def _found(*bodies: Body) -> list[tuple[str, str, str | None]]:
    """(field, message, hint) of each issue: the hint differs between the Redis cases."""
    ctx = CheckContext(index(*bodies), secret_env_literal.CHECK.options)
    return [(format_field(i.field), i.message, i.hint) for i in secret_env_literal.run(ctx)]


def _web(*env: dict[str, Any]) -> Body:
    return deployment("web", containers=[container("web", env=list(env))])


def _literal(name: str) -> tuple[str, str, str, str]:
    return (
        CHECK,
        "Deployment/web",
        ".spec.template.spec.containers[0].env[0].value",
        f'container "web" of the pod template sets env "{name}" to a literal value',
    )


def test_both_literal_redis_passwords_carry_their_own_hint() -> None:
    cluster = _cluster(redis={"value": "hunter2"}, params={"redis-password": "hunter2"})
    assert _found(cluster) == [
        (
            ".spec.gcsFaultToleranceOptions.redisPassword.value",
            "gcsFaultToleranceOptions.redisPassword is a literal value",
            "use redisPassword.valueFrom.secretKeyRef",
        ),
        (
            ".spec.headGroupSpec.rayStartParams.redis-password",
            "rayStartParams redis-password is a literal value",
            "use gcsFaultToleranceOptions.redisPassword.valueFrom.secretKeyRef",
        ),
    ]


def test_env_names_match_whatever_their_case() -> None:
    assert issues(CHECK, _web({"name": "db_password", "value": "hunter2"})) == [
        _literal("db_password")
    ]


def test_empty_and_blank_values_hold_no_credential() -> None:
    blank = [{"name": "DB_PASSWORD", "value": v} for v in ("", "  ")]
    assert issues(CHECK, _web(*blank), _cluster(redis={"value": ""})) == []


def test_an_empty_pattern_matches_no_name() -> None:
    # "" would match every name (and exclude every one): it is dropped, not compiled
    user = {"name": "DB_USER", "value": "ray"}
    assert issues(CHECK, _web(user), options={"name_patterns": ["TOKEN", ""]}) == []
    password = {"name": "DB_PASSWORD", "value": "hunter2"}
    assert issues(CHECK, _web(password), options={"exclude_patterns": [""]}) == [
        _literal("DB_PASSWORD")
    ]
