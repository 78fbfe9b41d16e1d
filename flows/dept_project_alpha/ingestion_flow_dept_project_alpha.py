"""Parent stage flow: the ingestion stage of department project_alpha.

Runs each category the manifest lists whose section is in the stage config, then fails if any failed."""

from airnub_prefect_starter.api import INGESTION, stage_flow
from flows.dept_project_alpha import DEPARTMENT, config_models_dept_project_alpha

__all__ = ["ingestion_flow_dept_project_alpha"]

ingestion_flow_dept_project_alpha = stage_flow(
    INGESTION,
    DEPARTMENT,
    config_models_dept_project_alpha.IngestionStageConfig,
    name="Ingestion (Project Alpha)",
)
