"""Create or update the Prefect automation that marks a flow run Crashed when its heartbeats stop.

A flow run whose process dies without reporting (kill -9 of the worker and its flow runs, a lost machine or
container, an OOM kill) stays Running in Prefect for good, and a deployment with a concurrency limit keeps its
slot until the run's concurrency lease expires (up to 300 s after the run's last renewal). Deployment runs emit
a ``prefect.flow-run.heartbeat`` event every PREFECT_FLOWS_HEARTBEAT_FREQUENCY seconds (prefect.yaml sets 60);
this automation ("zombie flow runs" in Prefect's documentation) marks a run Crashed when no event of the run
follows a heartbeat within ``--within`` seconds, which also frees its deployment concurrency slot at once.

    PREFECT_API_URL=http://localhost:4200/api python scripts/setup_zombie_automation.py [--within 180] [--dry-run]

Running it again updates the automation of the same name; nothing else is touched. See docs/deployment.md.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import timedelta

from prefect.automations import Automation
from prefect.client.schemas.objects import StateType
from prefect.events.actions import ChangeFlowRunState
from prefect.events.schemas.automations import EventTrigger, Posture
from prefect.events.schemas.events import ResourceSpecification

__all__ = ["AUTOMATION_NAME", "DEFAULT_WITHIN_S", "HEARTBEAT_FREQUENCY_S", "main", "zombie_automation"]

AUTOMATION_NAME = "Crash zombie flow runs"
#: PREFECT_FLOWS_HEARTBEAT_FREQUENCY of the deployments' runs (prefect.yaml, the worker image and compose file).
HEARTBEAT_FREQUENCY_S = 60
#: Five heartbeats missed: a run is Crashed 5-6 minutes after its process died, about when its concurrency lease
#: would have expired. The automation watches every flow run on the server, also runs started elsewhere with
#: Prefect's default heartbeat (180 s): a window under 180 s plus slack would mark those Crashed while they run.
DEFAULT_WITHIN_S = 300
MIN_WITHIN_S = 10  # Prefect's minimum for a proactive trigger


def zombie_automation(within_s: int = DEFAULT_WITHIN_S) -> Automation:
    """After each heartbeat of a flow run, expect another event of the same run (heartbeat or state change)
    within ``within_s`` seconds; otherwise propose Crashed (not forced: a run already final stays as it is)."""
    return Automation(
        name=AUTOMATION_NAME,
        description=(
            "Marks a flow run Crashed when no event of it follows a heartbeat within "
            f"{within_s} s (its process died without reporting); frees its deployment concurrency slot."
        ),
        trigger=EventTrigger(
            match=ResourceSpecification({"prefect.resource.id": ["prefect.flow-run.*"]}),
            after={"prefect.flow-run.heartbeat"},
            expect={"prefect.flow-run.*"},
            for_each={"prefect.resource.id"},
            posture=Posture.Proactive,
            threshold=1,
            within=timedelta(seconds=within_s),
        ),
        actions=[
            ChangeFlowRunState(
                state=StateType.CRASHED,
                message=f"No heartbeat for {within_s} s: the flow run's process died without reporting.",
            )
        ],
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--within",
        type=int,
        default=DEFAULT_WITHIN_S,
        metavar="SECONDS",
        help=f"seconds without an event after a heartbeat before a run is Crashed (default {DEFAULT_WITHIN_S}); "
        "keep it well above the PREFECT_FLOWS_HEARTBEAT_FREQUENCY of every flow run on the server (Prefect's "
        f"default 180, this project's runs {HEARTBEAT_FREQUENCY_S}), or healthy runs are marked Crashed",
    )
    parser.add_argument("--dry-run", action="store_true", help="print the automation as JSON; change nothing")
    args = parser.parse_args(argv)
    if args.within < MIN_WITHIN_S:
        parser.error(f"--within {args.within}: must be at least {MIN_WITHIN_S} seconds")
    automation = zombie_automation(args.within)
    if args.dry_run:
        print(json.dumps(automation.model_dump(mode="json", exclude={"id"}), indent=2, sort_keys=True))
        return 0
    try:
        existing = Automation.read(name=AUTOMATION_NAME)
    except ValueError:  # Prefect's "Automation with name ... not found"
        automation.create()
        action = "created"
    else:
        automation.id = existing.id
        automation.update()
        action = "updated"
    print(
        f"{action} automation {AUTOMATION_NAME!r} ({automation.id}): a run is Crashed {args.within} s after its "
        "last heartbeat with no event since"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
