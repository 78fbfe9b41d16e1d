"""The ingestion stage's category flows, in run order: GENERATED from the department manifest, do not edit."""

from prefect import Flow

from airnub_prefect_starter.api import ItemOutcome

from .public_api_data.poll_public_api_data_flow_dept_project_alpha import (
    poll_public_api_data_flow_dept_project_alpha,
)
from .scheduled_file_downloads.download_scheduled_files_flow_dept_project_alpha import (
    download_scheduled_files_flow_dept_project_alpha,
)
from .web_page_link_scraping.scrape_web_page_links_flow_dept_project_alpha import (
    scrape_web_page_links_flow_dept_project_alpha,
)

__all__ = ["CATEGORY_FLOWS"]

CATEGORY_FLOWS: dict[str, Flow[..., list[ItemOutcome]]] = {
    "scheduled_file_downloads": download_scheduled_files_flow_dept_project_alpha,
    "public_api_data": poll_public_api_data_flow_dept_project_alpha,
    "web_page_link_scraping": scrape_web_page_links_flow_dept_project_alpha,
}
