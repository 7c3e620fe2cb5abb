from __future__ import annotations

import http.server
import os
import threading

import pytest

from kuberay_gitops.exitcodes import ConfigError
from kuberay_gitops.filememo import RunCache
from kuberay_gitops.findings import Finding
from kuberay_gitops.harden import scan
from kuberay_gitops.tools.runner import run
from tests.conftest import TOOLS_DIR, WriteTree, require_setup

ALLOWED = ("https://github.com/ray-project/kuberay",)
HEAD = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n"
Row = tuple[str, str, int | None, str]


def rows(findings: list[Finding]) -> list[Row]:
    return [(f.check_id, f.location.file, f.location.line, f.field_str) for f in findings]


def scan_overlay(
    write_tree: WriteTree, body: str, extra: dict[str, str] | None = None
) -> list[Row]:
    """An overlay `t/` with the given kustomization body over a clean base."""
    root = write_tree(
        {
            "base/kustomization.yaml": HEAD + "resources:\n  - configmap.yaml\n",
            "base/configmap.yaml": CONFIGMAP,
            "t/kustomization.yaml": HEAD + body,
            **(extra or {}),
        }
    )
    return rows(scan(root, ["t"], ALLOWED, RunCache()))


def test_clean_tree_passes(write_tree: WriteTree) -> None:
    body = (
        "resources:\n  - ../base\n"
        "components:\n  - ../components/labels\n"
        "patches:\n  - path: patch-configmap.yaml\n"
        "configMapGenerator:\n  - name: settings\n    files: [conf=settings.conf]\n"
    )
    extra = {
        "t/patch-configmap.yaml": CONFIGMAP + "data:\n  a: b\n",
        "t/settings.conf": "a=b\n",
        "components/labels/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\n"
        "kind: Component\nlabels:\n  - pairs: {team: ray}\n",
    }
    assert scan_overlay(write_tree, body, extra) == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ("generators:\n  - exec-plugin.yaml\n", ".generators[0]"),
        ("transformers:\n  - krm-function.yaml\n", ".transformers[0]"),
        ("validators:\n  - validator.yaml\n", ".validators[0]"),
        ("Generators:\n  - exec-plugin.yaml\n", ".Generators[0]"),
        ("? !!binary Z2VuZXJhdG9ycw==\n: [exec-plugin.yaml]\n", ".generators[0]"),
    ],
    ids=["generators", "transformers", "validators", "case-folded", "binary-key"],
)
def test_plugin_entry_is_refused(write_tree: WriteTree, body: str, field: str) -> None:
    assert scan_overlay(write_tree, "resources:\n  - ../base\n" + body) == [
        ("harden-plugins", "t/kustomization.yaml", 6, field)
    ]


def test_helm_charts_are_refused(write_tree: WriteTree) -> None:
    body = "helmCharts:\n  - name: kuberay-operator\n    repo: https://ray-project.github.io/kuberay-helm\n"
    assert scan_overlay(write_tree, body) == [
        ("harden-plugins", "t/kustomization.yaml", 4, ".helmCharts[0]")
    ]


def test_helm_globals_are_refused(write_tree: WriteTree) -> None:
    assert scan_overlay(write_tree, "helmGlobals:\n  chartHome: charts\n") == [
        ("harden-plugins", "t/kustomization.yaml", 3, ".helmGlobals")
    ]


@pytest.mark.parametrize(
    "path", ["../../../etc/passwd", "/etc/passwd"], ids=["relative", "absolute"]
)
def test_resource_path_outside_the_repository_is_refused(write_tree: WriteTree, path: str) -> None:
    assert scan_overlay(write_tree, f"resources: [{path}]\n") == [
        ("harden-path-escape", "t/kustomization.yaml", 3, ".resources[0]")
    ]


def test_patch_path_outside_the_repository_is_refused(write_tree: WriteTree) -> None:
    body = "resources:\n  - ../base\npatches:\n  - path: ../../patch.yaml\n"
    assert scan_overlay(write_tree, body) == [
        ("harden-path-escape", "t/kustomization.yaml", 6, ".patches[0].path")
    ]


