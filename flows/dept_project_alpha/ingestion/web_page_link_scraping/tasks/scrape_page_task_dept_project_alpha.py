"""Task wrappers: scrape a batch of pages; download a batch of files found on them."""

from __future__ import annotations

from airnub_prefect_starter.ingestion.batch import BatchRuntime, ingest_batch
from airnub_prefect_starter.ingestion.config import FileToAcquire, PageToScrape
from airnub_prefect_starter.ingestion.outcome import ItemOutcome
from airnub_prefect_starter.tasks.retry_policy import batch_task
from airnub_prefect_starter.tasks.run_context import with_run_ids
from airnub_prefect_starter.tasks.secrets import load_item_secrets


@batch_task("Scrape pages (Project Alpha)")
def scrape_pages_task_dept_project_alpha(
    items: list[PageToScrape], runtime: BatchRuntime, max_links: int = 1000
) -> list[ItemOutcome]:
    return ingest_batch(
        "scrape_page", items, with_run_ids(runtime), max_links=max_links, secrets=load_item_secrets(items)
    )


@batch_task("Download linked files (Project Alpha)")
def download_linked_files_task_dept_project_alpha(
    items: list[FileToAcquire], runtime: BatchRuntime
) -> list[ItemOutcome]:
    return ingest_batch("download", items, with_run_ids(runtime), secrets=load_item_secrets(items))
