"""Category flow: poll Project Alpha's JSON APIs."""

from __future__ import annotations

from prefect import flow

from airnub_prefect_starter.common.settings import load_settings
from airnub_prefect_starter.core.batch_ingest import BatchRuntime, ItemOutcome
from airnub_prefect_starter.core.config_models import PublicApiDataConfig
from airnub_prefect_starter.core.departments import display_name
from airnub_prefect_starter.core.http_policy import HttpOverrides, HttpPolicy
from airnub_prefect_starter.tasks.category_runner import finish_category, run_batches
from airnub_prefect_starter.tasks.task_runners import bounded_threads
from flows.dept_project_alpha import DEPARTMENT
from flows.dept_project_alpha.ingestion.public_api_data.tasks.poll_api_task_dept_project_alpha import (
    poll_apis_task_dept_project_alpha,
)

CATEGORY = "public_api_data"


@flow(name="Public API data (Project Alpha)", task_runner=bounded_threads(8))
def poll_public_api_data_flow_dept_project_alpha(
    config: PublicApiDataConfig, stage_http: HttpOverrides | None = None, batch_size: int = 25
) -> list[ItemOutcome]:
    settings = load_settings()
    policy = HttpPolicy().merged(stage_http, config.http)
    runtime = BatchRuntime.for_category(
        CATEGORY, config.data_source_name, config.local_artifacts_storage_base, policy, settings
    )
    department = display_name(DEPARTMENT, settings.config_dir)
    outcomes = run_batches(
        poll_apis_task_dept_project_alpha, config.apis_to_poll, runtime, department=department, batch_size=batch_size
    )
    return finish_category(department, CATEGORY, outcomes)
