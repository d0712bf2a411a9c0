"""The layers hold: imports run one way, and who may do what is decided in permissions/ only.

Read from the source (ast), as a newcomer reads it. Every import counts for the layers, one
under TYPE_CHECKING too. For cycles only the imports that run count: one under TYPE_CHECKING
names a type for mypy and is never executed, and a `strawberry.lazy("module")` reference
imports its module once the schema is built; both are how a type names one of a domain above
it. Neither is allowed where a plain import would do (where it would close no cycle), and no
import sits inside a function.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Lowest first: a module may import its own layer and those below it, never one above. The
# demo data (seed.py) runs use cases and is loaded by the command line: between the two.
LAYERS = ["kernel", "models", "resolvers", "permissions", "schema", "seed", "app"]
# Where the viewer's standing may be asked about: the viewer itself, and the one rule of event
# isolation (objects of another event are NOT_FOUND) that every lookup applies.
ACCESS_HOMES = {"resolvers/viewer.py", "resolvers/visibility.py"}
# Questions about the viewer's rights; elsewhere than permissions/ they are decisions made off
# the policy's books. (`member_in`, which of the viewer's memberships is this event's, is data.)
ACCESS_CALLS = {"permits", "holds_role", "presides", "role_in", "belongs_to", "is_assigned_to"}


def _sources(layer: str) -> list[Path]:
    module = ROOT / f"{layer}.py"
    return [module] if module.exists() else sorted((ROOT / layer).rglob("*.py"))


def _imports(path: Path) -> Iterator[tuple[int, str]]:
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module


def _name(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def test_imports_run_one_way_down_the_layers() -> None:
    upward = []
    for rank, layer in enumerate(LAYERS):
        for path in _sources(layer):
            for line, module in _imports(path):
                top = module.split(".")[0]
                if top in LAYERS and LAYERS.index(top) > rank:
                    upward.append(f"{_name(path)}:{line} imports {module}")
    assert upward == []


def test_every_layer_is_checked() -> None:
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")}
    assert packages - {"tests", "migrations", "bench"} <= set(LAYERS)
    assert all(_sources(layer) for layer in LAYERS)


def _asks_about_the_viewer(node: ast.AST) -> bool:
    if isinstance(node, ast.Call):
        called = node.func
        name = called.attr if isinstance(called, ast.Attribute) else getattr(called, "id", "")
        return name in ACCESS_CALLS
    if isinstance(node, ast.Attribute) and node.attr == "is_admin":
        # `viewer.is_admin`, `ctx.viewer.is_admin`, `ctx.require_viewer().is_admin`; a User's
        # own `is_admin` (the type's field, the CLI) is data.
        owner = node.value
        if isinstance(owner, ast.Call):
            owner = owner.func
        named = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
        return "viewer" in named
    return False


def test_access_is_decided_in_permissions_only() -> None:
    found = []
    for layer in ("app", "schema", "resolvers"):
        for path in _sources(layer):
            if _name(path) in ACCESS_HOMES:
                continue
            tree = ast.parse(path.read_text(), str(path))
            found += [
                f"{_name(path)}:{node.lineno} {ast.unparse(node)}"
                for node in ast.walk(tree)
                if _asks_about_the_viewer(node)
            ]
    assert found == []


def test_every_way_in_opens_its_context_the_same_way() -> None:
    """GraphQL, the WebSocket, the HTTP routes and the command line start a request with
    `AgoraContext.open`, and so does a push's shared read (`reader`); nothing else builds a
    context another way."""
    built = set()
    for path in [*_sources("app"), *_sources("schema"), *_sources("seed")]:
        for function in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(function, ast.FunctionDef):
                continue
            for node in ast.walk(function):
                if isinstance(node, ast.Call) and getattr(node.func, "id", "").endswith("Context"):
                    built.add(f"{_name(path)}:{function.name}")
    assert built == set()


def _module(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def _type_checking_only(node: ast.AST) -> bool:
    """`if TYPE_CHECKING:` (or `typing.TYPE_CHECKING`): its body runs for mypy only."""
    if not isinstance(node, ast.If):
        return False
    test = node.test
    return getattr(test, "id", getattr(test, "attr", None)) == "TYPE_CHECKING"


def _runtime_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node of the tree except the bodies of `if TYPE_CHECKING:` (their `else` runs)."""
    pending = [tree]
    while pending:
        node = pending.pop()
        yield node
        if _type_checking_only(node):
            assert isinstance(node, ast.If)
            pending.extend([node.test, *node.orelse])
        else:
            pending.extend(ast.iter_child_nodes(node))


