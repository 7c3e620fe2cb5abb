"""Credentials committed in repository YAML: known token shapes and high-entropy strings.

Why: anything in the repository is in every clone, fork and CI log forever; a credential
committed once must be rotated. Argo CD can apply Secrets it does not store in git
(ExternalSecret, SealedSecret), so the repository never needs one in plain text.

Check `secret-high-entropy` (source `kuberay-gitops`, severity error), on every string
scalar of the given YAML files, and on every line of the other files a kustomization reads
(`.env` and other files of generators; `scan_plain`):
- a known token shape anywhere in the text: AWS access key id, GitHub/GitLab/Slack/
  Google/Stripe tokens, a JWT, a private key header (also base64-encoded), a URL with
  a password;
- one whitespace-free string (or the value of `KEY=value`) of at least 20 characters in
  the base64/hex alphabet with at least 4.0 bits/char of Shannon entropy that mixes
  upper case, lower case and digits (two of the three under a key that names a
  secret); hex under such a key needs only 3.0 bits/char, as hex carries at most 4.
`secret-high-entropy[secret-object]`: any other non-empty value of a `kind: Secret`'s
`data`/`stringData`, or of a kustomization `secretGenerator` literal: plain text in git
whatever its entropy, except a certificate or public key (a TLS Secret's `ca.crt` is
public by design; its `tls.key` is not) and a template placeholder a user replaces before
applying (`<your-token>`, `{{ .token }}`, `${TOKEN}`): no value is in Git yet.

Near-zero false positives on real Kubernetes YAML (none on the shared CRDs, KubeRay
operator manifests or this repository): the character-class rule excludes UUIDs,
commit ids and checksums; identifiers and JSON-pointer paths are runs of words (3.5
or more characters per camelCase/number token, random base64 averages under 2);
whitespace excludes prose; `:`, `.` and `@` exclude image references and digests;
values of `*.kubernetes.io/` and `*.k8s.io/` keys, `caBundle`, base64 certificates and
public keys, SealedSecret documents and SOPS metadata are skipped. Messages never
repeat the value, only its shape, because findings end up in CI logs.
PASS / FAIL examples: see tests/unit/test_secretscan.py
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from kuberay_gitops import inputs
from kuberay_gitops.findings import (
    FieldPath,
    Finding,
    Location,
    ObjectRef,
    Severity,
    sorted_findings,
)
from kuberay_gitops.manifests import SAFE_LOADER

CHECK_ID = "secret-high-entropy"
SECRET_OBJECT = "secret-high-entropy[secret-object]"
CHECK_IDS = (CHECK_ID, SECRET_OBJECT)
HINT = (
    "remove the value from git and rotate it; keep it in a Secret created outside the "
    "repository (ExternalSecret from the secret store, or a SealedSecret) and reference "
    "it with secretKeyRef / envFrom.secretRef"
)

MIN_LENGTH = 20
MIN_ENTROPY = 4.0
MIN_HEX_ENTROPY = 3.0

_TOKENS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("a private key", re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")),
    (
        "an AWS access key id",
        re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA|AROA)[A-Z0-9]{16}(?![A-Z0-9])"),
    ),
    ("a GitHub token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_\w{22,})")),
    ("a GitLab token", re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}")),
    ("a Slack token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}")),
    ("a Google API key", re.compile(r"\bAIza[A-Za-z0-9_-]{35}")),
    ("a Stripe secret key", re.compile(r"\b[sr]k_live_[A-Za-z0-9]{20,}")),
    ("a JWT", re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")),
)
_URL_PASSWORD = re.compile(r"\b[a-z][a-z0-9+.-]*://[^/\s:@]+:([^/\s@]+)@", re.IGNORECASE)
_PLACEHOLDER = re.compile(r"^(?:\$.*|\{\{.*\}\}|<.*>|\*+|x+|password|changeme|redacted)$", re.I)
_ASSIGNMENT = re.compile(r"-{0,2}([A-Za-z_][A-Za-z0-9_.-]*)=(\S+)")
_B64 = re.compile(r"[A-Za-z0-9+/_-]+={0,2}")
_HEX = re.compile(r"[0-9a-fA-F]+")
_SECRET_KEY = re.compile(
    r"(?:pass(?:word|wd|phrase)?|pwd|secret|token|api[_-]?key|access[_-]?key"
    r"|private[_-]?key|client[_-]?secret|credentials?|auth[_-]?key)$",
    re.IGNORECASE,
)
_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[0-9]+")
MAX_WORD_LENGTH = 3.5  # random base64 averages < 2 characters per camelCase/number token
_K8S_KEY = re.compile(r"^(?:[a-z0-9-]+\.)*(?:kubernetes\.io|k8s\.io)/")
_SKIP_KEYS = frozenset({"caBundle"})
_PUBLIC_PEM = (b"-----BEGIN CERTIFICATE", b"-----BEGIN PUBLIC KEY", b"ssh-", b"ecdsa-sha2-")


def entropy(text: str) -> float:
    """Shannon entropy in bits per character."""
    if not text:
        return 0.0
    n = len(text)
    return -sum(c / n * math.log2(c / n) for c in Counter(text).values())


def _wordy(text: str) -> bool:
    """Identifiers and paths (`/spec/workerGroupSpecs/0`) are runs of words, not noise."""
    words = _WORD.findall(text)
    return bool(words) and sum(map(len, words)) / len(words) >= MAX_WORD_LENGTH


def _b64_prefix(text: str) -> bytes:
    """The first bytes a base64 string decodes to (b"" when it is not base64)."""
    chunk = text[:64]
    try:
        if "-" in chunk or "_" in chunk:
            return base64.urlsafe_b64decode(chunk + "=" * (-len(chunk) % 4))
        return base64.b64decode(chunk + "=" * (-len(chunk) % 4))
    except (binascii.Error, ValueError):
        return b""


def classify(text: str, key: str = "") -> str | None:
    """Why a string looks like a credential, or None; `key` is the field it is under."""
    for what, pattern in _TOKENS:
        if pattern.search(text):
            return f"has the shape of {what}"
    for m in _URL_PASSWORD.finditer(text):
        if not _PLACEHOLDER.match(m.group(1)):
            return "is a URL that embeds a password"
    value = text.strip()
    if any(c.isspace() for c in value) or key in _SKIP_KEYS:
        return None
    assignment = _ASSIGNMENT.fullmatch(value)
    if assignment:
        key, value = assignment.group(1), assignment.group(2)
    if len(value) < MIN_LENGTH or not _B64.fullmatch(value):
        return None
    secret_key = bool(_SECRET_KEY.search(key))
    bits = entropy(value.rstrip("="))
    classes = sum(
        (
            any(c.isupper() for c in value),
            any(c.islower() for c in value),
            any(c.isdigit() for c in value),
        )
    )
    decoded = _b64_prefix(value)
    if b"PRIVATE KEY" in decoded:
        return "is a base64-encoded private key"
    if decoded.startswith(_PUBLIC_PEM):
        return None
    if bits >= MIN_ENTROPY and (
        (secret_key and classes >= 2) or (classes == 3 and not _wordy(value))
    ):
        return f"is a {len(value)}-character string with {bits:.1f} bits/char of entropy"
    if secret_key and _HEX.fullmatch(value) and bits >= MIN_HEX_ENTROPY:
        return f"is a {len(value)}-character hex string with {bits:.1f} bits/char under {key!r}"
    return None


# libyaml's composer is ~20x faster than a pure-Python round-trip parse (12 MB of CRDs:
# 3 s instead of 60 s) and its node marks give the same exact line and column.


def _pos(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


@dataclass(frozen=True, slots=True)
class _Scalar:
    path: FieldPath
    key: str
    text: str
    pos: tuple[int, int]
    null: bool


def _get(node: yaml.MappingNode, key: str) -> str | None:
    for k, v in node.value:
        if isinstance(k, yaml.ScalarNode) and k.value == key and isinstance(v, yaml.ScalarNode):
            return str(v.value)
    return None


def _scalars(doc: yaml.Node) -> Iterator[_Scalar]:
    """Every scalar with its field path, the key it is under and its position.

    Each node is visited once, so aliases (and alias bombs) cost nothing extra.
    """
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, FieldPath, str]] = [(doc, (), "")]
    while stack:
        node, path, key = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            env_name = _get(node, "name") if _get(node, "value") is not None else None
            for k, v in node.value:
                name = str(k.value) if isinstance(k, yaml.ScalarNode) else ""
                if _K8S_KEY.match(name) or (not path and name == "sops"):
                    continue
                child = env_name if env_name is not None and name == "value" else name
                stack.append((v, (*path, name), child))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((v, (*path, i), key) for i, v in enumerate(node.value))
        elif isinstance(node, yaml.ScalarNode):
            null = node.tag == "tag:yaml.org,2002:null"
            yield _Scalar(path, key, str(node.value), _pos(node), null)


def _ref(doc: yaml.Node) -> ObjectRef | None:
    if not isinstance(doc, yaml.MappingNode):
        return None
    kind, api_version = _get(doc, "kind"), _get(doc, "apiVersion")
    meta = next(
        (v for k, v in doc.value if isinstance(k, yaml.ScalarNode) and k.value == "metadata"),
        None,
    )
    if not kind or not isinstance(meta, yaml.MappingNode):
        return None
    name = _get(meta, "name") or _get(meta, "generateName")
    if not name:
        return None
    return ObjectRef(kind, name, _get(meta, "namespace") or None, api_version or "")


_TEMPLATE = re.compile(r"^(?:<[^<>\n]+>|\{\{.*\}\}|\$\{?[A-Za-z_][A-Za-z0-9_]*\}?)$")


def placeholder(text: str) -> bool:
    """A template placeholder (`<your-token>`, `{{ x }}`, `${X}`), never a real value."""
    return bool(_TEMPLATE.match(text.strip()))


def _public(text: str) -> bool:
    """A certificate or public key, in PEM or base64-encoded PEM: nothing to keep secret."""
    value = text.strip()
    return value.encode().startswith(_PUBLIC_PEM) or _b64_prefix(value).startswith(_PUBLIC_PEM)


def _plain_secret(kind: str, path: FieldPath) -> bool:
    """A value that is a secret by position: Secret data, secretGenerator literals."""
    if kind == "Secret":
        return len(path) == 2 and path[0] in ("data", "stringData")
    if kind in ("Kustomization", "Component", ""):
        return len(path) == 4 and path[0] == "secretGenerator" and path[2] == "literals"
    return False


def _scan_text(rel: str, text: str) -> Iterator[Finding]:
    try:
        docs = [d for d in yaml.compose_all(text, Loader=SAFE_LOADER) if d is not None]
    except Exception:  # not YAML (yamllint reports it), or a parser warning made an error
        return
    for doc in docs:
        ref = _ref(doc)
        kind = (_get(doc, "kind") if isinstance(doc, yaml.MappingNode) else None) or ""
        if kind == "SealedSecret":
            continue
        for s in _scalars(doc):
            reason = classify(s.text, s.key)
            if reason is not None:
                check, message = CHECK_ID, f"value {reason}"
            elif (
                _plain_secret(kind, s.path)
                and s.text.strip()
                and not s.null
                and not _public(s.text)
                and not placeholder(s.text)
            ):
                check, message = (
                    SECRET_OBJECT,
                    f"{kind or 'kustomization'} holds a plain-text secret value",
                )
            else:
                continue
            yield Finding(
                Location(rel, *s.pos),
                check,
                Severity.ERROR,
                message,
                obj=ref,
                field=s.path,
                hint=HINT,
            )


def scan_plain(rel: str, text: str) -> list[Finding]:
    """Lines of a file a kustomization reads that is not YAML (an `.env` of a generator).

    Each `KEY=value` line (or bare line) is classified as a scalar of that key would be;
    comments and blank lines are skipped.
    """
    out: list[Finding] = []
    for n, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        key, eq, value = stripped.partition("=")
        reason = classify(value, key.strip()) if eq else classify(stripped)
        if reason is not None:
            column = len(line) - len(line.lstrip()) + 1
            out.append(
                Finding(
                    Location(rel, n, column),
                    CHECK_ID,
                    Severity.ERROR,
                    f"value {reason}",
                    hint=HINT,
                )
            )
    return out


def scan_texts(files: Iterable[tuple[str, str]]) -> list[Finding]:
    """Secret findings for (repo-relative path, text) pairs already read by `inputs`."""
    return sorted_findings(f for rel, text in files for f in _scan_text(rel, text))


def scan(repo_root: Path, files: Sequence[Path]) -> list[Finding]:
    """Secret findings for the given repository YAML files (absolute or repo-relative).

    A file is read only when it resolves inside the repository (harden reports a symlink
    that does not) and passes the input limits (`inputs` reports one that does not).
    """
    root = repo_root.resolve()
    _, texts = inputs.inspect_all(root, (p if p.is_absolute() else root / p for p in files))
    return scan_texts(texts)
