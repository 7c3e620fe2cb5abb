"""What the installed package carries besides code: the pins and the twin's Go wrappers.

Why: another team installs the wheel into a repository that has no `toolchain.env` and no
`toolchain/`, yet `setup` must build, and `validate` must demand, exactly the versions
this repository pins. The package directory `pinned/` holds symlinks to `toolchain.env`
and to the wrapper modules `toolchain/etcd` and `toolchain/kube-apiserver`; building the
wheel copies their content in. So the pins have one home, in a checkout (editable
install) and in a wheel alike.
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path

from kuberay_gitops.exitcodes import ToolNotFound

_PACKAGE = "kuberay_gitops"
_DATA = "pinned"


def data_dir() -> Path:
    """The package's `pinned/` directory, on the file system (Go builds from it)."""
    root = importlib.resources.files(_PACKAGE) / _DATA
    if not isinstance(root, Path) or not root.is_dir():
        raise ToolNotFound(
            f"the installed kuberay-gitops has no {_DATA}/ data directory at {root}; "
            "reinstall the wheel (it must be installed to a directory, not run from a zip)"
        )
    return root


def toolchain_file() -> Path:
    """The `toolchain.env` the package was built with."""
    return data_dir() / "toolchain.env"


def wrapper(name: str) -> Path:
    """A Go wrapper module of the control-plane twin (`etcd`, `kube-apiserver`)."""
    path = data_dir() / name
    if not (path / "go.mod").is_file():
        raise ToolNotFound(f"no Go wrapper module for {name} in {data_dir()}; reinstall the wheel")
    return path
