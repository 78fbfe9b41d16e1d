"""Category flow: for each processed dataset of Project Alpha, a classifier, its figures and a report."""

from __future__ import annotations

from prefect import flow

from airnub_prefect_starter.common.settings import load_settings
from airnub_prefect_starter.core.analysis_config_models import AnalysedDataset, ClassificationReportsConfig
from airnub_prefect_starter.core.data_stage_results import AnalysisOutcome
from airnub_prefect_starter.core.departments import display_name
from airnub_prefect_starter.core.errors import AirnubError
from airnub_prefect_starter.data_science.analysis_stage import AnalysisLayout, unchanged_outcome
from airnub_prefect_starter.tasks.data_stage_runner import finish_data_category, report_outcome
from airnub_prefect_starter.tasks.run_context import bridge_core_logging
from flows.dept_project_alpha import DEPARTMENT
from flows.dept_project_alpha.analysis.classification_reports.tasks.analyse_dataset_task_dept_project_alpha import (
    draw_figures_task_dept_project_alpha,
    plan_analysis_task_dept_project_alpha,
    train_model_task_dept_project_alpha,
    write_report_task_dept_project_alpha,
)

CATEGORY = "classification_reports"


def _analyse(spec: AnalysedDataset, layout: AnalysisLayout) -> AnalysisOutcome:
    plan = plan_analysis_task_dept_project_alpha(spec, layout)
    if plan.up_to_date:
        return unchanged_outcome(plan)
    trained = train_model_task_dept_project_alpha(plan)
    figures = draw_figures_task_dept_project_alpha(plan, trained)
    return write_report_task_dept_project_alpha(plan, trained, figures)


@flow(name="Classification reports (Project Alpha)")
def build_classification_reports_flow_dept_project_alpha(
    config: ClassificationReportsConfig,
    datasets_base: str = "processed",
    models_base: str = "models",
    reports_base: str = "reports",
    figures_base: str = "reports/figures",
) -> list[AnalysisOutcome]:
    """Datasets one after another (matplotlib is not thread-safe); one that fails does not stop the others,
    but ends the flow Failed. A dataset analysed before with the same hash and parameters is left untouched."""
    bridge_core_logging()
    settings = load_settings()
    layout = AnalysisLayout.resolve(
        CATEGORY,
        settings,
        datasets_base=datasets_base,
        models_base=models_base,
        reports_base=reports_base,
        figures_base=figures_base,
    )
    scope = f"{display_name(DEPARTMENT, settings.config_dir)} / analysis / {CATEGORY}"
    outcomes: list[AnalysisOutcome] = []
    for spec in config.datasets:
        try:
            outcome = _analyse(spec, layout)
        except AirnubError as exc:
            outcome = AnalysisOutcome.failure(CATEGORY, spec.name, exc)
        outcomes.append(outcome)
        report_outcome(scope, len(outcomes), len(config.datasets), outcome)
    return finish_data_category(scope, outcomes)