def test_generator_file_outside_the_repository_is_refused(write_tree: WriteTree) -> None:
    body = "configMapGenerator:\n  - name: x\n    files:\n      - key=../../../etc/shadow\n"
    assert scan_overlay(write_tree, body) == [
        ("harden-path-escape", "t/kustomization.yaml", 6, ".configMapGenerator[0].files[0]")
    ]


def test_symlink_to_etc_is_refused(write_tree: WriteTree) -> None:
    root = write_tree(
        {
            "t/kustomization.yaml": HEAD + "resources:\n  - configmap.yaml\n",
            "t/configmap.yaml": CONFIGMAP,
        }
    )
    os.symlink("/etc", root / "t" / "host-etc")
    assert rows(scan(root, ["t"], ALLOWED, RunCache())) == [
        ("harden-path-escape", "t/host-etc", None, "")
    ]


def test_resource_through_a_symlink_out_of_the_repository_is_refused(
    write_tree: WriteTree,
) -> None:
    root = write_tree({"t/kustomization.yaml": HEAD + "resources:\n  - passwd.yaml\n"})
    os.symlink("/etc/passwd", root / "t" / "passwd.yaml")
    assert rows(scan(root, ["t"], ALLOWED, RunCache())) == [
        ("harden-path-escape", "t/kustomization.yaml", 4, ".resources[0]"),
        ("harden-path-escape", "t/passwd.yaml", None, ""),
    ]


def test_symlink_inside_the_repository_passes(write_tree: WriteTree) -> None:
    root = write_tree(
        {
            "t/kustomization.yaml": HEAD + "resources:\n  - link.yaml\n",
            "shared/configmap.yaml": CONFIGMAP,
        }
    )
    os.symlink("../shared/configmap.yaml", root / "t" / "link.yaml")
    assert rows(scan(root, ["t"], ALLOWED, RunCache())) == []


def test_escape_in_a_base_is_reported_in_the_base(write_tree: WriteTree) -> None:
    root = write_tree(
        {
            "base/kustomization.yaml": HEAD + "resources:\n  - ../../outside\n",
            "t/kustomization.yaml": HEAD + "resources:\n  - ../base\n",
        }
    )
    assert rows(scan(root, ["t"], ALLOWED, RunCache())) == [
        ("harden-path-escape", "base/kustomization.yaml", 4, ".resources[0]")
    ]


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/ray-project/kuberay//ray-operator/config/crd",
        "https://github.com/ray-project/kuberay//ray-operator/config/crd?ref=main",
        "https://github.com/ray-project/kuberay//ray-operator/config/crd?ref=release-1.7",
        "https://github.com/ray-project/kuberay//ray-operator/config/crd?ref=v1.7.0;x=y",
    ],
    ids=["no-ref", "ref-main", "release-branch", "unparseable-query"],
)
def test_unpinned_remote_base_is_refused(write_tree: WriteTree, url: str) -> None:
    assert scan_overlay(write_tree, f"resources:\n  - {url}\n") == [
        ("harden-remote-base[unpinned]", "t/kustomization.yaml", 4, ".resources[0]")
    ]


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/evil-org/kuberay//config?ref=v1.7.0",
        "https://github.com/ray-project/kuberay-fork//config?ref=v1.7.0",
        "https://github.com@evil.example/ray-project/kuberay//config?ref=v1.7.0",
        "https://github.com/ray-project/kuberay/../../evil-org/repo//config?ref=v1.7.0",
        "http://github.com/ray-project/kuberay//config?ref=v1.7.0",
        "https://raw.githubusercontent.com/ray-project/kuberay/v1.7.0/crd.yaml",
    ],
    ids=["other-org", "longer-repo-name", "userinfo-host", "dot-dot", "plain-http", "raw-file"],
)
def test_remote_outside_allowed_remotes_is_refused(write_tree: WriteTree, url: str) -> None:
    assert scan_overlay(write_tree, f"resources:\n  - {url}\n") == [
        ("harden-remote-base", "t/kustomization.yaml", 4, ".resources[0]")
    ]


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/ray-project/kuberay//ray-operator/config/crd?ref=v1.7.0",
        "github.com/ray-project/kuberay/ray-operator/config/crd?ref=v1.7.0",
        "git@github.com:ray-project/kuberay.git//ray-operator/config/crd?version=v1.7.0",
        "https://github.com/ray-project/kuberay//ray-operator?ref=0123456789abcdef0123456789abcdef01234567",
    ],
    ids=["https-tag", "shorthand", "scp-version", "commit"],
)
def test_pinned_allowed_remote_passes(write_tree: WriteTree, url: str) -> None:
    assert scan_overlay(write_tree, f"resources:\n  - {url}\n") == []


