"""Event chaining: an ingestion run that stored new objects emits ``airnub.objects.stored``; one that stored
nothing new emits nothing (so the processing deployment's trigger does not fire)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from prefect.events import Event
from prefect.events.clients import AssertingEventsClient
from prefect.events.worker import EventsWorker

from airnub_prefect_starter.stages.events import OBJECTS_STORED
from flows.dept_project_alpha.ingestion_flow_dept_project_alpha import ingestion_flow_dept_project_alpha
from tests.flows.conftest import ingestion_config
from tests.support.http_server import LoopbackHTTPServer, sha256_hex

CSV = b"sepal_length,species\n5.1,setosa\n"


@pytest.fixture
def stage_events(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], list[Event]]]:
    """The ``airnub.*`` events sent through Prefect's events worker during the test (Prefect's recording
    client: events are built and size-checked exactly as for a server)."""
    AssertingEventsClient.reset()
    new_worker = EventsWorker.instance
    current = [new_worker(AssertingEventsClient)]
    monkeypatch.setattr(EventsWorker, "instance", lambda *args, **kwargs: current[0])

    def sent() -> list[Event]:
        current[0].drain()  # waits for queued events, then stops the worker: start a fresh one for later runs
        current[0] = new_worker(AssertingEventsClient)
        events = [e for client in AssertingEventsClient.all for e in getattr(client, "events", [])]
        return [e for e in events if e.event.startswith("airnub.")]

    yield sent
    current[0].drain()
    AssertingEventsClient.reset()


def files_config(server: LoopbackHTTPServer, *paths: str) -> dict[str, Any]:
    return ingestion_config(
        server,
        scheduled_file_downloads={
            "data_source_name": "alpha_files",
            "local_artifacts_storage_base": "downloads",
            "files_to_acquire": [{"name": path.strip("/"), "url": server.url(path)} for path in paths],
        },
    )


def test_ingestion_emits_objects_stored_only_when_something_new_was_stored(
    http_server: LoopbackHTTPServer, data_dir: Path, stage_events: Callable[[], list[Event]]
) -> None:
    http_server.serve("/iris.csv", body=CSV, etag='"iris-1"')
    http_server.serve("/copy.csv", body=CSV)
    config = files_config(http_server, "/iris.csv", "/copy.csv")

    first = ingestion_flow_dept_project_alpha(config=config, return_state=True)

    assert first.is_completed()
    (event,) = stage_events()
    assert event.event == OBJECTS_STORED
    assert event.resource.id == "airnub.department.project_alpha"
    assert event.resource.name == "Project Alpha" and event.resource["airnub.stage"] == "ingestion"
    # one URL stored the content, the other is its duplicate (which one: the batch that committed first)
    assert event.payload["count"] == 1 and event.payload["truncated"] is False
    (stored,) = event.payload["objects"]
    assert (stored["data_source_name"], stored["sha256"]) == ("alpha_files", sha256_hex(CSV))
    assert stored["name"] in ("iris.csv", "copy.csv")
    assert sorted(o.status for o in first.result().outcomes) == ["duplicate", "stored"]
    assert Path(stored["path"]).read_bytes() == CSV
    related = {r.role: r.id for r in event.related}
    assert related["flow-run"] == f"prefect.flow-run.{first.state_details.flow_run_id}"

    second = ingestion_flow_dept_project_alpha(config=config, return_state=True)

    assert second.is_completed()
    assert "stored" not in {o.status for o in second.result().outcomes}
    assert len(stage_events()) == 1  # nothing new: no second event


def test_ingestion_emits_stored_objects_even_when_another_item_failed(
    http_server: LoopbackHTTPServer, data_dir: Path, stage_events: Callable[[], list[Event]]
) -> None:
    http_server.serve("/good.csv", body=CSV)
    config = files_config(http_server, "/good.csv", "/missing.csv")

    state = ingestion_flow_dept_project_alpha(config=config, return_state=True)

    assert state.is_failed()
    (event,) = stage_events()
    assert event.payload["count"] == 1 and event.payload["objects"][0]["name"] == "good.csv"


def test_ingestion_emits_nothing_when_every_item_failed(
    http_server: LoopbackHTTPServer, data_dir: Path, stage_events: Callable[[], list[Event]]
) -> None:
    state = ingestion_flow_dept_project_alpha(config=files_config(http_server, "/missing.csv"), return_state=True)

    assert state.is_failed()
    assert stage_events() == []
