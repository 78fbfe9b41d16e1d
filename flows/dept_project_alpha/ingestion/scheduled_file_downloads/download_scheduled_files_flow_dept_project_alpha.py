"""Category flow: download the configured files of Project Alpha."""

from __future__ import annotations

from prefect import flow

from airnub_prefect_starter.core.http.policy import HttpOverrides
from airnub_prefect_starter.ingestion.config import ScheduledFileDownloadsConfig
from airnub_prefect_starter.ingestion.outcome import ItemOutcome
from airnub_prefect_starter.tasks.category_runner import ingest_category
from airnub_prefect_starter.tasks.run_names import run_name
from airnub_prefect_starter.tasks.task_runners import bounded_threads
from flows.dept_project_alpha import DEPARTMENT
from flows.dept_project_alpha.ingestion.scheduled_file_downloads.tasks.download_file_task_dept_project_alpha import (
    download_files_task_dept_project_alpha,
)

CATEGORY = "scheduled_file_downloads"


@flow(
    name="Scheduled file downloads (Project Alpha)",
    flow_run_name=run_name(DEPARTMENT, CATEGORY),
    task_runner=bounded_threads(8),
)
def download_scheduled_files_flow_dept_project_alpha(
    config: ScheduledFileDownloadsConfig, stage_http: HttpOverrides | None = None, batch_size: int | None = None
) -> list[ItemOutcome]:
    return ingest_category(
        download_files_task_dept_project_alpha,
        config.files_to_acquire,
        config,
        department_id=DEPARTMENT,
        category=CATEGORY,
        stage_http=stage_http,
        batch_size=batch_size,
    )
