"""Parent stage flow: the processing stage of department project_alpha.

Runs each category flow of ``CATEGORY_FLOWS`` whose section is in the stage config, every one even after a
failure, then fails if any failed. The config: the ``config`` parameter, else the Prefect Variable
``dept_project_alpha_processing_config``.
Emits ``airnub.datasets.built`` when a dataset was built (the analysis deployment's trigger).
"""

from typing import Any

from prefect import flow

from airnub_prefect_starter.api import (
    PROCESSING,
    DatasetOutcome,
    StageResult,
    install_prefect_fixes,
    load_stage_config,
    run_name,
    run_stage,
)
from flows.dept_project_alpha import DEPARTMENT
from flows.dept_project_alpha.config_models_dept_project_alpha import (
    ProcessingStageConfig,
)
from flows.dept_project_alpha.processing.categories_dept_project_alpha import (
    CATEGORY_FLOWS,
)

__all__ = ["processing_flow_dept_project_alpha"]

install_prefect_fixes()  # an entry point of deployments: sub-flow runs end when their body ends


@flow(
    name="Processing (Project Alpha)",
    flow_run_name=run_name(DEPARTMENT, "processing"),
)
def processing_flow_dept_project_alpha(
    config: ProcessingStageConfig | dict[str, Any] | None = None,
    categories: list[str] | None = None,
) -> StageResult[DatasetOutcome]:
    """``airnub run --config`` passes a validated model; ``categories`` limits the run to some categories."""
    stage_config = load_stage_config(ProcessingStageConfig, DEPARTMENT, "processing", config)
    return run_stage(PROCESSING, DEPARTMENT, stage_config, CATEGORY_FLOWS, categories)
