"""The processing stage's contract: dataset statuses, its summary table, and ``airnub.datasets.built`` when a
dataset was built or rebuilt (the analysis deployment's trigger)."""

from __future__ import annotations

import functools
from typing import Any

from airnub_prefect_starter.processing.artifacts import stage_artifacts
from airnub_prefect_starter.processing.outcome import PROCESSING_STATUSES, DatasetOutcome
from airnub_prefect_starter.stages.contract import StageContract
from airnub_prefect_starter.stages.events import DATASETS_BUILT, outcomes_payload

__all__ = ["PROCESSING", "datasets_built_payload"]


def _built_dataset(outcome: DatasetOutcome) -> dict[str, Any]:
    return {
        "category": outcome.category,
        "name": outcome.name,
        "sha256": outcome.sha256,
        "path": outcome.path,
        "rows": outcome.rows_out,
    }


#: The payload of :data:`DATASETS_BUILT`: the ``built`` outcomes, or ``None`` when no dataset was built.
datasets_built_payload = functools.partial(outcomes_payload, status="built", key="datasets", describe=_built_dataset)

PROCESSING: StageContract[DatasetOutcome] = StageContract(
    name="processing",
    outcome=DatasetOutcome,
    statuses=PROCESSING_STATUSES,
    noun="datasets",
    default_concurrency=2,
    stage_artifacts=stage_artifacts,
    event=DATASETS_BUILT,
    event_payload=datasets_built_payload,
)
