from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.builders import Body, issues, to_yaml
from tests.conftest import CheckRun

CHECK = "secret-committed"


def _secret(**fields: Any) -> Body:
    meta = {"name": "ray-auth-token", "namespace": "kuberay"}
    return {"apiVersion": "v1", "kind": "Secret", "metadata": meta, "type": "Opaque", **fields}


def test_empty_secret_and_external_secret_pass() -> None:
    external = {
        "apiVersion": "external-secrets.io/v1",
        "kind": "ExternalSecret",
        "metadata": {"name": "ray-auth-token", "namespace": "kuberay"},
        "spec": {
            "secretStoreRef": {"name": "vault", "kind": "ClusterSecretStore"},
            "target": {"name": "ray-auth-token"},
            "data": [{"secretKey": "auth_token", "remoteRef": {"key": "kuberay/ray-auth-token"}}],
        },
    }
    assert issues(CHECK, _secret(data={}), external) == []


def test_secret_with_data_and_string_data_is_an_error(run_check: Callable[..., CheckRun]) -> None:
    secret = _secret(data={"auth_token": "c2VjcmV0"}, stringData={"password": "hunter2"})
    result = run_check(CHECK, {"t/secret.yaml": to_yaml(secret)})
    assert result.rows() == [
        (CHECK, "ray-auth-token", ".data", "t/secret.yaml", 7),
        (CHECK, "ray-auth-token", ".stringData", "t/secret.yaml", 9),
    ]
    assert result.findings[0].message == "Secret carries data for 'auth_token' in Git"


def test_secret_generator_output_is_reported_at_its_generator_entry(
    run_check: Callable[..., CheckRun],
) -> None:
    files = {
        "t/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1beta1\n"
        "kind: Kustomization\nnamespace: kuberay\nsecretGenerator:\n  - name: redis\n"
        "    literals: [password=hunter2]\n    options: {disableNameSuffixHash: true}\n",
    }
    assert run_check(CHECK, files).rows() == [
        (CHECK, "redis", ".data", "t/kustomization.yaml", 5)  # `- name: redis`
    ]


def test_a_template_placeholder_is_no_value() -> None:
    placeholder = _secret(stringData={"hf_token": "<your-hf-access-token-value>"})
    assert issues(CHECK, placeholder) == []
