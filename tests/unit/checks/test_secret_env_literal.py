from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.builders import Body, head_group, issues, raycluster, to_yaml
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
