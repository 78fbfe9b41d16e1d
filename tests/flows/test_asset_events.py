"""Prefect asset events: a processing run and an analysis run on the session's Prefect test server, then the
``prefect.asset.*`` events read back from the server's events API: the dataset, model and report keyed by their
``file://`` locations, sha256 and row counts as payload, the analysis related to the dataset it read; a second,
unchanged run emits no new materialization."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from prefect.client.orchestration import get_client
from prefect.events import Event
from prefect.events.filters import EventFilter, EventNameFilter, EventOccurredFilter, EventResourceFilter
from prefect.events.worker import EventsWorker
from prefect.types._datetime import now

from airnub_prefect_starter.common.utils import sha256_file
from flows.dept_project_alpha.analysis_flow_dept_project_alpha import analysis_flow_dept_project_alpha
from flows.dept_project_alpha.processing_flow_dept_project_alpha import processing_flow_dept_project_alpha
from tests.support.demo_recipes import demo_dataset
from tests.support.http_server import LoopbackHTTPServer
from tests.support.raw_inputs import ingest_raw, sklearn_iris_csv

PROCESSING = {
    "tabular_files": {
        "datasets": [demo_dataset("iris", input={"data_source_name": "alpha_files", "filename": "iris.csv"})]
    }
}
ANALYSIS = {"classification_reports": {"datasets": [{"name": "iris", "model": "random_forest", "seed": 7}]}}
#: The server persists events in batches (every few seconds).
PERSISTED_WITHIN_S = 60.0


def _asset_events_of(state: Any, since: Any) -> list[Event]:
    """The asset events since ``since``, read once the server holds the event of the run of ``state`` completing
    (this process sends its events in order: every asset event of that run was sent before it)."""
    EventsWorker.drain_all()
    run = f"prefect.flow-run.{state.state_details.flow_run_id}"
    completed = EventFilter(
        occurred=EventOccurredFilter(since=since),
        event=EventNameFilter(name=["prefect.flow-run.Completed"]),
        resource=EventResourceFilter(id=[run]),
    )
    assets = EventFilter(occurred=EventOccurredFilter(since=since), event=EventNameFilter(prefix=["prefect.asset."]))
    deadline = time.monotonic() + PERSISTED_WITHIN_S
    with get_client(sync_client=True) as client:
        while not client.read_events(completed, limit=1).events:
            assert time.monotonic() < deadline, f"{run}: its Completed event did not reach the server"
            time.sleep(0.5)
        return client.read_events(assets, limit=50).events


def test_datasets_models_and_reports_are_announced_as_prefect_asset_materializations(
    http_server: LoopbackHTTPServer, data_dir: Path
) -> None:
    ingest_raw(http_server, "/files/iris.csv", sklearn_iris_csv(), data_source_name="alpha_files", name="iris")
    since = now("UTC")

    processed = processing_flow_dept_project_alpha(config=PROCESSING, return_state=True)
    analysed = analysis_flow_dept_project_alpha(config=ANALYSIS, return_state=True)
    events = _asset_events_of(analysed, since)

    assert processed.is_completed() and analysed.is_completed()
    dataset = data_dir.resolve() / "processed" / "iris.parquet"
    model = data_dir.resolve() / "models" / "iris" / "iris_random_forest.joblib"
    report = data_dir.resolve() / "reports" / "iris" / "report.html"
    succeeded = {e.resource.id: e for e in events if e.event == "prefect.asset.materialization.succeeded"}
    assert sorted(succeeded) == sorted(f"file://{path}" for path in (dataset, model, report))
    on_dataset = succeeded[f"file://{dataset}"].payload
    assert on_dataset["kind"] == "dataset"
    assert on_dataset["sha256"] == sha256_file(dataset)
    assert on_dataset["rows"] == 150 and on_dataset["rows_in"] == 150 and on_dataset["rows_quarantined"] == 0
    on_model, on_report = succeeded[f"file://{model}"].payload, succeeded[f"file://{report}"].payload
    assert on_model["sha256"] == sha256_file(model) and on_report["sha256"] == sha256_file(report)
    assert on_model["dataset_sha256"] == on_report["dataset_sha256"] == sha256_file(dataset)
    assert on_model["rows_train"] + on_model["rows_test"] == 150 and on_model["accuracy"] > 0.8
    related = {(r.id, r.role) for r in succeeded[f"file://{report}"].related}
    assert (f"file://{dataset}", "asset") in related
    assert ("airnub", "asset-materialized-by") in related
    referenced = {e.resource.id for e in events if e.event == "prefect.asset.referenced"}
    assert referenced == {f"file://{dataset}", http_server.url("/files/iris.csv")}

    again = now("UTC")
    processing_flow_dept_project_alpha(config=PROCESSING)
    unchanged = analysis_flow_dept_project_alpha(config=ANALYSIS, return_state=True)

    assert _asset_events_of(unchanged, again) == []  # nothing built, nothing announced
