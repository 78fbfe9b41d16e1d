"""Which pydantic model validates which department's stage config: the department's own, and only that.

Every department brings its models in ``flows/dept_<id>/config_models_dept_<id>.py``: a module with a
``STAGE_CONFIG_MODELS`` dict mapping each stage to its model (``airnub new department`` generates one, and
``airnub new category`` rewrites it). There is no project-wide fallback: the JSON Schemas, the config reference,
``airnub config validate`` and the runs all read the same models. Such a module must not import Prefect: config
validation runs without it.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Mapping

from pydantic import BaseModel

from airnub_prefect_starter.core.departments import department_id
from airnub_prefect_starter.core.errors import ConfigError

__all__ = ["all_department_models", "config_models_module", "department_stage_models", "known_departments"]


def config_models_module(department: str) -> str:
    """``flows.dept_<id>.config_models_dept_<id>``."""
    key = department_id(department)
    return f"flows.dept_{key}.config_models_dept_{key}"


def known_departments() -> list[str]:
    """The department ids that have a ``flows/dept_<id>/`` package (none when ``flows`` is not importable)."""
    try:
        import flows
    except ModuleNotFoundError:
        return []
    return sorted(
        m.name.removeprefix("dept_") for m in pkgutil.iter_modules(flows.__path__) if m.name.startswith("dept_")
    )


def department_stage_models(department: str) -> Mapping[str, type[BaseModel]]:
    """The stage models of ``flows.dept_<department>.config_models_dept_<department>``: a one-line
    :class:`ConfigError` naming the fix when the department has no such module or it holds no such dict."""
    key = department_id(department)
    module_name = config_models_module(key)
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if not (exc.name and module_name.startswith(exc.name)):
            raise
        raise ConfigError(
            f"department '{key}': no config models (flows/dept_{key}/config_models_dept_{key}.py not found): "
            f"generate the department with `airnub new department {key}`, or write that module with a "
            "STAGE_CONFIG_MODELS dict mapping each stage to its model"
        ) from None
    models = getattr(module, "STAGE_CONFIG_MODELS", None)
    if not isinstance(models, dict) or not all(
        isinstance(m, type) and issubclass(m, BaseModel) for m in models.values()
    ):
        raise ConfigError(f"{module_name}: STAGE_CONFIG_MODELS must map stage names to pydantic models")
    return models


def all_department_models() -> dict[str, Mapping[str, type[BaseModel]]]:
    """``{department id: its stage models}`` for every department under ``flows/`` (sorted by id)."""
    return {key: department_stage_models(key) for key in known_departments()}
