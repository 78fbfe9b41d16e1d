"""Parent stage flow: the processing stage of department project_alpha (the entrypoint of its deployment).

Runs each category flow of ``CATEGORY_FLOWS`` whose section is in the stage config, every one even after a
failure, then fails if any failed; emits ``airnub.datasets.built`` when a dataset was built.
"""

from airnub_prefect_starter.api import PROCESSING, stage_flow
from flows.dept_project_alpha import DEPARTMENT
from flows.dept_project_alpha.config_models_dept_project_alpha import (
    ProcessingStageConfig,
)
from flows.dept_project_alpha.processing.categories_dept_project_alpha import (
    CATEGORY_FLOWS,
)

__all__ = ["processing_flow_dept_project_alpha"]

processing_flow_dept_project_alpha = stage_flow(
    PROCESSING,
    DEPARTMENT,
    ProcessingStageConfig,
    CATEGORY_FLOWS,
    name="Processing (Project Alpha)",
)
