"""Category tabular_files: parse Project Alpha's stored CSV files into schema-checked Parquet datasets (kind
tabular).
"""

from airnub_prefect_starter.api import TABULAR, category_flow
from flows.dept_project_alpha import DEPARTMENT

__all__ = ["parse_tabular_files_flow_dept_project_alpha"]

parse_tabular_files_flow_dept_project_alpha = category_flow(
    TABULAR,
    DEPARTMENT,
    "tabular_files",
    name="Tabular files (Project Alpha)",
    task_name="Build dataset from a CSV file (Project Alpha)",
)
