"""Category api_records: parse Project Alpha's stored JSON API responses into schema-checked Parquet datasets
(kind tabular).
"""

from airnub_prefect_starter.api import TABULAR, category_flow
from flows.dept_project_alpha import DEPARTMENT

__all__ = ["parse_api_records_flow_dept_project_alpha"]

parse_api_records_flow_dept_project_alpha = category_flow(
    TABULAR,
    DEPARTMENT,
    "api_records",
    name="API records (Project Alpha)",
    task_name="Build dataset from API records (Project Alpha)",
)
