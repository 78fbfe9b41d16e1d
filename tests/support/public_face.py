"""Which modules import the package from anywhere but its public face (``airnub_prefect_starter.api``), read from
the source with ``ast`` (nothing is imported)."""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

__all__ = ["PUBLIC_FACE", "private_imports"]

PACKAGE = "airnub_prefect_starter"
PUBLIC_FACE = f"{PACKAGE}.api"


def _imported(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        if node.module == PACKAGE:  # `from airnub_prefect_starter import api` is the face; anything else is not
            return [f"{PACKAGE}.{alias.name}" for alias in node.names]
        return [node.module]
    return []


def private_imports(paths: Iterable[Path], root: Path) -> list[str]:
    """``<file>:<line> imports <module>`` for every import of the package other than its public face in the
    Python files under ``paths`` (files or folders), every import counted (also inside functions and
    ``TYPE_CHECKING`` blocks); files named relative to ``root``."""
    found: list[str] = []
    files = sorted(f for p in paths for f in ([p] if p.is_file() else p.rglob("*.py")))
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            for module in _imported(node):
                if (module == PACKAGE or module.startswith(f"{PACKAGE}.")) and module != PUBLIC_FACE:
                    line = getattr(node, "lineno", 0)
                    found.append(f"{path.relative_to(root).as_posix()}:{line} imports {module}")
    return found
