"""The bad-input corpus: what a contributor may push, and what `validate` must answer.

Each case is a tiny repository tree (written into a temporary directory, so malformed bytes,
symlinks and FIFOs never live in this repository where they would trip its own lint), the
exit code it must end with (1: a finding, 3: cannot check) and a pattern the one line that
reports it must match. That line must also name `file`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

KUSTOMIZATION = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: ns\ndata:\n  k: v\n"


def kustomization(*resources: str, extra: str = "") -> str:
    """A kustomization listing the given resources."""
    listed = "".join(f"  - {r}\n" for r in resources)
    return KUSTOMIZATION + (f"resources:\n{listed}" if resources else "") + extra


OPERATOR_BASE = "https://github.com/ray-project/kuberay/ray-operator/config/default?ref=v1.7.0"


def configmap(name: str = "cm") -> str:
    """A valid ConfigMap, so a target has one good object besides the bad input."""
    return CM.format(name=name)


def _target(files: Mapping[str, str | bytes], *resources: str) -> dict[str, str | bytes]:
    """`t/` with the given files, listed as resources unless a kustomization is given."""
    tree: dict[str, str | bytes] = {f"t/{k}": v for k, v in files.items()}
    tree.setdefault("t/kustomization.yaml", kustomization(*(resources or tuple(files))))
    return tree


def _nested(depth: int) -> str:
    return (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deep\n  namespace: ns\n"
        "  annotations:\n    a: " + "[" * depth + "]" * depth + "\n"
    )


BILLION_LAUGHS = (
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: lol\n  namespace: ns\ndata:\n"
    '  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    + "".join(
        f"  {chr(ord('b') + i)}: &{chr(ord('b') + i)} [{','.join(['*' + chr(ord('a') + i)] * 9)}]\n"
        for i in range(8)
    )
)


def _big_file(megabytes: int) -> str:
    """A valid ConfigMap of the given size: many moderate keys, as a generated file would be."""
    line = "  key{:07d}: " + "x" * 100 + "\n"
    count = megabytes * 1024 * 1024 // (len(line) + 3)
    return (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\n  namespace: ns\ndata:\n"
        + "".join(line.format(i) for i in range(count))
    )


@dataclass(frozen=True)
class Case:
    """One bad input and the answer `validate` must give."""

    name: str
    files: Mapping[str, str | bytes]
    exit_code: int
    pattern: str
    file: str
    symlinks: Mapping[str, str] = field(default_factory=dict)
    fifos: tuple[str, ...] = ()
    config: str = ""
    targets: tuple[str, ...] = ("t",)
    write_config: bool = True


CASES: tuple[Case, ...] = (
    # --- YAML syntax and encoding --------------------------------------------------------
    Case(
        "invalid-yaml-syntax",
        _target({"cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x\n"}),
        1,
        r"syntax",
        "t/cm.yaml",
    ),
    Case(
        "tab-indentation",
        _target({"cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n\tname: x\n"}),
        1,
        r"syntax|tab",
        "t/cm.yaml",
    ),
    Case(
        "duplicate-keys",
        _target({"cm.yaml": configmap() + "data:\n  k: w\n"}),
        1,
        r"duplicat",
        "t/cm.yaml",
    ),
    Case(
        "non-utf8-bytes",
        _target({"cm.yaml": configmap().encode() + b"  bad: \xff\xfe\n"}),
        1,
        r"not UTF-8",
        "t/cm.yaml",
    ),
    Case(
        "byte-order-mark",
        _target({"cm.yaml": "\ufeff" + configmap()}),
        1,
        r"byte.order.mark|BOM",
        "t/cm.yaml",
    ),
    Case(
        "crlf-line-endings",
        _target({"cm.yaml": configmap().replace("\n", "\r\n")}),
        1,
        r"new-lines|line ending",
        "t/cm.yaml",
    ),
    Case(
        "nul-byte",
        _target({"cm.yaml": configmap().encode() + b"  z: a\x00b\n"}),
        1,
        r"syntax|control|NUL|special characters",
        "t/cm.yaml",
    ),
    # --- empty and degenerate documents ----------------------------------------------------
    Case(
        "empty-file-is-the-only-resource",
        _target({"empty.yaml": ""}),
        1,
        r"no objects|empty",
        "t",
    ),
    Case(
        "comment-only-file-is-the-only-resource",
        _target({"c.yaml": "# nothing here yet\n"}),
        1,
        r"no objects|empty",
        "t",
    ),
    Case(
        "empty-documents-between-separators",
        _target({"cm.yaml": "---\n---\n" + configmap() + "---\n---\n", "x.yaml": "---\n"}),
        1,
        r"empty|document",
        "t/cm.yaml",
    ),
    Case(
        "scalar-document",
        _target({"cm.yaml": configmap() + "---\njust a string\n"}),
        1,
        r"mapping|object|kind",
        "t",
    ),
    Case(
        "top-level-list-document",
        _target({"cm.yaml": "- a\n- b\n"}),
        1,
        r"mapping|object|kind|list",
        "t",
    ),
    Case(
        "unsafe-python-tag",
        _target({"cm.yaml": configmap() + "  x: !!python/object:os.system ls\n"}),
        1,
        r"tag|python",
        "t/cm.yaml",
    ),
    # --- resource exhaustion ----------------------------------------------------------------
    Case(
        "alias-bomb-billion-laughs",
        _target({"cm.yaml": BILLION_LAUGHS}),
        1,
        r"alias",
        "t/cm.yaml",
    ),
    Case(
        "twenty-megabyte-file",
        _target({"big.yaml": _big_file(20)}),
        1,
        r"too large|exceeds|size",
        "t/big.yaml",
    ),
    Case(
        "very-deep-nesting",
        _target({"cm.yaml": _nested(5000)}),
        1,
        r"nest|deep",
        "t/cm.yaml",
    ),
    # --- kustomize graph --------------------------------------------------------------------
    Case(
        "kustomization-lists-a-missing-file",
        _target({"cm.yaml": configmap()}, "cm.yaml", "missing.yaml"),
        1,
        r"missing\.yaml",
        "t",
    ),
    Case(
        "base-cycle",
        {
            "t/kustomization.yaml": kustomization("../u"),
            "u/kustomization.yaml": kustomization("../t"),
        },
        1,
        r"cycle|cyclic|recurs",
        "t",
    ),
    Case(
        "kustomization-is-not-a-mapping",
        {"t/kustomization.yaml": "- resources\n"},
        1,
        r"kustomization",
        "t",
    ),
    Case(
        "duplicate-object-in-a-target",
        _target({"a.yaml": configmap(), "b.yaml": configmap()}),
        1,
        r"already registered|duplicate|conflict",
        "t",
    ),
    Case(
        "path-escape",
        {"t/kustomization.yaml": kustomization("../../etc")},
        1,
        r"outside",
        "t/kustomization.yaml",
    ),
    Case(
        "exec-plugin",
        {
            "t/kustomization.yaml": kustomization("cm.yaml", extra="generators:\n  - gen.yaml\n"),
            "t/cm.yaml": configmap(),
            "t/gen.yaml": (
                "apiVersion: example.com/v1\nkind: Gen\nmetadata:\n  name: g\n  annotations:\n"
                "    config.kubernetes.io/function: |\n      exec:\n        path: ./run.sh\n"
            ),
        },
        1,
        r"plugin|function|exec",
        "t/kustomization.yaml",
    ),
    Case(
        "helm-charts",
        {
            "t/kustomization.yaml": kustomization(
                extra="helmCharts:\n  - name: ray\n    repo: https://ray-project.github.io/kuberay-helm\n"
            )
        },
        1,
        r"[Hh]elm",
        "t/kustomization.yaml",
    ),
    Case(
        "unpinned-remote-base",
        {
            "t/kustomization.yaml": kustomization(
                "https://github.com/ray-project/kuberay/ray-operator/config/default"
            )
        },
        1,
        r"pinned|ref",
        "t/kustomization.yaml",
    ),
    Case(
        "symlink-out-of-the-repository",
        {"t/kustomization.yaml": kustomization("cm.yaml")},
        1,
        r"symlink|outside",
        "t/cm.yaml",
        symlinks={"t/cm.yaml": "/etc/hostname"},
    ),
    Case(
        "symlink-loop",
        {"t/kustomization.yaml": kustomization("cm.yaml")},
        1,
        r"symlink|loop",
        "t/cm.yaml",
        symlinks={"t/cm.yaml": "cm.yaml"},
    ),
    Case(
        "resource-is-a-fifo-that-would-hang-kustomize",
        {"t/kustomization.yaml": kustomization("fifo.yaml")},
        1,
        r"FIFO",
        "t/fifo.yaml",
        fifos=("t/fifo.yaml",),
    ),
    Case(
        "base-kustomization-is-a-fifo",
        {"t/kustomization.yaml": kustomization("../b")},
        1,
        r"FIFO",
        "b/kustomization.yaml",
        fifos=("b/kustomization.yaml",),
    ),
    Case(
        "kustomize-build-exceeds-the-render-timeout",
        {"t/kustomization.yaml": kustomization(OPERATOR_BASE)},
        1,
        r"timed out after 0\.05s",
        "t/kustomization.yaml",
        config="render:\n  timeout_seconds: 0.05\n",
    ),
    # --- objects ------------------------------------------------------------------------------
    Case(
        "kind-list",
        _target(
            {
                "list.yaml": "apiVersion: v1\nkind: List\nitems:\n  - "
                + configmap().replace("\n", "\n    ").rstrip()
                + "\n"
            }
        ),
        1,
        r"List",
        "t/list.yaml",
    ),
    Case(
        "object-without-metadata-name",
        _target({"cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  namespace: ns\n"}),
        1,
        r"name",
        "t",
    ),
    Case(
        "unknown-apiversion-of-a-known-kind",
        _target(
            {
                "rc.yaml": "apiVersion: ray.io/v1alpha1\nkind: RayCluster\nmetadata:\n"
                "  name: rc\n  namespace: ns\nspec: {}\n"
            }
        ),
        1,
        r"ray\.io/v1alpha1",
        "t/rc.yaml",
    ),
    Case(
        "apiversion-no-crd-serves",
        _target(
            {
                "rc.yaml": "apiVersion: ray.io/v1beta1\nkind: RayCluster\nmetadata:\n"
                "  name: rc\n  namespace: ns\nspec: {}\n"
            }
        ),
        1,
        r"ray\.io/v1beta1",
        "t/rc.yaml",
    ),
    Case(
        "metadata-is-not-a-mapping",
        _target({"cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: 5\n"}),
        1,
        r"metadata",
        "t",
    ),
    # --- configuration (cannot check: exit 3) -----------------------------------------------
    Case(
        "config-is-invalid-yaml",
        {**_target({"cm.yaml": configmap()}), "kuberay-gitops.yaml": "version: [1\n"},
        3,
        r"not valid YAML",
        "kuberay-gitops.yaml",
        write_config=False,
    ),
    Case(
        "config-has-an-unknown-key",
        _target({"cm.yaml": configmap()}),
        3,
        r'unknown key "colour"',
        "kuberay-gitops.yaml",
        config="colour: blue\n",
    ),
    Case(
        "no-render-target-found",
        {"elsewhere/cm.yaml": configmap()},
        3,
        r"no render targets",
        "targets",
    ),
)
