"""In-process progress listeners: the CLI's live display subscribes, flows report item by item.

Listeners only see runs in the same process (the embedded demo, ``airnub run``); deployments on workers report
progress through Prefect's progress artifacts instead.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

__all__ = ["ProgressEvent", "listening", "report_progress"]


@dataclass(frozen=True)
class ProgressEvent:
    scope: str  # e.g. "Project Alpha / scheduled_file_downloads"
    done: int
    total: int
    last_item: str
    last_status: str


_listeners: list[Callable[[ProgressEvent], None]] = []
_lock = threading.Lock()


@contextmanager
def listening(listener: Callable[[ProgressEvent], None]) -> Iterator[None]:
    """Call ``listener`` for every progress event reported in this process while the block runs."""
    with _lock:
        _listeners.append(listener)
    try:
        yield
    finally:
        with _lock:
            _listeners.remove(listener)


def report_progress(event: ProgressEvent) -> None:
    with _lock:
        listeners = list(_listeners)
    for listener in listeners:
        listener(event)
