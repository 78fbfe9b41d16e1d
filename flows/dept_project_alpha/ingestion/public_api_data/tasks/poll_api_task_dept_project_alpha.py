"""Task wrapper: poll a batch of JSON APIs and store each response in the CAS."""

from __future__ import annotations

from airnub_prefect_starter.ingestion.batch import BatchRuntime, ingest_batch
from airnub_prefect_starter.ingestion.config import ApiToPoll
from airnub_prefect_starter.ingestion.outcome import ItemOutcome
from airnub_prefect_starter.tasks.retry_policy import batch_task
from airnub_prefect_starter.tasks.run_context import with_run_ids
from airnub_prefect_starter.tasks.secrets import load_item_secrets


@batch_task("Poll APIs (Project Alpha)")
def poll_apis_task_dept_project_alpha(items: list[ApiToPoll], runtime: BatchRuntime) -> list[ItemOutcome]:
    return ingest_batch("poll_api", items, with_run_ids(runtime), secrets=load_item_secrets(items))
