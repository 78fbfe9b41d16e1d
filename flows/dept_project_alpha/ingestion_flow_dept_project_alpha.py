"""Parent stage flow: Project Alpha ingestion runs its three category flows and fails if any item failed."""

from __future__ import annotations

from typing import Any

from prefect import Flow, flow
from prefect.task_runners import TaskRunner

from airnub_prefect_starter.common.settings import load_settings
from airnub_prefect_starter.core.batch_ingest import ItemOutcome
from airnub_prefect_starter.core.config_models import IngestionStageConfig
from airnub_prefect_starter.core.departments import display_name
from airnub_prefect_starter.core.http_policy import HttpPolicy
from airnub_prefect_starter.core.stage_results import StageResult
from airnub_prefect_starter.tasks.events import emit_objects_stored
from airnub_prefect_starter.tasks.stage_runner import check_categories, finish_stage, load_stage_config, run_categories
from airnub_prefect_starter.tasks.task_runners import build_task_runner, stage_dask_cluster
from flows.dept_project_alpha import DEPARTMENT
from flows.dept_project_alpha.ingestion.public_api_data.poll_public_api_data_flow_dept_project_alpha import (
    poll_public_api_data_flow_dept_project_alpha,
)
from flows.dept_project_alpha.ingestion.scheduled_file_downloads import (
    download_scheduled_files_flow_dept_project_alpha as scheduled_file_downloads,
)
from flows.dept_project_alpha.ingestion.web_page_link_scraping.scrape_web_page_links_flow_dept_project_alpha import (
    scrape_web_page_links_flow_dept_project_alpha,
)

CATEGORY_FLOWS: dict[str, Flow[..., list[ItemOutcome]]] = {
    "scheduled_file_downloads": scheduled_file_downloads.download_scheduled_files_flow_dept_project_alpha,
    "public_api_data": poll_public_api_data_flow_dept_project_alpha,
    "web_page_link_scraping": scrape_web_page_links_flow_dept_project_alpha,
}


@flow(name="Ingestion (Project Alpha)")
def ingestion_flow_dept_project_alpha(
    config: dict[str, Any] | None = None, categories: list[str] | None = None
) -> StageResult:
    """Config: the ``config`` parameter, else the Prefect Variable ``dept_project_alpha_ingestion_config``.
    ``categories`` limits the run to some categories. Every selected category runs, even after a failure.
    When anything new was stored, emits ``airnub.objects.stored`` (which triggers the processing deployment)."""
    stage_config = load_stage_config(IngestionStageConfig, DEPARTMENT, "ingestion", config)
    check_categories(categories, list(CATEGORY_FLOWS))
    department = display_name(DEPARTMENT, load_settings().config_dir)
    stage_policy = HttpPolicy().merged(stage_config.http)
    with stage_dask_cluster(stage_config.task_runner, stage_policy.max_concurrency) as dask_address:

        def task_runner(section: Any) -> TaskRunner[Any]:
            policy = HttpPolicy().merged(stage_config.http, section.http)
            return build_task_runner(stage_config.task_runner, policy.max_concurrency, dask_address)

        by_category, crashed = run_categories(
            stage_config,
            CATEGORY_FLOWS,
            categories,
            task_runner=task_runner,
            stage_http=stage_config.http,
            batch_size=stage_config.batch_size,
        )
    emit_objects_stored(DEPARTMENT, "ingestion", [o for outcomes in by_category.values() for o in outcomes])
    return finish_stage(department, "ingestion", by_category, crashed)
