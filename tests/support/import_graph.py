"""The import graph of a package, read from its source with ``ast`` (nothing is imported): which module imports
which, so tests can hold the house rules (layers point down, no cycles, Prefect only at the edge)."""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

__all__ = ["back_arrows", "cycles", "import_graph", "importers_of"]


def _module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def import_graph(root: Path) -> dict[str, set[str]]:
    """``{module: {imported module, ...}}`` for every module of the package at ``root``, every import counted
    (also those inside functions and ``TYPE_CHECKING`` blocks). ``from a import b`` counts ``a.b`` when that is a
    module of the package, else ``a``."""
    paths = {_module_name(root, p): p for p in sorted(root.rglob("*.py"))}
    graph: dict[str, set[str]] = {}
    for module, path in paths.items():
        imported: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                target = _resolve(module, path.name == "__init__.py", node)
                for alias in node.names:
                    imported.add(f"{target}.{alias.name}" if f"{target}.{alias.name}" in paths else target)
        graph[module] = {name for name in imported if name != module}
    return graph


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def importers_of(graph: Mapping[str, set[str]], target: str) -> list[str]:
    """``module -> import`` for every import of ``target`` (a module or package prefix, e.g. ``prefect``)."""
    return sorted(f"{m} -> {i}" for m, imports in graph.items() for i in imports if _within(i, target))


def back_arrows(graph: Mapping[str, set[str]], layer: str, forbidden: Iterable[str]) -> list[str]:
    """``module -> import`` for every import from inside ``layer`` of anything under ``forbidden``."""
    banned = list(forbidden)
    return sorted(
        f"{m} -> {i}"
        for m, imports in graph.items()
        if _within(m, layer)
        for i in imports
        if any(_within(i, b) for b in banned)
    )


def cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (each an import cycle), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's algorithm; the package is small enough for recursion
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for child in graph.get(node, ()):
            if child not in graph:
                continue
            if child not in index:
                visit(child)
                low[node] = min(low[node], low[child])
            elif child in on_stack:
                low[node] = min(low[node], index[child])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)
