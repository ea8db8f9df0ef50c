"""The modules of quantum_zvm.common depend on one another in one direction only.

Imports are read from the source (``ast``), those inside functions included:
a local import that dodges an import-time cycle is still a cycle.
"""
from __future__ import annotations

import ast
import pathlib

import quantum_zvm.common

PACKAGE = "quantum_zvm.common"
DIRECTORY = pathlib.Path(quantum_zvm.common.__file__).parent


def _absolute(node: ast.ImportFrom, module: str) -> str:
    """The module an ``from ... import`` names, relative forms resolved from ``module``."""
    if not node.level:
        return node.module or ""
    base = module.rsplit(".", node.level)[0]
    return f"{base}.{node.module}" if node.module else base


def imported_modules(path: pathlib.Path, module: str) -> set[str]:
    """Every module name ``path`` imports (``from P import x`` counts as P and P.x)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            source = _absolute(node, module)
            names.add(source)
            names.update(f"{source}.{alias.name}" for alias in node.names)
    return names


def package_graph(directory: pathlib.Path, package: str) -> dict[str, set[str]]:
    """``{module: modules of the same package it imports}`` for the package's modules."""
    modules = {path.stem: path for path in directory.glob("*.py") if path.stem != "__init__"}
    graph = {}
    for name, path in modules.items():
        imported = imported_modules(path, f"{package}.{name}")
        graph[name] = {other for other in modules
                       if other != name and f"{package}.{other}" in imported}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as ``[a, b, ..., a]``, or None when it has none."""
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> list[str] | None:
        if node in path:
            return path[path.index(node):] + [node]
        if node in done:
            return None
        for successor in sorted(graph.get(node, ())):
            cycle = visit(successor, path + [node])
            if cycle:
                return cycle
        done.add(node)
        return None

    for start in sorted(graph):
        cycle = visit(start, [])
        if cycle:
            return cycle
    return None


def test_common_modules_import_each_other_without_a_cycle():
    graph = package_graph(DIRECTORY, PACKAGE)
    assert {"config", "log"} <= set(graph)
    cycle = find_cycle(graph)
    assert cycle is None, f"import cycle in {PACKAGE}: {' -> '.join(cycle or [])}"


def test_log_depends_on_config_not_the_reverse():
    graph = package_graph(DIRECTORY, PACKAGE)
    assert "config" in graph["log"] and "log" not in graph["config"]


def test_local_and_relative_imports_count(tmp_path):
    (tmp_path / "a.py").write_text("def f():\n    from pkg import b\n")
    (tmp_path / "b.py").write_text("from .c import thing\n")
    (tmp_path / "c.py").write_text("import pkg.a\n")
    graph = package_graph(tmp_path, "pkg")
    assert graph == {"a": {"b"}, "b": {"c"}, "c": {"a"}}
    assert find_cycle(graph) == ["a", "b", "c", "a"]


def test_find_cycle_on_a_dag():
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None
