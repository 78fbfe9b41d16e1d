"""The ingestion stage's contract: item statuses, its artifacts, and ``airnub.objects.stored`` when anything
new was stored (the processing deployment's trigger)."""

from __future__ import annotations

import functools
from typing import Any

from airnub_prefect_starter.ingestion.artifacts import category_artifacts, stage_artifacts
from airnub_prefect_starter.ingestion.outcome import ITEM_STATUSES, ItemOutcome
from airnub_prefect_starter.stages.contract import StageContract
from airnub_prefect_starter.stages.events import OBJECTS_STORED, outcomes_payload

__all__ = ["INGESTION", "objects_stored_payload"]


def _stored_object(outcome: ItemOutcome) -> dict[str, Any]:
    return {
        "category": outcome.category,
        "data_source_name": outcome.data_source_name,
        "name": outcome.name,
        "sha256": outcome.sha256,
        "path": outcome.path,
    }


#: The payload of :data:`OBJECTS_STORED`: the ``stored`` outcomes, or ``None`` when nothing new was stored.
objects_stored_payload = functools.partial(outcomes_payload, status="stored", key="objects", describe=_stored_object)

INGESTION: StageContract[ItemOutcome] = StageContract(
    name="ingestion",
    outcome=ItemOutcome,
    statuses=ITEM_STATUSES,
    noun="items",
    default_concurrency=8,
    stage_artifacts=stage_artifacts,
    category_artifacts=category_artifacts,
    event=OBJECTS_STORED,
    event_payload=objects_stored_payload,
)
