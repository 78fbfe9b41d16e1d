"""Which pydantic model validates which stage's config.

``STAGE_CONFIG_MODELS`` is the project-wide default. A department can bring its own models: a module
``flows.dept_<id>.config_models_dept_<id>`` with a ``STAGE_CONFIG_MODELS`` dict (``airnub new department``
generates one). Such a module must not import Prefect: config validation runs without it.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping

from pydantic import BaseModel

from airnub_prefect_starter.analysis.config import AnalysisStageConfig
from airnub_prefect_starter.core.departments import department_id
from airnub_prefect_starter.core.errors import ConfigError
from airnub_prefect_starter.ingestion.config import IngestionStageConfig
from airnub_prefect_starter.processing.config import ProcessingStageConfig

__all__ = ["STAGE_CONFIG_MODELS", "department_stage_models"]

STAGE_CONFIG_MODELS: dict[str, type[BaseModel]] = {
    "ingestion": IngestionStageConfig,
    "processing": ProcessingStageConfig,
    "analysis": AnalysisStageConfig,
}


def department_stage_models(department: str) -> Mapping[str, type[BaseModel]] | None:
    """The stage models of ``flows.dept_<department>.config_models_dept_<department>``, or ``None`` when the
    department has no such module (then :data:`STAGE_CONFIG_MODELS` applies)."""
    key = department_id(department)
    module_name = f"flows.dept_{key}.config_models_dept_{key}"
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            return None
        raise
    models = getattr(module, "STAGE_CONFIG_MODELS", None)
    if not isinstance(models, dict) or not all(
        isinstance(m, type) and issubclass(m, BaseModel) for m in models.values()
    ):
        raise ConfigError(f"{module_name}: STAGE_CONFIG_MODELS must map stage names to pydantic models")
    return models
