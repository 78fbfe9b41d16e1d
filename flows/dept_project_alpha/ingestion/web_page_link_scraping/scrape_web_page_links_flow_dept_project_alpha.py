"""Category flow: store Project Alpha's web pages, extract their links, and download the matching ones."""

from __future__ import annotations

import dataclasses

from prefect import flow

from airnub_prefect_starter.core.departments import display_name
from airnub_prefect_starter.core.http.policy import HttpOverrides, HttpPolicy
from airnub_prefect_starter.ingestion.batch import BatchRuntime
from airnub_prefect_starter.ingestion.config import WebPageLinkScrapingConfig
from airnub_prefect_starter.ingestion.contract import INGESTION
from airnub_prefect_starter.ingestion.outcome import ItemOutcome
from airnub_prefect_starter.ingestion.scraping import files_to_follow
from airnub_prefect_starter.tasks.category_runner import finish_category, run_batches
from airnub_prefect_starter.tasks.run_names import run_name
from airnub_prefect_starter.tasks.secrets import flow_settings
from airnub_prefect_starter.tasks.task_runners import bounded_threads
from flows.dept_project_alpha import DEPARTMENT
from flows.dept_project_alpha.ingestion.web_page_link_scraping.tasks.scrape_page_task_dept_project_alpha import (
    download_linked_files_task_dept_project_alpha,
    scrape_pages_task_dept_project_alpha,
)

CATEGORY = "web_page_link_scraping"


@flow(
    name="Web page link scraping (Project Alpha)",
    flow_run_name=run_name(DEPARTMENT, CATEGORY),
    task_runner=bounded_threads(8),
)
def scrape_web_page_links_flow_dept_project_alpha(
    config: WebPageLinkScrapingConfig, stage_http: HttpOverrides | None = None, batch_size: int | None = None
) -> list[ItemOutcome]:
    settings = flow_settings()
    policy = HttpPolicy().merged(stage_http, config.http)
    department = display_name(DEPARTMENT, settings.config_dir)
    pages_runtime = BatchRuntime.for_category(
        CATEGORY, config.data_source_name, config.local_manifests_storage_base, policy, settings
    )
    outcomes = run_batches(
        scrape_pages_task_dept_project_alpha,
        config.pages_to_scrape,
        pages_runtime,
        department=department,
        batch_size=batch_size,
        label=f"{CATEGORY} (pages)",
        max_links=config.max_links_per_page,
    )
    if config.follow_links is not None:
        scraped = [
            (page.url, outcome.final_url or page.url, outcome.links)
            for page, outcome in zip(config.pages_to_scrape, outcomes, strict=True)
            if not outcome.failed
        ]
        files = files_to_follow(scraped, config.follow_links, already=[p.url for p in config.pages_to_scrape])
        files_runtime = dataclasses.replace(
            pages_runtime,
            store_base=BatchRuntime.for_category(
                CATEGORY,
                config.data_source_name,
                config.local_artifacts_storage_base or config.local_manifests_storage_base,
                policy,
                settings,
            ).store_base,
        )
        outcomes += run_batches(
            download_linked_files_task_dept_project_alpha,
            files,
            files_runtime,
            department=department,
            batch_size=batch_size,
            label=f"{CATEGORY} (linked files)",
        )
    return finish_category(INGESTION, department, CATEGORY, outcomes)