def _edges(tree: ast.AST, modules: set[str]) -> set[str]:
    """The project's modules that running this tree imports."""
    edges: set[str] = set()
    for node in _runtime_nodes(tree):
        if isinstance(node, ast.Import):
            edges |= {a.name for a in node.names if a.name in modules}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            subs = {f"{node.module}.{a.name}" for a in node.names}
            edges |= subs & modules or ({node.module} & modules)
    return edges


def _modules() -> dict[str, Path]:
    return {_module(p): p for layer in LAYERS for p in _sources(layer)}


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        graph[name] = _edges(ast.parse(path.read_text(), str(path)), set(modules)) - {name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(component)

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles() -> None:
    assert _cycles(_graph()) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]


def test_an_import_for_the_type_checker_only_is_no_edge() -> None:
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "import typing\n"
        "import a\n"
        "if TYPE_CHECKING:\n"
        "    import b\n"
        "if typing.TYPE_CHECKING:\n"
        "    from c import C\n"
        "else:\n"
        "    from d import D\n"
        "if x:\n"
        "    import e\n"
    )
    assert _edges(tree, {"a", "b", "c", "d", "e"}) == {"a", "d", "e"}


def _lazy_references(path: Path) -> Iterator[tuple[int, str | None]]:
    """Each `strawberry.lazy(...)` of the file: its line and the module it names (None when
    the module is not written out)."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if not isinstance(node, ast.Call):
            continue
        called = node.func
        named = called.attr if isinstance(called, ast.Attribute) else getattr(called, "id", "")
        if named != "lazy":
            continue
        argument = node.args[0] if len(node.args) == 1 and not node.keywords else None
        if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
            yield node.lineno, argument.value
        else:
            yield node.lineno, None


def _reaches(graph: dict[str, set[str]], start: str, goal: str) -> bool:
    seen, pending = set(), [start]
    while pending:
        node = pending.pop()
        if node == goal:
            return True
        if node not in seen:
            seen.add(node)
            pending.extend(graph.get(node, ()))
    return False


def test_the_reach_finder_follows_imports_one_way() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": set(), "d": {"a"}}
    assert _reaches(graph, "d", "c")
    assert not _reaches(graph, "c", "a")


def test_lazy_references_only_point_back_up() -> None:
    """A type names one of another domain lazily only where importing that domain's module
    would close a cycle (the module imports, at run time, the one that names it); everywhere
    else a plain import says it. Relative module paths are refused: they read differently
    from every other import here."""
    graph = _graph()
    modules = _modules()
    wrong = []
    for name, path in modules.items():
        for line, target in _lazy_references(path):
            where = f"{_name(path)}:{line}"
            if target is None or target not in modules:
                wrong.append(f"{where} names no module of the project: {target!r}")
            elif not _reaches(graph, target, name):
                wrong.append(f"{where} could import {target}: it does not import {name}")
    assert wrong == []


def test_no_function_local_imports() -> None:
    local = []
    for layer in LAYERS:
        for path in _sources(layer):
            for function in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                    local += [
                        f"{_name(path)}:{node.lineno}"
                        for node in ast.walk(function)
                        if isinstance(node, ast.Import | ast.ImportFrom)
                    ]
    assert local == []
