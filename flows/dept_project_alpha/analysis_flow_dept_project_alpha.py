"""Parent stage flow: the analysis stage of department project_alpha.

Runs each category the manifest lists whose section is in the stage config, then fails if any failed."""

from airnub_prefect_starter.api import ANALYSIS, stage_flow
from flows.dept_project_alpha import DEPARTMENT, config_models_dept_project_alpha

__all__ = ["analysis_flow_dept_project_alpha"]

analysis_flow_dept_project_alpha = stage_flow(
    ANALYSIS,
    DEPARTMENT,
    config_models_dept_project_alpha.AnalysisStageConfig,
    name="Analysis (Project Alpha)",
)
