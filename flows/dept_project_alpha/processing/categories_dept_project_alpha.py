"""The processing stage's category flows, in run order: GENERATED from the department manifest, do not edit."""

from prefect import Flow

from airnub_prefect_starter.api import DatasetOutcome

from .api_records.parse_api_records_flow_dept_project_alpha import (
    parse_api_records_flow_dept_project_alpha,
)
from .tabular_files.parse_tabular_files_flow_dept_project_alpha import (
    parse_tabular_files_flow_dept_project_alpha,
)

__all__ = ["CATEGORY_FLOWS"]

CATEGORY_FLOWS: dict[str, Flow[..., list[DatasetOutcome]]] = {
    "tabular_files": parse_tabular_files_flow_dept_project_alpha,
    "api_records": parse_api_records_flow_dept_project_alpha,
}
