"""Category public_api_data: poll Project Alpha's JSON APIs (kind api)."""

from airnub_prefect_starter.api import API, category_flow
from flows.dept_project_alpha import DEPARTMENT

__all__ = ["poll_public_api_data_flow_dept_project_alpha"]

poll_public_api_data_flow_dept_project_alpha = category_flow(
    API,
    DEPARTMENT,
    "public_api_data",
    name="Public API data (Project Alpha)",
    task_name="Poll APIs (Project Alpha)",
)
