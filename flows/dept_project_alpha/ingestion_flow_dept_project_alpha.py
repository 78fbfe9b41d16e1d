"""Parent stage flow: the ingestion stage of department project_alpha.

Runs each category flow of ``CATEGORY_FLOWS`` whose section is in the stage config, every one even after a
failure, then fails if any failed. The config: the ``config`` parameter, else the Prefect Variable
``dept_project_alpha_ingestion_config``.
Emits ``airnub.objects.stored`` when anything new was stored (the processing deployment's trigger).
"""

from typing import Any

from prefect import flow

from airnub_prefect_starter.api import (
    INGESTION,
    ItemOutcome,
    StageResult,
    install_prefect_fixes,
    load_stage_config,
    run_name,
    run_stage,
)
from flows.dept_project_alpha import DEPARTMENT
from flows.dept_project_alpha.config_models_dept_project_alpha import (
    IngestionStageConfig,
)
from flows.dept_project_alpha.ingestion.categories_dept_project_alpha import (
    CATEGORY_FLOWS,
)

__all__ = ["ingestion_flow_dept_project_alpha"]

install_prefect_fixes()  # an entry point of deployments: sub-flow runs end when their body ends


@flow(
    name="Ingestion (Project Alpha)",
    flow_run_name=run_name(DEPARTMENT, "ingestion"),
)
def ingestion_flow_dept_project_alpha(
    config: IngestionStageConfig | dict[str, Any] | None = None,
    categories: list[str] | None = None,
) -> StageResult[ItemOutcome]:
    """``airnub run --config`` passes a validated model; ``categories`` limits the run to some categories."""
    stage_config = load_stage_config(IngestionStageConfig, DEPARTMENT, "ingestion", config)
    return run_stage(INGESTION, DEPARTMENT, stage_config, CATEGORY_FLOWS, categories)