def test_duplicate_keys_are_ambiguous(write_tree: WriteTree) -> None:
    body = "resources: [../base]\nresources: [../../../etc]\n"
    assert scan_overlay(write_tree, body) == [("harden-ambiguous", "t/kustomization.yaml", 4, "")]


def test_non_ascii_field_name_is_ambiguous(write_tree: WriteTree) -> None:
    # encoding/json folds U+017F (long s) to "S", so kustomize reads this as `transformers`
    body = "resources: [../base]\ntran\u017fformers: [t.yaml]\n"
    assert scan_overlay(write_tree, body) == [
        ("harden-ambiguous", "t/kustomization.yaml", 4, ".tran\u017fformers")
    ]


def test_invalid_allowed_remote_is_a_config_error(write_tree: WriteTree) -> None:
    root = write_tree({"t/kustomization.yaml": HEAD})
    with pytest.raises(ConfigError, match="not a git URL"):
        scan(root, ["t"], ["ray-project"], RunCache())


def test_messages_name_the_offending_value(write_tree: WriteTree) -> None:
    root = write_tree({"t/kustomization.yaml": HEAD + "resources: [../../../etc/passwd]\n"})
    [finding] = scan(root, ["t"], ALLOWED, RunCache())
    assert finding.message == (
        'path "../../../etc/passwd" resolves outside the repository; expected a path inside it'
    )
    assert finding.hint


def test_escape_in_a_component_is_reported_in_the_component(write_tree: WriteTree) -> None:
    root = write_tree(
        {
            "components/x/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\n"
            "kind: Component\npatches:\n  - path: ../../../patch.yaml\n",
            "t/kustomization.yaml": HEAD + "components:\n  - ../components/x\n",
        }
    )
    assert rows(scan(root, ["t"], ALLOWED, RunCache())) == [
        ("harden-path-escape", "components/x/kustomization.yaml", 4, ".patches[0].path")
    ]


def test_remote_patch_file_is_checked_like_a_remote_base(write_tree: WriteTree) -> None:
    body = "resources: [../base]\npatches:\n  - path: https://evil.example/patch.yaml\n"
    assert scan_overlay(write_tree, body) == [
        ("harden-remote-base", "t/kustomization.yaml", 5, ".patches[0].path")
    ]


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/ray-project/kuberay/raw/master/ray-operator/crd.yaml?ref=v1.7.0",
        "https://github.com/ray-project/kuberay/blob/master/ray-operator/crd?raw=true&ref=v1.7.0",
        "https://github.com/ray-project/kuberay/raw/refs/heads/master/crd.yaml",
        "https://github.com/ray-project/kuberay/releases/download/nightly/crd.yaml",
        "https://github.com/ray-project/kuberay/ray-operator/config/crd.yaml?ref=v1.7.0",
        "https://github.com/ray-project/kuberay//raw/release-1.7/crd.yaml?ref=v1.7.0",
    ],
    ids=["raw-branch", "blob-raw-query", "raw-refs-heads", "release-asset", "file-name", "slashes"],
)
def test_file_url_without_a_pin_in_its_path_is_refused(write_tree: WriteTree, url: str) -> None:
    assert scan_overlay(write_tree, f"resources:\n  - {url}\n") == [
        ("harden-remote-base[file-url]", "t/kustomization.yaml", 4, ".resources[0]")
    ]


