"""Parent stage flow: Project Alpha ingestion runs its three category flows and fails if any item failed."""

from __future__ import annotations

from typing import Any

from prefect import Flow, flow

from airnub_prefect_starter.ingestion.config import IngestionStageConfig
from airnub_prefect_starter.ingestion.contract import INGESTION
from airnub_prefect_starter.ingestion.outcome import ItemOutcome
from airnub_prefect_starter.stages.results import StageResult
from airnub_prefect_starter.tasks import prefect_compat
from airnub_prefect_starter.tasks.stage_runner import load_stage_config, run_stage
from flows.dept_project_alpha import DEPARTMENT
from flows.dept_project_alpha.ingestion.public_api_data.poll_public_api_data_flow_dept_project_alpha import (
    poll_public_api_data_flow_dept_project_alpha,
)
from flows.dept_project_alpha.ingestion.scheduled_file_downloads.download_scheduled_files_flow_dept_project_alpha import (  # noqa: E501
    download_scheduled_files_flow_dept_project_alpha,
)
from flows.dept_project_alpha.ingestion.web_page_link_scraping.scrape_web_page_links_flow_dept_project_alpha import (
    scrape_web_page_links_flow_dept_project_alpha,
)

prefect_compat.install()  # an entry point of deployments: sub-flow runs end when their body ends

CATEGORY_FLOWS: dict[str, Flow[..., list[ItemOutcome]]] = {
    "scheduled_file_downloads": download_scheduled_files_flow_dept_project_alpha,
    "public_api_data": poll_public_api_data_flow_dept_project_alpha,
    "web_page_link_scraping": scrape_web_page_links_flow_dept_project_alpha,
}


@flow(name="Ingestion (Project Alpha)")
def ingestion_flow_dept_project_alpha(
    config: dict[str, Any] | None = None, categories: list[str] | None = None
) -> StageResult[ItemOutcome]:
    """Config: the ``config`` parameter, else the Prefect Variable ``dept_project_alpha_ingestion_config``.
    ``categories`` limits the run to some categories. Every selected category runs, even after a failure.
    When anything new was stored, emits ``airnub.objects.stored`` (which triggers the processing deployment)."""
    stage_config = load_stage_config(IngestionStageConfig, DEPARTMENT, "ingestion", config)
    return run_stage(INGESTION, DEPARTMENT, stage_config, CATEGORY_FLOWS, categories)
