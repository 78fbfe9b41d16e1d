"""The analysis stage's category flows, in run order: GENERATED from the department manifest, do not edit."""

from prefect import Flow

from airnub_prefect_starter.api import AnalysisOutcome

from .classification_reports.build_classification_reports_flow_dept_project_alpha import (
    build_classification_reports_flow_dept_project_alpha,
)

__all__ = ["CATEGORY_FLOWS"]

CATEGORY_FLOWS: dict[str, Flow[..., list[AnalysisOutcome]]] = {
    "classification_reports": build_classification_reports_flow_dept_project_alpha,
}
