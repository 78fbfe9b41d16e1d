"""The category runner on real Prefect runs.

_run_per_item: an item task's error becomes its failed outcome; a task run Prefect cancelled or crashed is no item
failure and ends the flow. Ingestion batches: Prefect takes a category's items and outcomes as one value each, from
the stage flow's config parameter to the stage result (never walking them item by item), a category of a few items
is one batch task that gets the stage's concurrency, and its progress is reported item by item while it runs.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from prefect import flow, task
from prefect.artifacts import update_progress_artifact
from prefect.context import TaskRunContext
from prefect.exceptions import CancelledRun, CrashedRun

from airnub_prefect_starter.common.progress import ProgressEvent, listening
from airnub_prefect_starter.core.errors import CategoryFailedError
from airnub_prefect_starter.ingestion.batch import ingest_batch
from airnub_prefect_starter.ingestion.config import DownloadsConfig, FileToAcquire, IngestionStageBase
from airnub_prefect_starter.ingestion.contract import INGESTION
from airnub_prefect_starter.ingestion.outcome import ItemOutcome
from airnub_prefect_starter.processing.contract import PROCESSING
from airnub_prefect_starter.processing.outcome import DatasetOutcome
from airnub_prefect_starter.tasks import category_flows, category_progress
from airnub_prefect_starter.tasks.category_runner import _run_per_item, finish_category
from airnub_prefect_starter.tasks.stage_flows import stage_flow
from tests.support.http_server import LoopbackHTTPServer, Route


@dataclass(frozen=True)
class Spec:
    name: str
    error: Exception


@task(retries=0)
def raising_task(spec: Spec, runtime: None) -> DatasetOutcome:
    raise spec.error


@flow
def category_flow(specs: list[Spec]) -> Sequence[DatasetOutcome]:
    outcomes = _run_per_item(PROCESSING, raising_task, specs, None, department="Project Alpha", category="files")
    return finish_category(PROCESSING, "Project Alpha", "files", outcomes)


@pytest.fixture
def _prefect(prefect_harness: None, data_dir: Path) -> None:
    pass


@pytest.mark.usefixtures("_prefect")
@pytest.mark.parametrize("run_error", [CancelledRun("the task run was cancelled"), CrashedRun("the worker died")])
def test_run_per_item_ends_the_flow_when_a_task_run_is_cancelled_or_crashed(run_error: Exception) -> None:
    specs = [Spec("buggy", ZeroDivisionError("division by zero")), Spec("stopped", run_error)]

    with pytest.raises(type(run_error), match=str(run_error)):
        category_flow(specs)


@pytest.mark.usefixtures("_prefect")
def test_run_per_item_turns_an_unexpected_error_into_a_failed_outcome() -> None:
    with pytest.raises(CategoryFailedError) as raised:
        category_flow([Spec("buggy", ZeroDivisionError("division by zero"))])

    [outcome] = raised.value.outcomes
    assert (outcome.status, outcome.error) == ("failed", "unexpected ZeroDivisionError: division by zero")


class FilesStage(IngestionStageBase):
    files: DownloadsConfig | None = None


files_flow = category_flows.category_flow(
    "downloads", "toy", "files", name="Files (toy)", task_name="Download files (toy)"
)
files_stage = stage_flow(INGESTION, "toy", FilesStage, name="Ingestion (toy)", flows={"files": files_flow})


def files_config(server: LoopbackHTTPServer, count: int, **stage: Any) -> FilesStage:
    """A stage config of ``count`` files, validated (as ``airnub run --config`` hands it to the stage flow)."""
    files = [{"name": f"f{i}", "url": server.url(f"/f{i}")} for i in range(count)]
    section = {"data_source_name": "counted", "local_artifacts_storage_base": "downloads", "files_to_acquire": files}
    http = {"allow_private_networks": True, "retries": 0}
    return FilesStage.model_validate({"http": http, "files": section, **stage})


@dataclass
class Walks:
    """What Prefect's collection walker was handed: every visit (nested ones included), and each item, outcome or
    list or tuple holding one."""

    visits: int = 0
    items_or_outcomes: list[str] = field(default_factory=list)


@pytest.fixture
def walks(monkeypatch: pytest.MonkeyPatch) -> Walks:
    """Count the calls of ``visit_collection`` in every Prefect module that holds it (it calls itself for each
    element it descends into, so every visited element is one call)."""
    from prefect.utilities import collections as prefect_collections

    original = prefect_collections.visit_collection
    seen = Walks()

    def carries_an_item(value: object) -> bool:
        return isinstance(value, FileToAcquire | ItemOutcome)

    def spy(expr: Any, *args: Any, **kwargs: Any) -> Any:
        seen.visits += 1
        if carries_an_item(expr) or (isinstance(expr, list | tuple) and any(carries_an_item(e) for e in expr)):
            seen.items_or_outcomes.append(type(expr).__name__)
        return original(expr, *args, **kwargs)

    for name, module in list(sys.modules.items()):
        if name.startswith("prefect") and vars(module).get("visit_collection") is original:
            monkeypatch.setattr(module, "visit_collection", spy)
    return seen


@pytest.mark.usefixtures("_prefect")
def test_prefect_takes_a_categorys_items_and_outcomes_as_one_value_each(
    http_server: LoopbackHTTPServer, walks: Walks
) -> None:
    """From the stage flow's config parameter (the items in its section) to the stage result."""
    for number in range(30):
        http_server.serve(f"/f{number}", body=b"file %d" % number)
    files_stage(config=files_config(http_server, 1))  # Prefect's own first-run walks are not counted

    walks.visits = 0
    few = files_stage(config=files_config(http_server, 3))
    visits_for_few, walks.visits = walks.visits, 0
    many = files_stage(config=files_config(http_server, 30))

    assert [o.status for o in few.outcomes] == ["unchanged"] + ["stored"] * 2
    assert [o.name for o in many.outcomes] == [f"f{n}" for n in range(30)]
    assert walks.items_or_outcomes == []
    assert walks.visits == visits_for_few  # the same walks, element for element, for 30 items as for 3


