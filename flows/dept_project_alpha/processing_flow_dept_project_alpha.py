"""Parent stage flow: Project Alpha processing turns raw objects of the manifest index into Parquet datasets.

Incremental: a dataset whose raw input (by sha256) and schema are those of the dataset on disk is left untouched,
so a run after an ingestion that stored nothing new does no work and rewrites nothing.
"""

from __future__ import annotations

from typing import Any

from prefect import Flow, flow

from airnub_prefect_starter.common.settings import load_settings
from airnub_prefect_starter.core.data_stage_results import DatasetOutcome, DataStageResult
from airnub_prefect_starter.core.departments import display_name
from airnub_prefect_starter.core.processing_config_models import ProcessingStageConfig
from airnub_prefect_starter.tasks.data_stage_runner import finish_processing_stage
from airnub_prefect_starter.tasks.events import emit_datasets_built
from airnub_prefect_starter.tasks.stage_runner import check_categories, load_stage_config, run_categories
from airnub_prefect_starter.tasks.task_runners import build_task_runner
from flows.dept_project_alpha import DEPARTMENT
from flows.dept_project_alpha.processing.api_records.parse_api_records_flow_dept_project_alpha import (
    parse_api_records_flow_dept_project_alpha,
)
from flows.dept_project_alpha.processing.tabular_files.parse_tabular_files_flow_dept_project_alpha import (
    parse_tabular_files_flow_dept_project_alpha,
)

CATEGORY_FLOWS: dict[str, Flow[..., list[DatasetOutcome]]] = {
    "tabular_files": parse_tabular_files_flow_dept_project_alpha,
    "api_records": parse_api_records_flow_dept_project_alpha,
}


@flow(name="Processing (Project Alpha)")
def processing_flow_dept_project_alpha(
    config: dict[str, Any] | None = None, categories: list[str] | None = None
) -> DataStageResult[DatasetOutcome]:
    """Config: the ``config`` parameter, else the Prefect Variable ``dept_project_alpha_processing_config``.
    ``categories`` limits the run to some categories. Every selected category runs, even after a failure; the
    run ends Failed when any dataset failed."""
    stage_config = load_stage_config(ProcessingStageConfig, DEPARTMENT, "processing", config)
    check_categories(categories, list(CATEGORY_FLOWS))
    department = display_name(DEPARTMENT, load_settings().config_dir)
    by_category, crashed = run_categories(
        stage_config,
        CATEGORY_FLOWS,
        categories,
        task_runner=lambda _section: build_task_runner(stage_config.task_runner, stage_config.max_concurrency),
        output_base=stage_config.output_base,
    )
    # Triggers the analysis deployment; nothing built (everything unchanged or failed) -> no event, no analysis.
    emit_datasets_built(DEPARTMENT, "processing", [o for outcomes in by_category.values() for o in outcomes])
    return finish_processing_stage(department, by_category, crashed)
