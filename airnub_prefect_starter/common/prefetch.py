"""Run an iterator a few items ahead of its consumer, in a thread: a pipeline stage.

The dataset engine chains stages (read and parse a chunk, type and check it, write it). Their heavy work is done
by polars, NumPy, pyarrow and zstd, which release the GIL, so on two cores the stages really overlap. The queue
between two stages is bounded (``depth`` items), so memory holds a few batches whatever the input's size.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import Final, TypeVar

__all__ = ["prefetch"]

T = TypeVar("T")

_DONE: Final = object()


class _Failure:
    def __init__(self, error: BaseException) -> None:
        self.error = error


def prefetch(items: Iterable[T], *, depth: int = 1, name: str = "airnub-prefetch") -> Iterator[T]:
    """``items``, produced in a daemon thread up to ``depth`` items ahead. An exception of the producer is raised
    in the consumer, where the item would have come. Closing this generator early (a ``for`` loop left by an
    exception, ``close()``) stops the producer at its next item and waits for it, so its clean-up (an open file)
    has run when the close returns."""
    handoff: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                handoff.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        source = iter(items)
        try:
            for item in source:
                if not put(item):
                    return
        except BaseException as exc:  # noqa: BLE001 - raised again in the consumer's thread
            put(_Failure(exc))
            return
        finally:
            close = getattr(source, "close", None)
            if close is not None:  # a generator stopped early runs its own clean-up here, in its thread
                close()
        put(_DONE)

    thread = threading.Thread(target=produce, name=name, daemon=True)
    thread.start()
    try:
        while True:
            item = handoff.get()
            if item is _DONE:
                return
            if isinstance(item, _Failure):
                raise item.error
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        thread.join()
