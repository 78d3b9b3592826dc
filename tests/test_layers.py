"""The package's layers import one way, with no circles, and the lower layers keep no state.

core -> ingest -> analysis -> render -> run -> cli: a module imports pamgeo modules of its own
layer or the layers before it, never after. Every import counts, also those inside functions
(a function-level import is still a dependency; it only hides a circle).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import pamgeo

PACKAGE = Path(pamgeo.__file__).resolve().parent
LAYERS = ("core", "ingest", "analysis", "render", "run", "cli")
STATELESS = ("ingest", "analysis", "render")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, ast.Module]:
    return {_module_name(p): ast.parse(p.read_text(encoding="utf-8"), str(p)) for p in sorted(PACKAGE.rglob("*.py"))}


def _layer(module: str) -> int:
    """Rank of a module's layer; the package root (``pamgeo/__init__``) sits with core."""
    parts = module.split(".")
    if len(parts) == 1:
        return 0
    return LAYERS.index(parts[1])


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(module: str, tree: ast.Module, known: set[str]) -> set[str]:
    """The pamgeo modules ``module`` imports (anywhere in its code)."""
    is_package = module == "pamgeo" or (PACKAGE.parent / module.replace(".", "/") / "__init__.py").exists()
    out: set[str] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(module, is_package, node)
            names = [f"{target}.{a.name}" if f"{target}.{a.name}" in known else target for a in node.names]
        for name in names:
            if name == "pamgeo" or name.startswith("pamgeo."):
                # the longest known module the name starts with
                while name not in known and "." in name:
                    name = name.rsplit(".", 1)[0]
                if name != module:
                    out.add(name)
    return out


def _graph() -> dict[str, set[str]]:
    mods = _modules()
    known = set(mods)
    return {m: _imports(m, tree, known) for m, tree in mods.items()}


def test_every_module_belongs_to_a_layer():
    for module in _modules():
        parts = module.split(".")
        assert len(parts) == 1 or parts[1] in LAYERS, f"{module} is in no layer of {LAYERS}"


def test_no_upward_import():
    upward = []
    for module, deps in _graph().items():
        for dep in deps:
            # a package's __init__ (the layer's docstring) belongs to its layer; the root to core
            if _layer(dep) > _layer(module):
                upward.append(f"{module} ({LAYERS[_layer(module)]}) imports {dep} ({LAYERS[_layer(dep)]})")
    assert upward == []


def test_no_import_circle():
    graph = _graph()
    state: dict[str, int] = {}
    stack: list[str] = []
    circles: list[list[str]] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for dep in sorted(graph.get(node, ())):
            if state.get(dep) == 1:
                circles.append([*stack[stack.index(dep):], dep])
            elif dep not in state:
                visit(dep)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    assert circles == []


def test_the_walk_sees_function_level_and_relative_imports(tmp_path):
    tree = ast.parse("def f():\n    from pamgeo.run import runner\n    from ..core import codes\n")
    known = {"pamgeo.run.runner", "pamgeo.core.codes", "pamgeo.ingest.io"}
    assert _imports("pamgeo.ingest.io", tree, known) == {"pamgeo.run.runner", "pamgeo.core.codes"}


def _module_level_state(tree: ast.Module) -> list[str]:
    """Module-level names bound to a mutable container or a cache, and ``global`` statements."""
    found = []
    mutable = (ast.Dict, ast.List, ast.Set, ast.DictComp, ast.ListComp, ast.SetComp)
    for node in tree.body:
        targets, value = [], None
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        for target in targets:
            name = getattr(target, "id", "")
            if name == "__all__":
                continue
            is_call = isinstance(value, ast.Call) and getattr(value.func, "id", "") in (
                "dict", "list", "set", "defaultdict")
            empty = is_call or (isinstance(value, mutable) and not any(
                getattr(value, f, None) for f in ("keys", "elts", "elt", "key")))
            # a filled UPPER_CASE table is a constant (styles, column orders); an empty container
            # (to be filled later) or a lower-case one is state
            if empty or (isinstance(value, mutable) and not name.isupper()):
                found.append(f"{name} (line {node.lineno})")
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            for dec in node.decorator_list:
                text = ast.unparse(dec)
                if "cache" in text:
                    found.append(f"@{text} on {node.name} (line {node.lineno})")
    for node in ast.walk(tree):
        if isinstance(node, ast.Global):
            found.append(f"global {', '.join(node.names)} (line {node.lineno})")
    return found


@pytest.mark.parametrize("layer", STATELESS)
def test_lower_layers_keep_no_module_state(layer):
    state = {}
    for module, tree in _modules().items():
        if module.split(".")[1:2] == [layer]:
            found = _module_level_state(tree)
            if found:
                state[module] = found
    assert state == {}


def test_the_state_check_finds_state():
    tree = ast.parse("import functools\n_KEPT: dict = {}\nCOLOURS = {'a': 1}\n"
                     "@functools.cache\ndef f():\n    global _X\n")
    assert _module_level_state(tree) == ["_KEPT (line 2)", "@functools.cache on f (line 5)", "global _X (line 6)"]
