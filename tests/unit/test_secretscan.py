from __future__ import annotations

import base64
from pathlib import Path

import pytest

from kuberay_gitops.findings import Finding
from kuberay_gitops.secretscan import scan, scan_plain
from tests.conftest import WriteTree, shared_dir

# Well-known documentation examples and obviously fake values, never real credentials.
AWS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
GITHUB_TOKEN = "ghp_" + "x1Y2z3" * 6
Row = tuple[str, str, str, int | None, str]


def rows(findings: list[Finding]) -> list[Row]:
    return [
        (f.check_id, f.obj.name if f.obj else "", f.field_str, f.location.line, f.location.file)
        for f in findings
    ]


def scan_tree(write_tree: WriteTree, files: dict[str, str]) -> list[Row]:
    root = write_tree(files)
    return rows(scan(root, [root / rel for rel in files]))


def configmap(data: str) -> str:
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n{data}"


def test_aws_access_key_id_is_reported(write_tree: WriteTree) -> None:
    files = {"t/configmap.yaml": configmap(f"  AWS_ACCESS_KEY_ID: {AWS_KEY_ID}\n")}
    assert scan_tree(write_tree, files) == [
        ("secret-high-entropy", "cm", ".data.AWS_ACCESS_KEY_ID", 6, "t/configmap.yaml")
    ]


def test_github_token_in_an_env_value_is_reported(write_tree: WriteTree) -> None:
    pod = (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n"
        "    - name: c\n      image: busybox:1.36\n      env:\n"
        f"        - name: GH_TOKEN\n          value: {GITHUB_TOKEN}\n"
    )
    assert scan_tree(write_tree, {"t/pod.yaml": pod}) == [
        ("secret-high-entropy", "p", ".spec.containers[0].env[0].value", 11, "t/pod.yaml")
    ]


def test_private_key_block_is_reported(write_tree: WriteTree) -> None:
    data = "  key.pem: |\n    -----BEGIN RSA PRIVATE KEY-----\n    MIIEpAIBAAKCAQEA\n"
    assert scan_tree(write_tree, {"t/configmap.yaml": configmap(data)}) == [
        ("secret-high-entropy", "cm", ".data.key.pem", 6, "t/configmap.yaml")
    ]


def test_high_entropy_string_is_reported(write_tree: WriteTree) -> None:
    files = {"t/configmap.yaml": configmap(f"  signing: {AWS_SECRET}\n")}
    assert scan_tree(write_tree, files) == [
        ("secret-high-entropy", "cm", ".data.signing", 6, "t/configmap.yaml")
    ]


def test_high_entropy_value_of_an_assignment_is_reported(write_tree: WriteTree) -> None:
    files = {"t/configmap.yaml": configmap(f"  args: --secret-key={AWS_SECRET}\n")}
    assert scan_tree(write_tree, files) == [
        ("secret-high-entropy", "cm", ".data.args", 6, "t/configmap.yaml")
    ]


def test_url_with_a_password_is_reported(write_tree: WriteTree) -> None:
    files = {"t/configmap.yaml": configmap("  repo: https://bot:hunter2@git.example.com/x.git\n")}
    assert scan_tree(write_tree, files) == [
        ("secret-high-entropy", "cm", ".data.repo", 6, "t/configmap.yaml")
    ]


def test_plain_secret_object_is_reported_whatever_its_entropy(write_tree: WriteTree) -> None:
    secret = (
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n"
        "stringData:\n  password: hunter2\n  empty: ''\n  unset: null\n"
    )
    assert scan_tree(write_tree, {"t/secret.yaml": secret}) == [
        ("secret-high-entropy[secret-object]", "db", ".stringData.password", 6, "t/secret.yaml")
    ]


def test_a_certificate_in_a_secret_passes_and_its_key_does_not(write_tree: WriteTree) -> None:
    # Fake PEM bodies: what decides is the header, which a CA bundle Secret has in clear.
    cert = base64.b64encode(b"-----BEGIN CERTIFICATE-----\nMIIBfake\n").decode()
    key = base64.b64encode(b"-----BEGIN EC PARAMETERS-----\nBggqfake\n").decode()
    secret = (
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: ca-tls\n"
        f"data:\n  ca.crt: {cert}\n  ca.key: {key}\n"
    )
    found = scan_tree(write_tree, {"t/secret.yaml": secret})
    assert [(field, line) for _, _, field, line, _ in found] == [(".data.ca.key", 7)]


