"""Parent stage flow: the processing stage of department project_alpha.

Runs each category flow of ``CATEGORY_FLOWS`` (wired by `airnub new category`) whose section is present and
enabled in the stage config, every one of them even after a failure, then fails if any of them failed.
When a dataset was built, emits ``airnub.datasets.built`` (the analysis deployment's trigger).
Everything else comes from the stage contract (``PROCESSING``) and the one stage runner.
"""

from __future__ import annotations

from typing import Any

from prefect import flow

from airnub_prefect_starter.processing.contract import PROCESSING
from airnub_prefect_starter.processing.outcome import DatasetOutcome
from airnub_prefect_starter.stages.results import StageResult
from airnub_prefect_starter.tasks import prefect_compat
from airnub_prefect_starter.tasks.run_names import run_name
from airnub_prefect_starter.tasks.stage_runner import load_stage_config, run_stage
from flows.dept_project_alpha import DEPARTMENT
from flows.dept_project_alpha.config_models_dept_project_alpha import (
    ProcessingStageConfig,
)
from flows.dept_project_alpha.processing.categories_dept_project_alpha import (
    CATEGORY_FLOWS,
)

__all__ = ["processing_flow_dept_project_alpha"]

prefect_compat.install()  # an entry point of deployments: sub-flow runs end when their body ends


@flow(
    name="Processing (Project Alpha)",
    flow_run_name=run_name(DEPARTMENT, "processing"),
)
def processing_flow_dept_project_alpha(
    config: ProcessingStageConfig | dict[str, Any] | None = None,
    categories: list[str] | None = None,
) -> StageResult[DatasetOutcome]:
    """Config: the ``config`` parameter, else the Prefect Variable ``dept_project_alpha_processing_config``.
    ``airnub run --config`` passes a validated model, which the flow run records with its URLs' credentials
    redacted. ``categories`` limits the run to some categories."""
    stage_config = load_stage_config(ProcessingStageConfig, DEPARTMENT, "processing", config)
    return run_stage(PROCESSING, DEPARTMENT, stage_config, CATEGORY_FLOWS, categories)
