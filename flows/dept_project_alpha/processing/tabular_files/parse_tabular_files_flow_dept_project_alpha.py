"""Category flow: parse Project Alpha's stored CSV files into schema-checked Parquet datasets."""

from __future__ import annotations

from prefect import flow

from airnub_prefect_starter.processing.config import TabularFilesConfig
from airnub_prefect_starter.processing.outcome import DatasetOutcome
from airnub_prefect_starter.tasks.category_runner import process_category
from airnub_prefect_starter.tasks.run_names import run_name
from airnub_prefect_starter.tasks.task_runners import bounded_threads
from flows.dept_project_alpha import DEPARTMENT
from flows.dept_project_alpha.processing.tabular_files.tasks.build_file_dataset_task_dept_project_alpha import (
    build_file_dataset_task_dept_project_alpha,
)

CATEGORY = "tabular_files"


@flow(
    name="Tabular files (Project Alpha)", flow_run_name=run_name(DEPARTMENT, CATEGORY), task_runner=bounded_threads(2)
)
def parse_tabular_files_flow_dept_project_alpha(
    config: TabularFilesConfig, output_base: str = "processed"
) -> list[DatasetOutcome]:
    """One task per dataset; a dataset that fails does not stop the others, but ends the flow Failed."""
    return process_category(
        build_file_dataset_task_dept_project_alpha,
        config.datasets,
        department_id=DEPARTMENT,
        category=CATEGORY,
        output_base=output_base,
    )