def test_a_template_placeholder_in_a_secret_passes(write_tree: WriteTree) -> None:
    secret = (
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: hf\n"
        "stringData:\n  hf_token: <your-hf-access-token-value>\n"
    )
    assert scan_tree(write_tree, {"t/secret.yaml": secret}) == []


def test_secret_generator_literal_is_reported(write_tree: WriteTree) -> None:
    kustomization = (
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
        "secretGenerator:\n  - name: db\n    literals:\n      - password=hunter2\n"
    )
    assert scan_tree(write_tree, {"t/kustomization.yaml": kustomization}) == [
        (
            "secret-high-entropy[secret-object]",
            "",
            ".secretGenerator[0].literals[0]",
            6,
            "t/kustomization.yaml",
        )
    ]


def test_message_never_repeats_the_value(write_tree: WriteTree) -> None:
    root = write_tree({"t/configmap.yaml": configmap(f"  signing: {AWS_SECRET}\n")})
    [finding] = scan(root, [root / "t/configmap.yaml"])
    assert AWS_SECRET not in finding.message
    assert finding.message == "value is a 40-character string with 4.7 bits/char of entropy"
    assert "SealedSecret" in finding.hint


@pytest.mark.parametrize(
    "value",
    [
        "rayproject/ray@sha256:" + "0123456789abcdef" * 4,
        "sha256:" + "0123456789abcdef" * 4,
        "https://github.com/ray-project/kuberay//ray-operator/config?ref=v1.7.0",
        "https://user:${GIT_PASSWORD}@git.example.com/x.git",
        "'3f2a9c0d1e4b5a6978c0d1e2f3a4b5c6d7e8f901'",
        "6f1c2a9e-1b2c-4d5e-8f90-123456789abc",
        "/spec/workerGroupSpecs/0/template/spec/containers/0/resources",
        "ClusterFirstWithHostNet",
        "Serve autoscaling keeps 2 replicas warm for p99 latency below 300ms",
        "ServerSideApply=true",
        "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJrVENCK3dJSkFL",
    ],
    ids=[
        "image-digest",
        "bare-digest",
        "url",
        "url-placeholder",
        "commit-sha",
        "uuid",
        "json-pointer",
        "enum",
        "prose",
        "sync-option",
        "base64-certificate",
    ],
)
def test_ordinary_kubernetes_values_pass(write_tree: WriteTree, value: str) -> None:
    assert scan_tree(write_tree, {"t/configmap.yaml": configmap(f"  v: {value}\n")}) == []


def test_kubernetes_io_annotation_values_pass(write_tree: WriteTree) -> None:
    deployment = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\n  annotations:\n"
        f"    kubectl.kubernetes.io/last-applied-configuration: {AWS_SECRET}\n"
    )
    assert scan_tree(write_tree, {"t/deployment.yaml": deployment}) == []


def test_sealed_secret_ciphertext_passes(write_tree: WriteTree) -> None:
    sealed = (
        "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: db\n"
        f"spec:\n  encryptedData:\n    password: {AWS_SECRET}\n"
    )
    assert scan_tree(write_tree, {"t/sealedsecret.yaml": sealed}) == []


def test_file_linked_from_outside_the_repository_is_never_read(
    write_tree: WriteTree, tmp_path_factory: pytest.TempPathFactory
) -> None:
    outside = tmp_path_factory.mktemp("outside") / "leak.yaml"
    outside.write_text(configmap(f"  k: {AWS_KEY_ID}\n"))
    root = write_tree({"t/configmap.yaml": configmap("  a: b\n")})
    (root / "t" / "link.yaml").symlink_to(outside)
    assert rows(scan(root, [root / "t/configmap.yaml", root / "t/link.yaml"])) == []


def test_upstream_crds_have_no_findings() -> None:
    root = shared_dir()
    files = sorted(
        p for p in (root / "crds").rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file()
    )
    assert files, f"no CRD YAML under {root / 'crds'}"
    assert rows(scan(root, files)) == []


def test_relative_paths_are_taken_from_the_repository_root(write_tree: WriteTree) -> None:
    root = write_tree({"t/configmap.yaml": configmap(f"  k: {AWS_KEY_ID}\n")})
    assert rows(scan(root, [Path("t/configmap.yaml")])) == [
        ("secret-high-entropy", "cm", ".data.k", 6, "t/configmap.yaml")
    ]


def test_plain_env_lines_are_classified_by_their_key() -> None:
    token = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
    found = scan_plain("x.env", f"# comment\n\nLOG_LEVEL=info\n  API_KEY={token}\n")
    assert [(f.location.line, f.location.column, f.check_id) for f in found] == [
        (4, 3, "secret-high-entropy")
    ]
    assert token not in found[0].message
