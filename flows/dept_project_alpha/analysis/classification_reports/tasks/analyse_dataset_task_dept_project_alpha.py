"""Task wrappers: the four steps of analysing one processed dataset (see ``data_science.analysis_stage``)."""

from __future__ import annotations

from airnub_prefect_starter.core.analysis_config_models import AnalysedDataset
from airnub_prefect_starter.core.data_stage_results import AnalysisOutcome
from airnub_prefect_starter.data_science.analysis_stage import (
    AnalysisLayout,
    AnalysisPlan,
    draw_figures,
    plan_analysis,
    train_model,
    write_report,
)
from airnub_prefect_starter.data_science.modeling.train import TrainResult
from airnub_prefect_starter.data_science.plots import FigureSet
from airnub_prefect_starter.tasks.retry_policy import batch_task


@batch_task("Plan analysis (Project Alpha)")
def plan_analysis_task_dept_project_alpha(spec: AnalysedDataset, layout: AnalysisLayout) -> AnalysisPlan:
    """Verify the dataset, trace its raw sources through the index, and tell whether anything changed."""
    return plan_analysis(spec, layout)


@batch_task("Train and evaluate model (Project Alpha)")
def train_model_task_dept_project_alpha(plan: AnalysisPlan) -> TrainResult:
    return train_model(plan)


@batch_task("Draw figures (Project Alpha)")
def draw_figures_task_dept_project_alpha(plan: AnalysisPlan, trained: TrainResult) -> FigureSet:
    return draw_figures(plan, trained)


@batch_task("Write report (Project Alpha)")
def write_report_task_dept_project_alpha(
    plan: AnalysisPlan, trained: TrainResult, figures: FigureSet
) -> AnalysisOutcome:
    return write_report(plan, trained, figures)
