"""Emit the stage-chaining events of :mod:`airnub_prefect_starter.core.event_names` from inside a flow run.

Prefect ships the event in the background (the run's events worker is drained when the flow-run process
ends) and links it to the current flow run as a related resource. A deployment trigger on the event name and
the department's resource id then starts the next stage; see ``prefect.yaml``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from prefect import get_run_logger
from prefect.events import Event, emit_event

from airnub_prefect_starter.common.settings import load_settings
from airnub_prefect_starter.core.batch_ingest import ItemOutcome
from airnub_prefect_starter.core.data_stage_results import DatasetOutcome
from airnub_prefect_starter.core.departments import display_name
from airnub_prefect_starter.core.event_names import (
    DATASETS_BUILT,
    OBJECTS_STORED,
    datasets_built_payload,
    department_resource,
    objects_stored_payload,
)

__all__ = ["emit_datasets_built", "emit_objects_stored"]


def _emit(event: str, department: str, stage: str, payload: dict[str, Any]) -> Event | None:
    resource = department_resource(department, display_name(department, load_settings().config_dir), stage)
    emitted = emit_event(event=event, resource=resource, payload=payload)
    get_run_logger().info(
        "Emitted %s for %s (%d items)%s",
        event,
        resource["prefect.resource.id"],
        payload["count"],
        "" if emitted is not None else " - not sent: no Prefect API to send events to",
    )
    return emitted


def emit_objects_stored(department: str, stage: str, outcomes: Sequence[ItemOutcome]) -> Event | None:
    """Emit ``airnub.objects.stored`` when at least one outcome is ``stored``; otherwise emit nothing and
    return ``None``."""
    payload = objects_stored_payload(stage, outcomes)
    return None if payload is None else _emit(OBJECTS_STORED, department, stage, payload)


def emit_datasets_built(department: str, stage: str, outcomes: Sequence[DatasetOutcome]) -> Event | None:
    """Emit ``airnub.datasets.built`` when at least one outcome is ``built``; otherwise emit nothing and
    return ``None``."""
    payload = datasets_built_payload(stage, outcomes)
    return None if payload is None else _emit(DATASETS_BUILT, department, stage, payload)
