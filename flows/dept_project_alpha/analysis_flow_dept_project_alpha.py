"""Parent stage flow: the analysis stage of department project_alpha.

Runs each category flow of ``CATEGORY_FLOWS`` whose section is in the stage config, every one even after a
failure, then fails if any failed. The config: the ``config`` parameter, else the Prefect Variable
``dept_project_alpha_analysis_config``.
"""

from typing import Any

from prefect import flow

from airnub_prefect_starter.api import (
    ANALYSIS,
    AnalysisOutcome,
    StageResult,
    install_prefect_fixes,
    load_stage_config,
    run_name,
    run_stage,
)
from flows.dept_project_alpha import DEPARTMENT
from flows.dept_project_alpha.analysis.categories_dept_project_alpha import (
    CATEGORY_FLOWS,
)
from flows.dept_project_alpha.config_models_dept_project_alpha import (
    AnalysisStageConfig,
)

__all__ = ["analysis_flow_dept_project_alpha"]

install_prefect_fixes()  # an entry point of deployments: sub-flow runs end when their body ends


@flow(
    name="Analysis (Project Alpha)",
    flow_run_name=run_name(DEPARTMENT, "analysis"),
)
def analysis_flow_dept_project_alpha(
    config: AnalysisStageConfig | dict[str, Any] | None = None,
    categories: list[str] | None = None,
) -> StageResult[AnalysisOutcome]:
    """``airnub run --config`` passes a validated model; ``categories`` limits the run to some categories."""
    stage_config = load_stage_config(AnalysisStageConfig, DEPARTMENT, "analysis", config)
    return run_stage(ANALYSIS, DEPARTMENT, stage_config, CATEGORY_FLOWS, categories)
