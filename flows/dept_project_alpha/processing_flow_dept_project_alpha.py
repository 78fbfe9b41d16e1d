"""Parent stage flow: Project Alpha processing turns raw objects of the manifest index into Parquet datasets.

Incremental: a dataset whose raw input (by sha256) and schema are those of the dataset on disk is left untouched,
so a run after an ingestion that stored nothing new does no work and rewrites nothing.
"""

from __future__ import annotations

from typing import Any

from prefect import Flow, flow

from airnub_prefect_starter.processing.config import ProcessingStageConfig
from airnub_prefect_starter.processing.contract import PROCESSING
from airnub_prefect_starter.processing.outcome import DatasetOutcome
from airnub_prefect_starter.stages.results import StageResult
from airnub_prefect_starter.tasks import prefect_compat
from airnub_prefect_starter.tasks.stage_runner import load_stage_config, run_stage
from flows.dept_project_alpha import DEPARTMENT
from flows.dept_project_alpha.processing.api_records.parse_api_records_flow_dept_project_alpha import (
    parse_api_records_flow_dept_project_alpha,
)
from flows.dept_project_alpha.processing.tabular_files.parse_tabular_files_flow_dept_project_alpha import (
    parse_tabular_files_flow_dept_project_alpha,
)

prefect_compat.install()  # an entry point of deployments: sub-flow runs end when their body ends

CATEGORY_FLOWS: dict[str, Flow[..., list[DatasetOutcome]]] = {
    "tabular_files": parse_tabular_files_flow_dept_project_alpha,
    "api_records": parse_api_records_flow_dept_project_alpha,
}


@flow(name="Processing (Project Alpha)")
def processing_flow_dept_project_alpha(
    config: dict[str, Any] | None = None, categories: list[str] | None = None
) -> StageResult[DatasetOutcome]:
    """Config: the ``config`` parameter, else the Prefect Variable ``dept_project_alpha_processing_config``.
    ``categories`` limits the run to some categories. Every selected category runs, even after a failure; the
    run ends Failed when any dataset failed. When a dataset was built, emits ``airnub.datasets.built`` (which
    triggers the analysis deployment); nothing built, no event, no analysis."""
    stage_config = load_stage_config(ProcessingStageConfig, DEPARTMENT, "processing", config)
    return run_stage(PROCESSING, DEPARTMENT, stage_config, CATEGORY_FLOWS, categories)
