from __future__ import annotations

from collections.abc import Callable

from tests.conftest import CheckRun

RAYCLUSTER = """\
apiVersion: ray.io/v1
kind: RayCluster
metadata:
  name: rc
  namespace: kuberay
spec:
  gcsFaultToleranceOptions:
    redisAddress: redis:6379
    redisPassword:
{redis}
  headGroupSpec:
    rayStartParams: {{}}
    template:
      spec:
        containers:
          - name: ray-head
            image: rayproject/ray:2.46.0
            env:
              - name: RAY_AUTH_TOKEN_PATH
                value: /etc/ray/token
              - name: S3_SECRET_ACCESS_KEY
{s3}
              - name: DB_PASSWORD
                value: $(VAULT_DB_PASSWORD)
"""
FROM_SECRET = "      valueFrom:\n        secretKeyRef: {name: redis, key: password}"
S3_FROM_SECRET = (
    "                valueFrom:\n                  secretKeyRef: {name: s3, key: secret}"
)


def test_secret_refs_paths_and_var_references_pass(run_check: Callable[..., CheckRun]) -> None:
    files = {"t/raycluster.yaml": RAYCLUSTER.format(redis=FROM_SECRET, s3=S3_FROM_SECRET)}
    assert run_check("secret-env-literal", files).rows() == []


def test_literal_credential_env_and_redis_password_are_errors(
    run_check: Callable[..., CheckRun],
) -> None:
    text = RAYCLUSTER.format(
        redis="      value: hunter2", s3="                value: wJalrXUtnFEMI/K7MDENG"
    )
    result = run_check("secret-env-literal", {"t/raycluster.yaml": text})
    assert result.rows() == [
        (
            "secret-env-literal",
            "rc",
            ".spec.gcsFaultToleranceOptions.redisPassword.value",
            "t/raycluster.yaml",
            10,
        ),
        (
            "secret-env-literal",
            "rc",
            ".spec.headGroupSpec.template.spec.containers[0].env[1].value",
            "t/raycluster.yaml",
            22,
        ),
    ]
    assert result.findings[1].message == (
        'container "ray-head" of the head group headgroup sets env "S3_SECRET_ACCESS_KEY" '
        "to a literal value"
    )


def test_name_patterns_option_is_honoured(run_check: Callable[..., CheckRun]) -> None:
    text = RAYCLUSTER.format(redis=FROM_SECRET, s3=S3_FROM_SECRET)
    config = "checks:\n  secret-env-literal:\n    options:\n      name_patterns: [TOKEN]\n"
    assert run_check("secret-env-literal", {"t/raycluster.yaml": text}, config).rows() == []
    config_no_exclude = config + "      exclude_patterns: []\n"
    assert run_check(
        "secret-env-literal", {"t/raycluster.yaml": text}, config_no_exclude
    ).rows() == [
        (
            "secret-env-literal",
            "rc",
            ".spec.headGroupSpec.template.spec.containers[0].env[0].value",
            "t/raycluster.yaml",
            21,
        )
    ]


def test_a_switch_named_like_a_token_passes(run_check: Callable[..., CheckRun]) -> None:
    text = RAYCLUSTER.format(redis=FROM_SECRET, s3=S3_FROM_SECRET).replace(
        "              - name: DB_PASSWORD\n                value: $(VAULT_DB_PASSWORD)",
        '              - name: RAY_ENABLE_K8S_TOKEN_AUTH\n                value: "true"',
    )
    assert "RAY_ENABLE_K8S_TOKEN_AUTH" in text
    assert run_check("secret-env-literal", {"t/raycluster.yaml": text}).rows() == []


def test_a_redis_password_the_shell_expands_passes(run_check: Callable[..., CheckRun]) -> None:
    text = RAYCLUSTER.format(redis=FROM_SECRET, s3=S3_FROM_SECRET).replace(
        "    rayStartParams: {}", "    rayStartParams:\n      redis-password: $REDIS_PASSWORD"
    )
    assert "$REDIS_PASSWORD" in text
    assert run_check("secret-env-literal", {"t/raycluster.yaml": text}).rows() == []


def test_a_literal_redis_password_in_ray_start_params_is_an_error(
    run_check: Callable[..., CheckRun],
) -> None:
    text = RAYCLUSTER.format(redis=FROM_SECRET, s3=S3_FROM_SECRET).replace(
        "    rayStartParams: {}", '    rayStartParams:\n      redis-password: "5241590000000000"'
    )
    assert run_check("secret-env-literal", {"t/raycluster.yaml": text}).rows() == [
        (
            "secret-env-literal",
            "rc",
            ".spec.headGroupSpec.rayStartParams.redis-password",
            "t/raycluster.yaml",
            14,
        )
    ]
