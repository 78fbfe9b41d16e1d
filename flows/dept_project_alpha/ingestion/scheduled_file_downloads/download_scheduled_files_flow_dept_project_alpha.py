"""Category scheduled_file_downloads: download the configured files of Project Alpha (kind downloads)."""

from airnub_prefect_starter.api import DOWNLOADS, category_flow
from flows.dept_project_alpha import DEPARTMENT

__all__ = ["download_scheduled_files_flow_dept_project_alpha"]

download_scheduled_files_flow_dept_project_alpha = category_flow(
    DOWNLOADS,
    DEPARTMENT,
    "scheduled_file_downloads",
    name="Scheduled file downloads (Project Alpha)",
    task_name="Download files (Project Alpha)",
)
