"""A department's JSON Schemas, planned with the models the plan writes: ``airnub new department`` and ``airnub new
category`` leave ``configs/schemas/dept_<id>/<stage>_config.schema.json`` matching the department's models, so the
``$schema`` line of every stage YAML they write points at a current schema.

The models are imported as the plan will leave them: ``flows.*`` modules are read from the plan's pending files
first, then from the project's own (never from another checkout on ``sys.path``), and the process's ``flows``
modules are restored afterwards.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import ModuleType

from airnub_prefect_starter.core.errors import ConfigError
from airnub_prefect_starter.generators.plan import Plan
from airnub_prefect_starter.registry.models import department_stage_models
from airnub_prefect_starter.registry.schemas import SCHEMA_DIR_NAME, department_schema_files

__all__ = ["plan_department_schemas"]

_ROOT_PACKAGE = "flows"


def _is_flows(name: str) -> bool:
    return name == _ROOT_PACKAGE or name.startswith(f"{_ROOT_PACKAGE}.")


class _TextLoader(importlib.abc.Loader):
    """Runs a module from its planned text."""

    def __init__(self, text: str, path: Path) -> None:
        self._text = text
        self._path = path

    def exec_module(self, module: ModuleType) -> None:
        exec(compile(self._text, str(self._path), "exec"), module.__dict__)  # noqa: S102 - the project's own code


class _PlannedFlows(importlib.abc.MetaPathFinder):
    """Finds ``flows.*`` in the plan's files, then the project's (a folder without ``__init__.py`` is a namespace
    package, as stage and category folders are); anything else it leaves to the other finders."""

    def __init__(self, plan: Plan) -> None:
        self._plan = plan

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if not _is_flows(fullname):
            return None
        folder = self._plan.layout.root.joinpath(*fullname.split("."))
        for candidate, package in ((folder / "__init__.py", True), (folder.with_suffix(".py"), False)):
            text = self._plan.current(candidate)
            if text is None:
                continue
            spec = importlib.util.spec_from_loader(
                fullname, _TextLoader(text, candidate), origin=str(candidate), is_package=package
            )
            if spec is not None and package:
                spec.submodule_search_locations = [str(folder)]
            if spec is not None:
                spec.has_location = True
            return spec
        if folder.is_dir() or any(folder in change.path.parents for change in self._plan.changes):
            namespace = importlib.machinery.ModuleSpec(fullname, None, is_package=True)  # a folder, no __init__.py
            namespace.submodule_search_locations = [str(folder)]
            return namespace
        raise ModuleNotFoundError(f"No module named {fullname!r}", name=fullname)


@contextlib.contextmanager
def _planned_flows(plan: Plan) -> Iterator[None]:
    saved = {name: sys.modules.pop(name) for name in list(sys.modules) if _is_flows(name)}
    finder = _PlannedFlows(plan)
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)
        for name in [name for name in sys.modules if _is_flows(name)]:
            del sys.modules[name]
        sys.modules.update(saved)


def plan_department_schemas(plan: Plan, department: str) -> None:
    """Plan ``configs/schemas/dept_<id>/<stage>_config.schema.json`` for every stage model the department will
    have once ``plan`` is applied. When its models cannot be imported (a hand-written category module with an
    error), the schemas are skipped with a note naming the problem; ``airnub config schema`` writes them later."""
    folder = plan.layout.config_dir / SCHEMA_DIR_NAME
    try:
        with _planned_flows(plan):
            files = department_schema_files(department, department_stage_models(department))
    except (ConfigError, ImportError) as exc:
        plan.skip(folder / f"dept_{department}", f"JSON Schemas not written ({exc}); run `airnub config schema`")
        return
    for name, text in files.items():
        path = folder / name
        plan.regenerated_file(path, text, plan.current(path), note="JSON Schema of the stage config")
