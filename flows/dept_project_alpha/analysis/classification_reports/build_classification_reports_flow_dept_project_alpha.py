"""Category classification_reports: for each processed dataset of Project Alpha, a classifier, its figures and a
report (kind report).
"""

from airnub_prefect_starter.api import REPORT, category_flow
from flows.dept_project_alpha import DEPARTMENT

__all__ = ["build_classification_reports_flow_dept_project_alpha"]

build_classification_reports_flow_dept_project_alpha = category_flow(
    REPORT,
    DEPARTMENT,
    "classification_reports",
    name="Classification reports (Project Alpha)",
    task_name="Analyse dataset (Project Alpha)",
)
