"""Parent stage flow: the processing stage of department project_alpha.

Runs each category the manifest lists whose section is in the stage config, then fails if any failed."""

from airnub_prefect_starter.api import PROCESSING, stage_flow
from flows.dept_project_alpha import DEPARTMENT, config_models_dept_project_alpha

__all__ = ["processing_flow_dept_project_alpha"]

processing_flow_dept_project_alpha = stage_flow(
    PROCESSING,
    DEPARTMENT,
    config_models_dept_project_alpha.ProcessingStageConfig,
    name="Processing (Project Alpha)",
)
