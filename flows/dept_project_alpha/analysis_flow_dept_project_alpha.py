"""Parent stage flow: Project Alpha analysis models, plots and reports the processed datasets.

Incremental: a dataset analysed before with the same hash, raw sources and parameters, whose outputs are intact,
is reported ``unchanged`` and nothing is rewritten.
"""

from __future__ import annotations

from typing import Any

from prefect import Flow, flow

from airnub_prefect_starter.common.settings import load_settings
from airnub_prefect_starter.core.analysis_config_models import AnalysisStageConfig
from airnub_prefect_starter.core.data_stage_results import AnalysisOutcome, DataStageResult
from airnub_prefect_starter.core.departments import display_name
from airnub_prefect_starter.tasks.data_stage_runner import finish_analysis_stage
from airnub_prefect_starter.tasks.stage_runner import check_categories, load_stage_config, run_categories
from flows.dept_project_alpha import DEPARTMENT
from flows.dept_project_alpha.analysis.classification_reports import (
    build_classification_reports_flow_dept_project_alpha as classification_reports,
)

CATEGORY_FLOWS: dict[str, Flow[..., list[AnalysisOutcome]]] = {
    "classification_reports": classification_reports.build_classification_reports_flow_dept_project_alpha,
}


@flow(name="Analysis (Project Alpha)")
def analysis_flow_dept_project_alpha(
    config: dict[str, Any] | None = None, categories: list[str] | None = None
) -> DataStageResult[AnalysisOutcome]:
    """Config: the ``config`` parameter, else the Prefect Variable ``dept_project_alpha_analysis_config``.
    ``categories`` limits the run to some categories. The run ends Failed when any dataset failed."""
    stage_config = load_stage_config(AnalysisStageConfig, DEPARTMENT, "analysis", config)
    check_categories(categories, list(CATEGORY_FLOWS))
    department = display_name(DEPARTMENT, load_settings().config_dir)
    by_category, crashed = run_categories(
        stage_config,
        CATEGORY_FLOWS,
        categories,
        datasets_base=stage_config.datasets_base,
        models_base=stage_config.models_base,
        reports_base=stage_config.reports_base,
        figures_base=stage_config.figures_base,
    )
    return finish_analysis_stage(department, by_category, crashed)
