"""Category flow: download the configured files of Project Alpha."""

from __future__ import annotations

from prefect import flow

from airnub_prefect_starter.common.settings import load_settings
from airnub_prefect_starter.core.batch_ingest import BatchRuntime, ItemOutcome
from airnub_prefect_starter.core.config_models import ScheduledFileDownloadsConfig
from airnub_prefect_starter.core.departments import display_name
from airnub_prefect_starter.core.http_policy import HttpOverrides, HttpPolicy
from airnub_prefect_starter.tasks.category_runner import finish_category, run_batches
from airnub_prefect_starter.tasks.task_runners import bounded_threads
from flows.dept_project_alpha import DEPARTMENT
from flows.dept_project_alpha.ingestion.scheduled_file_downloads.tasks.download_file_task_dept_project_alpha import (
    download_files_task_dept_project_alpha,
)

CATEGORY = "scheduled_file_downloads"


@flow(name="Scheduled file downloads (Project Alpha)", task_runner=bounded_threads(8))
def download_scheduled_files_flow_dept_project_alpha(
    config: ScheduledFileDownloadsConfig, stage_http: HttpOverrides | None = None, batch_size: int = 25
) -> list[ItemOutcome]:
    settings = load_settings()
    policy = HttpPolicy().merged(stage_http, config.http)
    runtime = BatchRuntime.for_category(
        CATEGORY, config.data_source_name, config.local_artifacts_storage_base, policy, settings
    )
    department = display_name(DEPARTMENT, settings.config_dir)
    outcomes = run_batches(
        download_files_task_dept_project_alpha,
        config.files_to_acquire,
        runtime,
        department=department,
        batch_size=batch_size,
    )
    return finish_category(department, CATEGORY, outcomes)
