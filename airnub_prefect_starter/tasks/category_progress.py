"""The progress of one category run of batches: its Prefect progress artifact and the in-process listeners.

A category of up to a thousand items is one batch task, so counting items as batches finish would move the bar
from 0 to 100 in one step. A batch that runs in the flow's process (a thread runner) reports each item as it is
done instead, through the ``on_item`` callback :meth:`CategoryProgress.item_callback` gives it, from whichever
thread ingests the item; a batch that runs elsewhere (a Dask worker) is counted when it finishes
(:meth:`CategoryProgress.batch_done`). Either way each item is counted once, the artifact is updated at most once
a second (each update is an API call) and its last value is always sent.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Sequence
from uuid import UUID

from prefect.artifacts import create_progress_artifact, update_progress_artifact

from airnub_prefect_starter.common.progress import ProgressEvent, report_progress
from airnub_prefect_starter.stages.outcomes import Outcome

__all__ = ["PROGRESS_INTERVAL_S", "CategoryProgress"]

#: The least time between two updates of a category's progress artifact (the last one is always sent).
PROGRESS_INTERVAL_S = 1.0


class CategoryProgress:
    """Items done out of ``sum(batch_sizes)`` for the category run ``scope`` (``Project Alpha / ingestion /
    files``), batch ``n`` holding ``batch_sizes[n]`` items."""

    def __init__(self, scope: str, batch_sizes: Sequence[int]) -> None:
        self.scope = scope
        self.total = sum(batch_sizes)
        self._sizes = list(batch_sizes)
        self._counted = [0] * len(batch_sizes)
        self._done = 0
        self._artifact: UUID | None = None
        self._shown = 0
        self._shown_at = time.monotonic()
        # Listeners (the CLI's live display) are called under it, one at a time, in the order items are counted.
        self._lock = threading.Lock()

    def publish(self, key: str, description: str) -> None:
        """Create the progress artifact (after the batches are submitted, so they start while the API creates it);
        updates are sent from now on."""
        with self._lock:
            shown = self._done
        created: UUID = create_progress_artifact(  # type: ignore[assignment]  # sync call in a sync flow
            100.0 * shown / self.total, key=key, description=description
        )
        with self._lock:  # items done while it was created are sent with the next update
            self._artifact, self._shown, self._shown_at = created, shown, time.monotonic()

    def item_callback(self, batch: int) -> Callable[[Outcome], None]:
        """The ``on_item`` callback of batch number ``batch``, for a batch running in this process (any thread)."""
        return functools.partial(self._items_done, batch)

    def batch_done(self, batch: int, outcomes: Sequence[Outcome]) -> None:
        """Count the outcomes of a finished batch its callback did not count (all of them when it ran elsewhere)."""
        self._items_done(batch, *outcomes[self._counted[batch] :])

    def finish(self) -> None:
        """Send the last value, if the artifact does not show it yet."""
        with self._lock:
            update = self._update(at_least=0.0)
        if update is not None:
            update_progress_artifact(*update)

    def _items_done(self, batch: int, *outcomes: Outcome) -> None:
        with self._lock:
            for outcome in outcomes:
                if self._counted[batch] >= self._sizes[batch]:  # a retried batch reports its items again
                    break
                self._counted[batch] += 1
                self._done += 1
                report_progress(ProgressEvent(self.scope, self._done, self.total, outcome.name, outcome.status))
            update = self._update(at_least=PROGRESS_INTERVAL_S)
        if update is not None:  # the API call is made outside the lock: the other items' threads go on meanwhile
            update_progress_artifact(*update)

    def _update(self, at_least: float) -> tuple[UUID, float] | None:
        """The update to send now (called under the lock), if the artifact exists, shows less than is done and was
        last updated ``at_least`` seconds ago."""
        now = time.monotonic()
        if self._artifact is None or self._shown == self._done or now - self._shown_at < at_least:
            return None
        self._shown, self._shown_at = self._done, now
        return self._artifact, 100.0 * self._done / self.total
