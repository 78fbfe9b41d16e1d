"""Category flow: poll Project Alpha's JSON APIs."""

from __future__ import annotations

from prefect import flow

from airnub_prefect_starter.core.http.policy import HttpOverrides
from airnub_prefect_starter.ingestion.config import PublicApiDataConfig
from airnub_prefect_starter.ingestion.outcome import ItemOutcome
from airnub_prefect_starter.tasks.category_runner import ingest_category
from airnub_prefect_starter.tasks.run_names import run_name
from airnub_prefect_starter.tasks.task_runners import bounded_threads
from flows.dept_project_alpha import DEPARTMENT
from flows.dept_project_alpha.ingestion.public_api_data.tasks.poll_api_task_dept_project_alpha import (
    poll_apis_task_dept_project_alpha,
)

CATEGORY = "public_api_data"


@flow(
    name="Public API data (Project Alpha)", flow_run_name=run_name(DEPARTMENT, CATEGORY), task_runner=bounded_threads(8)
)
def poll_public_api_data_flow_dept_project_alpha(
    config: PublicApiDataConfig, stage_http: HttpOverrides | None = None, batch_size: int | None = None
) -> list[ItemOutcome]:
    return ingest_category(
        poll_apis_task_dept_project_alpha,
        config.apis_to_poll,
        config,
        department_id=DEPARTMENT,
        category=CATEGORY,
        stage_http=stage_http,
        batch_size=batch_size,
    )
