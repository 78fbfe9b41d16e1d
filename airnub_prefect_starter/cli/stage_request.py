"""What ``airnub run DEPT STAGE --category ...`` asks for, checked without Prefect: a typo in a department, stage
or category name fails in about a second, naming the closest known name, before any Prefect API starts."""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from types import ModuleType

from pydantic import BaseModel

from airnub_prefect_starter.core.config import did_you_mean
from airnub_prefect_starter.core.departments import check_stage, department_id
from airnub_prefect_starter.core.errors import ConfigError
from airnub_prefect_starter.registry.models import department_stage_models, known_departments
from airnub_prefect_starter.stages.contract import check_categories

__all__ = ["category_sections", "check_stage_request", "known_department", "known_departments", "stage_module"]


def known_department(department: str) -> str:
    """The department id, if ``flows/dept_<id>/`` exists; else a :class:`ConfigError` naming the closest."""
    key = department_id(department)
    known = known_departments()
    if key not in known:
        raise ConfigError(
            f"department '{key}': unknown{did_you_mean(key, known)} (known: {', '.join(known) or 'none'})"
        )
    return key


def stage_module(department: str, stage: str) -> ModuleType:
    """The module of the department's parent flow for ``stage``."""
    key = known_department(department)
    check_stage(stage)
    module_name = f"flows.dept_{key}.{stage}_flow_dept_{key}"
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if not (exc.name and module_name.startswith(exc.name)):
            raise
    raise ConfigError(f"department '{key}' has no {stage} flow ({module_name} not found)") from None


def check_stage_request(department: str, stage: str, categories: Sequence[str] | None) -> None:
    """Department, stage and categories exist (else one :class:`ConfigError` naming the closest), checked before
    any Prefect API is started: a typo costs a second, not a server start and a Failed flow run. A stage's
    categories are the sections its config model adds to its base (no flow is imported)."""
    key = known_department(department)
    check_stage(stage)
    if not categories:
        return
    models = department_stage_models(key)
    if stage not in models:
        raise ConfigError(f"department '{key}' has no {stage} config model (known: {', '.join(models)})")
    check_categories(categories, category_sections(models[stage]))


def category_sections(model: type[BaseModel]) -> list[str]:
    """The keys ``model`` adds to the stage base it extends: one section per category, in run order."""
    inherited = {name for base in model.__mro__[1:] if issubclass(base, BaseModel) for name in base.model_fields}
    return [name for name in model.model_fields if name not in inherited]
