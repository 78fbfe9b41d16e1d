"""Parent stage flow: Project Alpha analysis models, plots and reports the processed datasets.

Incremental: a dataset analysed before with the same hash, raw sources and parameters, whose outputs are intact,
is reported ``unchanged`` and nothing is rewritten.
"""

from __future__ import annotations

from typing import Any

from prefect import Flow, flow

from airnub_prefect_starter.analysis.config import AnalysisStageConfig
from airnub_prefect_starter.analysis.contract import ANALYSIS
from airnub_prefect_starter.analysis.outcome import AnalysisOutcome
from airnub_prefect_starter.stages.results import StageResult
from airnub_prefect_starter.tasks import prefect_compat
from airnub_prefect_starter.tasks.stage_runner import load_stage_config, run_stage
from flows.dept_project_alpha import DEPARTMENT
from flows.dept_project_alpha.analysis.classification_reports.build_classification_reports_flow_dept_project_alpha import (  # noqa: E501
    build_classification_reports_flow_dept_project_alpha,
)

prefect_compat.install()  # an entry point of deployments: sub-flow runs end when their body ends

CATEGORY_FLOWS: dict[str, Flow[..., list[AnalysisOutcome]]] = {
    "classification_reports": build_classification_reports_flow_dept_project_alpha,
}


@flow(name="Analysis (Project Alpha)")
def analysis_flow_dept_project_alpha(
    config: dict[str, Any] | None = None, categories: list[str] | None = None
) -> StageResult[AnalysisOutcome]:
    """Config: the ``config`` parameter, else the Prefect Variable ``dept_project_alpha_analysis_config``.
    ``categories`` limits the run to some categories. The run ends Failed when any dataset failed."""
    stage_config = load_stage_config(AnalysisStageConfig, DEPARTMENT, "analysis", config)
    return run_stage(ANALYSIS, DEPARTMENT, stage_config, CATEGORY_FLOWS, categories)
