"""Category flow: for each processed dataset of Project Alpha, a classifier, its figures and a report."""

from __future__ import annotations

from prefect import flow

from airnub_prefect_starter.analysis.config import ClassificationReportsConfig
from airnub_prefect_starter.analysis.outcome import AnalysisOutcome
from airnub_prefect_starter.tasks.category_runner import analyse_category
from airnub_prefect_starter.tasks.run_names import run_name
from airnub_prefect_starter.tasks.task_runners import bounded_threads
from flows.dept_project_alpha import DEPARTMENT
from flows.dept_project_alpha.analysis.classification_reports.tasks.analyse_dataset_task_dept_project_alpha import (
    analyse_dataset_task_dept_project_alpha,
)

CATEGORY = "classification_reports"


@flow(
    name="Classification reports (Project Alpha)",
    flow_run_name=run_name(DEPARTMENT, CATEGORY),
    task_runner=bounded_threads(1),
)
def build_classification_reports_flow_dept_project_alpha(
    config: ClassificationReportsConfig,
    datasets_base: str = "processed",
    models_base: str = "models",
    reports_base: str = "reports",
    figures_base: str = "reports/figures",
) -> list[AnalysisOutcome]:
    """One task per dataset; a dataset that fails does not stop the others, but ends the flow Failed. A dataset
    analysed before with the same hash and parameters is left untouched."""
    return analyse_category(
        analyse_dataset_task_dept_project_alpha,
        config.datasets,
        department_id=DEPARTMENT,
        category=CATEGORY,
        datasets_base=datasets_base,
        models_base=models_base,
        reports_base=reports_base,
        figures_base=figures_base,
    )