@pytest.mark.usefixtures("_prefect")
def test_a_few_items_are_one_batch_task_with_the_stage_concurrency(
    http_server: LoopbackHTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    for number in range(5):
        http_server.serve(f"/f{number}", body=b"file %d" % number)
    batches: list[tuple[int, int]] = []

    def recorded(operation: str, items: Sequence[Any], *args: Any, concurrency: int, **kwargs: Any) -> Any:
        batches.append((len(items), concurrency))
        return ingest_batch(operation, items, *args, concurrency=concurrency, **kwargs)

    monkeypatch.setattr(category_flows, "ingest_batch", recorded)

    result = files_stage(config=files_config(http_server, 5, task_runner={"kind": "threads", "max_concurrency": 3}))

    assert result.counts()["stored"] == 5
    assert batches == [(5, 3)]


@pytest.mark.usefixtures("_prefect")
def test_one_batch_reports_its_progress_item_by_item_while_it_runs(
    http_server: LoopbackHTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    for number in range(4):
        http_server.serve(f"/f{number}", Route(body=b"file %d" % number, response_delay_s=0.3))
    monkeypatch.setattr(category_progress, "PROGRESS_INTERVAL_S", 0.0)  # every item is an update
    sent: list[tuple[float, bool]] = []

    def recorded(artifact: UUID, progress: float) -> None:
        sent.append((progress, TaskRunContext.get() is not None))
        update_progress_artifact(artifact, progress)

    monkeypatch.setattr(category_progress, "update_progress_artifact", recorded)
    events: list[tuple[ProgressEvent, bool]] = []

    with listening(lambda event: events.append((event, TaskRunContext.get() is not None))):
        files_stage(config=files_config(http_server, 4))

    assert [(event.done, event.total, in_batch) for event, in_batch in events] == [(n, 4, True) for n in (1, 2, 3, 4)]
    assert sent == [(25.0, True), (50.0, True), (75.0, True), (100.0, True)]  # sent from the batch as it ran
