"""Parent stage flow: the ingestion stage of department project_alpha (the entrypoint of its deployment).

Runs each category flow of ``CATEGORY_FLOWS`` whose section is in the stage config, every one even after a
failure, then fails if any failed; emits ``airnub.objects.stored`` when anything new was stored.
"""

from airnub_prefect_starter.api import INGESTION, stage_flow
from flows.dept_project_alpha import DEPARTMENT
from flows.dept_project_alpha.config_models_dept_project_alpha import (
    IngestionStageConfig,
)
from flows.dept_project_alpha.ingestion.categories_dept_project_alpha import (
    CATEGORY_FLOWS,
)

__all__ = ["ingestion_flow_dept_project_alpha"]

ingestion_flow_dept_project_alpha = stage_flow(
    INGESTION,
    DEPARTMENT,
    IngestionStageConfig,
    CATEGORY_FLOWS,
    name="Ingestion (Project Alpha)",
)
