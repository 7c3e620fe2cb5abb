from __future__ import annotations

from collections.abc import Callable

from tests.conftest import CheckRun

SECRET = """\
apiVersion: v1
kind: Secret
metadata:
  name: ray-auth-token
  namespace: kuberay
type: Opaque
"""
EXTERNAL_SECRET = """\
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata:
  name: ray-auth-token
  namespace: kuberay
spec:
  secretStoreRef: {name: vault, kind: ClusterSecretStore}
  target: {name: ray-auth-token}
  data:
    - secretKey: auth_token
      remoteRef: {key: kuberay/ray-auth-token}
"""


def test_empty_secret_and_external_secret_pass(run_check: Callable[..., CheckRun]) -> None:
    files = {
        "t/secret.yaml": SECRET + "data: {}\n",
        "t/externalsecret.yaml": EXTERNAL_SECRET,
    }
    assert run_check("secret-committed", files).rows() == []


def test_secret_with_data_and_string_data_is_an_error(run_check: Callable[..., CheckRun]) -> None:
    text = SECRET + "data:\n  auth_token: c2VjcmV0\nstringData:\n  password: hunter2\n"
    result = run_check("secret-committed", {"t/secret.yaml": text})
    assert result.rows() == [
        ("secret-committed", "ray-auth-token", ".data", "t/secret.yaml", 7),
        ("secret-committed", "ray-auth-token", ".stringData", "t/secret.yaml", 9),
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
    assert run_check("secret-committed", files).rows() == [
        ("secret-committed", "redis", ".data", "t/kustomization.yaml", 5)  # `- name: redis`
    ]


def test_a_template_placeholder_is_no_value(run_check: Callable[..., CheckRun]) -> None:
    text = SECRET + "stringData:\n  hf_token: <your-hf-access-token-value>\n"
    assert run_check("secret-committed", {"t/secret.yaml": text}).rows() == []
