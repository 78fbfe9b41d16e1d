"""The Prefect events that chain the stages: names, the resource they concern, and their payloads.

Defined once here (pure, no Prefect import); each stage's contract names its event and payload,
``tasks/events.py`` emits them, and the deployment triggers in
``prefect.yaml`` listen for them (a test checks that every trigger names an event and resource from here)::

    ingestion run stored >= 1 new object   --airnub.objects.stored-->   <dept>-processing deployment
    processing run built >= 1 dataset      --airnub.datasets.built-->   <dept>-analysis deployment

No new objects, no event, no processing run. The event's resource is the department
(``airnub.department.<id>``), so one department's stages never trigger another's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from airnub_prefect_starter.core.departments import department_id
from airnub_prefect_starter.stages.results import OutcomeT

__all__ = [
    "DATASETS_BUILT",
    "EVENT_NAMES",
    "MAX_PAYLOAD_ITEMS",
    "OBJECTS_STORED",
    "RESOURCE_PREFIX",
    "department_resource",
    "department_resource_id",
    "outcomes_payload",
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


def outcomes_payload(
    stage: str, outcomes: Sequence[OutcomeT], status: str, key: str, describe: Callable[[OutcomeT], dict[str, Any]]
) -> dict[str, Any] | None:
    """An event payload listing the outcomes with ``status`` under ``key`` (each as ``describe(outcome)``, in
    outcome order, at most :data:`MAX_PAYLOAD_ITEMS`), or ``None`` when there are none (then no event is sent)."""
    chosen = [o for o in outcomes if o.status == status]
    if not chosen:
        return None
    return {
        "stage": stage,
        "count": len(chosen),
        key: [describe(o) for o in chosen[:MAX_PAYLOAD_ITEMS]],
        "truncated": len(chosen) > MAX_PAYLOAD_ITEMS,
    }
