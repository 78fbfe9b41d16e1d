"""The Prefect events that chain the stages: names, the resource they concern, and their payloads.

Defined once here (pure, no Prefect import); ``tasks/events.py`` emits them and the deployment triggers in
``prefect.yaml`` listen for them (a test checks that every trigger names an event and resource from here)::

    ingestion run stored >= 1 new object   --airnub.objects.stored-->   <dept>-processing deployment
    processing run built >= 1 dataset      --airnub.datasets.built-->   <dept>-analysis deployment

No new objects, no event, no processing run. The event's resource is the department
(``airnub.department.<id>``), so one department's stages never trigger another's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airnub_prefect_starter.core.batch_ingest import ItemOutcome
from airnub_prefect_starter.core.data_stage_results import DatasetOutcome
from airnub_prefect_starter.core.departments import department_id

__all__ = [
    "DATASETS_BUILT",
    "EVENT_NAMES",
    "MAX_PAYLOAD_ITEMS",
    "OBJECTS_STORED",
    "RESOURCE_PREFIX",
    "datasets_built_payload",
    "department_resource",
    "department_resource_id",
    "objects_stored_payload",
]

#: Ingestion stored new content in the CAS (payload: the new objects).
OBJECTS_STORED = "airnub.objects.stored"
#: Processing built or rebuilt datasets (payload: the datasets).
DATASETS_BUILT = "airnub.datasets.built"
EVENT_NAMES = frozenset({OBJECTS_STORED, DATASETS_BUILT})

RESOURCE_PREFIX = "airnub.department."
#: Events carry at most this many items (Prefect caps an event's size); ``count`` is always the full number.
MAX_PAYLOAD_ITEMS = 100


def department_resource_id(department: str) -> str:
    """``project_alpha`` or ``dept_project_alpha`` -> ``airnub.department.project_alpha``."""
    return RESOURCE_PREFIX + department_id(department)


def department_resource(department: str, display_name: str, stage: str) -> dict[str, str]:
    """The event's primary resource: the department, labelled with its display name and the emitting stage."""
    return {
        "prefect.resource.id": department_resource_id(department),
        "prefect.resource.name": display_name,
        "airnub.stage": stage,
    }


def objects_stored_payload(stage: str, outcomes: Sequence[ItemOutcome]) -> dict[str, Any] | None:
    """The payload of :data:`OBJECTS_STORED` for the ``stored`` outcomes, or ``None`` when nothing new was
    stored (then no event is sent). Objects are listed in outcome order, at most :data:`MAX_PAYLOAD_ITEMS`."""
    stored = [o for o in outcomes if o.status == "stored"]
    if not stored:
        return None
    return {
        "stage": stage,
        "count": len(stored),
        "objects": [
            {
                "category": o.category,
                "data_source_name": o.data_source_name,
                "name": o.name,
                "sha256": o.sha256,
                "path": o.path,
            }
            for o in stored[:MAX_PAYLOAD_ITEMS]
        ],
        "truncated": len(stored) > MAX_PAYLOAD_ITEMS,
    }


def datasets_built_payload(stage: str, outcomes: Sequence[DatasetOutcome]) -> dict[str, Any] | None:
    """The payload of :data:`DATASETS_BUILT` for the ``built`` outcomes, or ``None`` when no dataset was built
    (then no event is sent). Datasets are listed in outcome order, at most :data:`MAX_PAYLOAD_ITEMS`."""
    built = [o for o in outcomes if o.status == "built"]
    if not built:
        return None
    return {
        "stage": stage,
        "count": len(built),
        "datasets": [
            {"category": o.category, "name": o.name, "sha256": o.sha256, "path": o.path, "rows": o.rows_out}
            for o in built[:MAX_PAYLOAD_ITEMS]
        ],
        "truncated": len(built) > MAX_PAYLOAD_ITEMS,
    }
