"""Rules of the package's shape, read from its source (AST): nothing is imported to check it.

- No module-level mutable state: what a run learns lives in objects the run creates
  (`filememo.RunCache`), so a second run in one process (`new-env`, tests) starts clean.
- Layers (`kuberay_gitops_dev.layers`): no import cycle, no module importing a layer above
  its own, every module in a layer, and docs/architecture.md showing the generated table.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from pathlib import Path

from kuberay_gitops_dev import layers
from tests.conftest import REPO_ROOT

PACKAGE = REPO_ROOT / "scripts" / "kuberay_gitops"

# Calls that build a mutable container or carry state between calls.
MUTABLE_FACTORIES = frozenset(
    {
        "dict", "list", "set", "bytearray", "defaultdict", "OrderedDict", "Counter", "deque",
        "ChainMap", "SimpleNamespace", "Queue", "Lock", "RLock", "local", "FileMemo", "RunCache",
    }
)  # fmt: skip
CACHE_DECORATORS = frozenset({"lru_cache", "cache", "cached"})


def modules() -> dict[str, Path]:
    """Every module of the package by dotted name below `kuberay_gitops` ("" for itself)."""
    out: dict[str, Path] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Call):
        return _name(node.func)
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def _mutable(value: ast.expr) -> bool:
    """Whether a value expression builds something a caller could change."""
    if isinstance(value, ast.Dict | ast.List | ast.Set | ast.DictComp | ast.ListComp):
        return True
    if isinstance(value, ast.SetComp | ast.GeneratorExp):
        return True
    if isinstance(value, ast.Tuple):
        return any(_mutable(e) for e in value.elts)
    if isinstance(value, ast.BinOp):  # `{...} | {...}`, `[...] + [...]`
        return _mutable(value.left) or _mutable(value.right)
    if isinstance(value, ast.Call):
        name = _name(value)
        if name in MUTABLE_FACTORIES:
            return True
        if name == "MappingProxyType" and value.args and isinstance(value.args[0], ast.Dict):
            inner = value.args[0]
            # `**other` entries have no key; what they spread is judged where it is defined
            return any(_mutable(v) for k, v in zip(inner.keys, inner.values, strict=True) if k)
    return False


def _statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Statements run at import time, through `if`/`try` blocks, and class bodies."""
    for stmt in body:
        yield stmt
        if isinstance(stmt, ast.If | ast.Try):
            yield from _statements(stmt.body)
            yield from _statements(stmt.orelse)
            for handler in getattr(stmt, "handlers", []):
                yield from _statements(handler.body)
        elif isinstance(stmt, ast.ClassDef):
            yield from _statements(stmt.body)


def mutable_state(tree: ast.Module) -> Iterator[tuple[str, int]]:
    """(name, line) of every module-level mutable value, cache decorator and `global`."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Global):
            yield f"global {', '.join(node.names)}", node.lineno
    for stmt in _statements(tree.body):
        if isinstance(stmt, ast.Assign | ast.AnnAssign) and stmt.value is not None:
            if _mutable(stmt.value):
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                for target in targets:
                    yield ast.unparse(target), stmt.lineno
        elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            for deco in stmt.decorator_list:
                if _name(deco) in CACHE_DECORATORS:
                    yield f"@{_name(deco)} {stmt.name}", stmt.lineno


def test_no_module_level_mutable_state() -> None:
    found = sorted(
        f"{path.relative_to(REPO_ROOT)}:{line}: {name}"
        for path in modules().values()
        for name, line in mutable_state(ast.parse(path.read_text(encoding="utf-8")))
    )
    assert found == [], (
        "module-level mutable state; make a constant a MappingProxyType, frozenset or "
        "tuple, and pass run state in an object the run creates (filememo.RunCache)"
    )


def test_the_state_scan_sees_each_kind_of_state() -> None:
    source = """
