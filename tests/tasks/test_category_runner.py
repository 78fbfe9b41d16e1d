"""_run_per_item: an item task's error becomes its failed outcome; a task run Prefect cancelled or crashed is no
item failure and ends the flow."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from prefect import flow, task
from prefect.exceptions import CancelledRun, CrashedRun

from airnub_prefect_starter.core.errors import CategoryFailedError
from airnub_prefect_starter.processing.contract import PROCESSING
from airnub_prefect_starter.processing.outcome import DatasetOutcome
from airnub_prefect_starter.tasks.category_runner import _run_per_item, finish_category


@dataclass(frozen=True)
class Spec:
    name: str
    error: Exception


@task(retries=0)
def raising_task(spec: Spec, runtime: None) -> DatasetOutcome:
    raise spec.error


@flow
def category_flow(specs: list[Spec]) -> list[DatasetOutcome]:
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
