"""Task wrapper: poll a batch of JSON APIs and store each response in the CAS."""

from __future__ import annotations

from airnub_prefect_starter.core.batch_ingest import BatchRuntime, ItemOutcome, ingest_batch
from airnub_prefect_starter.core.config_models import ApiToPoll
from airnub_prefect_starter.tasks.retry_policy import batch_task
from airnub_prefect_starter.tasks.run_context import with_run_ids
from airnub_prefect_starter.tasks.secrets import load_secret_blocks


@batch_task("Poll APIs (Project Alpha)")
def poll_apis_task_dept_project_alpha(items: list[ApiToPoll], runtime: BatchRuntime) -> list[ItemOutcome]:
    secrets = load_secret_blocks({item.auth_secret_block for item in items if item.auth_secret_block})
    return ingest_batch("poll_api", items, with_run_ids(runtime), secrets=secrets)
