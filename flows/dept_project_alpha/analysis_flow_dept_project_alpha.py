"""Parent stage flow: the analysis stage of department project_alpha.

Runs each category flow of ``CATEGORY_FLOWS`` (wired by `airnub new category`) whose section is present and
enabled in the stage config, every one of them even after a failure, then fails if any of them failed.
Everything else comes from the stage contract (``ANALYSIS``) and the one stage runner.
"""

from __future__ import annotations

from typing import Any

from prefect import flow

from airnub_prefect_starter.analysis.contract import ANALYSIS
from airnub_prefect_starter.analysis.outcome import AnalysisOutcome
from airnub_prefect_starter.stages.results import StageResult
from airnub_prefect_starter.tasks import prefect_compat
from airnub_prefect_starter.tasks.run_names import run_name
from airnub_prefect_starter.tasks.stage_runner import load_stage_config, run_stage
from flows.dept_project_alpha import DEPARTMENT
from flows.dept_project_alpha.analysis.categories_dept_project_alpha import (
    CATEGORY_FLOWS,
)
from flows.dept_project_alpha.config_models_dept_project_alpha import (
    AnalysisStageConfig,
)

__all__ = ["analysis_flow_dept_project_alpha"]

prefect_compat.install()  # an entry point of deployments: sub-flow runs end when their body ends


@flow(
    name="Analysis (Project Alpha)",
    flow_run_name=run_name(DEPARTMENT, "analysis"),
)
def analysis_flow_dept_project_alpha(
    config: AnalysisStageConfig | dict[str, Any] | None = None,
    categories: list[str] | None = None,
) -> StageResult[AnalysisOutcome]:
    """Config: the ``config`` parameter, else the Prefect Variable ``dept_project_alpha_analysis_config``.
    ``airnub run --config`` passes a validated model, which the flow run records with its URLs' credentials
    redacted. ``categories`` limits the run to some categories."""
    stage_config = load_stage_config(AnalysisStageConfig, DEPARTMENT, "analysis", config)
    return run_stage(ANALYSIS, DEPARTMENT, stage_config, CATEGORY_FLOWS, categories)