def test_raw_host_file_url_on_a_branch_is_refused(write_tree: WriteTree) -> None:
    url = "https://raw.githubusercontent.com/ray-project/kuberay/master/crd.yaml?ref=v1.7.0"
    root = write_tree({"t/kustomization.yaml": HEAD + f"resources:\n  - {url}\n"})
    allowed = [*ALLOWED, "https://raw.githubusercontent.com/ray-project/kuberay"]
    assert rows(scan(root, ["t"], allowed, RunCache())) == [
        ("harden-remote-base[file-url]", "t/kustomization.yaml", 4, ".resources[0]")
    ]


def test_file_url_message_names_the_segment_kustomize_fetches(write_tree: WriteTree) -> None:
    url = "https://github.com/ray-project/kuberay/raw/master/crd.yaml?ref=v1.7.0"
    root = write_tree({"t/kustomization.yaml": HEAD + f"resources:\n  - {url}\n"})
    [finding] = scan(root, ["t"], ALLOWED, RunCache())
    assert finding.message == (
        f'remote "{url}" is a file URL: kustomize fetches it with a plain HTTP GET and ignores '
        'ref=, so its path must carry the pin, and "master" (the segment after the repository) '
        "is no tag like v1.2.3 or 40-hex commit"
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/ray-project/kuberay/raw/v1.7.0/ray-operator/crd.yaml",
        "https://github.com/ray-project/kuberay/raw/0123456789abcdef0123456789abcdef01234567/c.yaml",
        "https://github.com/ray-project/kuberay/raw/refs/tags/v1.7.0/crd.yaml",
        "https://github.com/ray-project/kuberay/releases/download/v1.7.0/crd.yaml",
    ],
    ids=["tag", "commit", "refs-tags", "release-asset"],
)
def test_file_url_pinned_in_its_path_passes(write_tree: WriteTree, url: str) -> None:
    assert scan_overlay(write_tree, f"resources:\n  - {url}\n") == []


def test_file_url_outside_allowed_remotes_is_refused_as_a_remote(write_tree: WriteTree) -> None:
    url = "https://github.com/evil-org/kuberay/raw/v1.7.0/crd.yaml"
    assert scan_overlay(write_tree, f"resources:\n  - {url}\n") == [
        ("harden-remote-base", "t/kustomization.yaml", 4, ".resources[0]")
    ]


class _Raw(http.server.BaseHTTPRequestHandler):
    """A Git host's raw route that, like GitHub's, serves the branch in the path."""

    def do_GET(self) -> None:
        path = self.path.partition("?")[0]
        revision = path.split("/")[4] if path.startswith("/org/repo/raw/") else ""
        body = f"{CONFIGMAP}data:\n  revision: {revision}\n".encode()
        self.send_response(200 if revision else 404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


def test_kustomize_fetches_a_file_url_over_http_ignoring_ref(write_tree: WriteTree) -> None:
    require_setup()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Raw)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}/org/repo"
        url = f"{base}/raw/master/cm.yaml?ref=v1.7.0"
        root = write_tree({"t/kustomization.yaml": HEAD + f"resources:\n  - {url}\n"})
        built = run([str(TOOLS_DIR / "kustomize"), "build", str(root / "t")], timeout=60)
        findings = rows(scan(root, ["t"], [base], RunCache()))
    finally:
        server.shutdown()
        server.server_close()
    assert (built.returncode, built.stderr) == (0, "")
    assert "revision: master\n" in built.stdout  # the branch in the path; ref= was ignored
    assert findings == [
        ("harden-remote-base[file-url]", "t/kustomization.yaml", 4, ".resources[0]")
    ]
