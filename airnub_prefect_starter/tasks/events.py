"""Emit a stage's chaining event (:mod:`airnub_prefect_starter.stages.events`) from inside its flow run.

Prefect ships the event in the background (the run's events worker is drained when the flow-run process
ends) and links it to the current flow run as a related resource. A deployment trigger on the event name and
the department's resource id then starts the next stage; see ``prefect.yaml``.
"""

from __future__ import annotations

from collections.abc import Sequence

from prefect import get_run_logger
from prefect.events import Event, emit_event

from airnub_prefect_starter.stages.contract import StageContract
from airnub_prefect_starter.stages.events import department_resource
from airnub_prefect_starter.stages.results import OutcomeT

__all__ = ["emit_stage_event"]


def emit_stage_event(
    contract: StageContract[OutcomeT],
    department: str,
    outcomes: Sequence[OutcomeT],
    *,
    department_name: str,
) -> Event | None:
    """Emit the contract's event when its payload says one is due (e.g. something new was stored); otherwise
    emit nothing and return ``None``. ``department_name``: the department's display name (the run's)."""
    payload = contract.payload(outcomes)
    if contract.event is None or payload is None:
        return None
    resource = department_resource(department, department_name, contract.name)
    emitted = emit_event(event=contract.event, resource=resource, payload=payload)
    get_run_logger().info(
        "Emitted %s for %s (%d items)%s",
        contract.event,
        resource["prefect.resource.id"],
        payload["count"],
        "" if emitted is not None else " - not sent: no Prefect API to send events to",
    )
    return emitted
