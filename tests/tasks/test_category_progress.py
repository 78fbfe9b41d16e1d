"""A category's progress: each item counted once, whether its batch reports it item by item, when it finishes, or
again on a retry; the artifact ends showing every item, even those done while it was being created."""

from __future__ import annotations

from typing import Any, cast
from uuid import UUID

import pytest
from prefect import flow
from prefect.artifacts import create_progress_artifact, update_progress_artifact

from airnub_prefect_starter.common.progress import ProgressEvent, listening
from airnub_prefect_starter.ingestion.outcome import ItemOutcome
from airnub_prefect_starter.tasks import category_progress
from airnub_prefect_starter.tasks.category_progress import CategoryProgress


def outcome(name: str) -> ItemOutcome:
    return ItemOutcome("files", name, f"http://127.0.0.1/{name}", "stored")


def test_each_item_is_counted_once_however_its_batch_reports_it() -> None:
    progress = CategoryProgress("Toy / ingestion / files", [2, 3])
    events: list[ProgressEvent] = []
    first = progress.item_callback(0)

    with listening(events.append):
        first(outcome("a"))
        first(outcome("b"))
        first(outcome("a"))  # the batch retried: its items come again
        progress.batch_done(0, [outcome("a"), outcome("b")])
        progress.item_callback(1)(outcome("c"))
        progress.batch_done(1, [outcome("c"), outcome("d"), outcome("e")])  # the rest counted as it finishes

    assert [(e.done, e.total, e.last_item) for e in events] == [
        (1, 5, "a"),
        (2, 5, "b"),
        (3, 5, "c"),
        (4, 5, "d"),
        (5, 5, "e"),
    ]


@pytest.mark.usefixtures("prefect_harness")
def test_items_done_while_the_artifact_is_created_are_sent_when_the_category_finishes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    progress = CategoryProgress("Toy / ingestion / files", [2])
    done = progress.item_callback(0)
    done(outcome("a"))
    sent: list[float] = []

    def created_while_an_item_finishes(progress_value: float, **kwargs: Any) -> UUID:
        done(outcome("b"))  # its batch thread counts it meanwhile
        return cast(UUID, create_progress_artifact(progress_value, **kwargs))

    def updated(artifact: UUID, progress_value: float) -> None:
        sent.append(progress_value)
        update_progress_artifact(artifact, progress_value)

    monkeypatch.setattr(category_progress, "create_progress_artifact", created_while_an_item_finishes)
    monkeypatch.setattr(category_progress, "update_progress_artifact", updated)

    @flow
    def category() -> None:
        progress.publish("toy-files-progress", "Toy / ingestion / files: items processed")
        progress.finish()

    category()

    assert sent == [100.0]