import functools
from types import MappingProxyType
A = {}
B: list[int] = []
C = frozenset({1})
D = MappingProxyType({"k": (1, 2)})
E = MappingProxyType({"k": [1]})
F = FileMemo()
G = (1, [2])
H = re.compile("x")
class K:
    L = set()
@functools.lru_cache(maxsize=1)
def f() -> None:
    global M
N = {"a": 1} | {"b": 2}
O = MappingProxyType({"a": 1} | {"b": 2})
P = 2**31
"""
    assert sorted(mutable_state(ast.parse(source))) == [
        ("@lru_cache f", 15),
        ("A", 4),
        ("B", 5),
        ("E", 8),
        ("F", 9),
        ("G", 10),
        ("L", 13),
        ("N", 17),
        ("global M", 16),
    ]


def test_every_module_is_in_exactly_the_layers_that_name_it() -> None:
    graph = layers.import_graph()
    unplaced = sorted(m for m in graph if layers.layer_of(m) is None)
    assert unplaced == [], "place these modules in kuberay_gitops_dev/layers.py LAYERS"
    named = [m for layer in layers.LAYERS for m in layer.modules]
    assert len(named) == len(set(named)), "a module named in two layers"
    stale = [m for m in named if m not in graph and not any(g.startswith(m + ".") for g in graph)]
    assert stale == [], "LAYERS names modules that do not exist"


def test_imports_have_no_cycle_and_no_back_edge() -> None:
    graph = layers.import_graph()
    assert layers.cycles(graph) == []
    back = layers.back_edges(graph)
    assert [e for e in back if e not in layers.ALLOWED_BACK_EDGES] == [], (
        "a module imports a higher layer: move the shared part down, or the importer up"
    )
    assert sorted(set(layers.ALLOWED_BACK_EDGES) - set(back)) == [], "stale ALLOWED_BACK_EDGES"


def _names(node: ast.Import | ast.ImportFrom) -> list[str]:
    return [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]


def test_the_shipped_package_never_imports_the_development_tools() -> None:
    found = [
        f"{path.relative_to(REPO_ROOT)}:{node.lineno}"
        for path in modules().values()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Import | ast.ImportFrom)
        and any(n.startswith("kuberay_gitops_dev") for n in _names(node))
    ]
    assert found == []


def test_docs_architecture_shows_the_generated_layers() -> None:
    doc = (REPO_ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    assert layers.markdown(layers.import_graph()) in doc, (
        "regenerate: make docs (python -m kuberay_gitops_dev.layers --write docs/architecture.md)"
    )


def _package(tmp_path: Path, files: Mapping[str, str]) -> Path:
    root = tmp_path / "kuberay_gitops"
    for rel, text in {"__init__.py": "", **files}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def test_the_graph_sees_function_local_and_relative_imports_and_finds_a_cycle(
    tmp_path: Path,
) -> None:
    root = _package(
        tmp_path,
        {
            "a.py": "def f():\n    from kuberay_gitops import b\n",
            "b.py": "from .sub import c\n",
            "sub/__init__.py": "",
            "sub/c.py": "import kuberay_gitops.a\nfrom kuberay_gitops import __version__\n",
        },
    )
    graph = layers.import_graph(root)
    assert graph == {
        "": frozenset(),
        "a": frozenset({"b"}),
        "b": frozenset({"sub.c"}),
        "sub": frozenset(),
        "sub.c": frozenset({"a", ""}),
    }
    assert layers.cycles(graph) == [["a", "b", "sub.c"]]


def test_a_lower_layer_importing_a_higher_one_is_a_back_edge() -> None:
    assert layers.layer_of("tools.runner") == 0  # a subpackage's pattern
    assert layers.layer_of("checks._api") == layers.layer_of("index")  # a name beats it
    graph = {"render": frozenset({"cluster"}), "cluster": frozenset({"render"})}
    assert layers.back_edges(graph) == [("render", "cluster")]
