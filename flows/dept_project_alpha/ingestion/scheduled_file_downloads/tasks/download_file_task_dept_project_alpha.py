"""Task wrapper: download a batch of configured files into the CAS."""

from __future__ import annotations

from airnub_prefect_starter.ingestion.batch import BatchRuntime, ingest_batch
from airnub_prefect_starter.ingestion.config import FileToAcquire
from airnub_prefect_starter.ingestion.outcome import ItemOutcome
from airnub_prefect_starter.tasks.retry_policy import batch_task
from airnub_prefect_starter.tasks.run_context import with_run_ids
from airnub_prefect_starter.tasks.secrets import load_item_secrets


@batch_task("Download files (Project Alpha)")
def download_files_task_dept_project_alpha(items: list[FileToAcquire], runtime: BatchRuntime) -> list[ItemOutcome]:
    """Each file is retried by the core on transient errors; one failing file does not stop the batch."""
    return ingest_batch("download", items, with_run_ids(runtime), secrets=load_item_secrets(items))
