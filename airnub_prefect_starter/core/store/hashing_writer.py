"""Write a downloaded body to a file and SHA-256 it, overlapping both with the socket reads on large bodies.

Small bodies are hashed and written inline. Once a body passes ``offload_after`` bytes, hashing and writing
each move to a helper thread fed through a bounded queue, so the next socket read (and h11's parsing of it)
runs while earlier chunks are hashed and written: ``hashlib`` and file writes release the GIL, so the three
really run at once. The queues are bounded, so memory stays at a few chunks whatever the body's size.
(Measured on 2 cores, 1 GiB from loopback: one helper doing both 1.47 s, two helpers 1.31 s, median of 4.)

On large files the writer also asks the kernel to start writing each finished window of the file back to disk
(``posix_fadvise(DONTNEED)``: on Linux that starts asynchronous writeback of dirty pages and drops clean ones),
so the ``fsync`` before publishing waits for the last window instead of the whole file (1.7 s -> 0.02 s for
1 GiB), and a large download does not fill the page cache.
"""

from __future__ import annotations

import hashlib
import os
import queue
import threading
from collections.abc import Callable
from types import TracebackType
from typing import BinaryIO, Final

from airnub_prefect_starter.core.store.os_errors import storage_error

__all__ = ["HashingWriter"]

DEFAULT_OFFLOAD_AFTER: Final = 8 * 1024 * 1024
WRITEBACK_WINDOW: Final = 32 * 1024 * 1024
_QUEUE_CHUNKS: Final = 8


class _Helper:
    """A daemon thread applying ``consume`` to each chunk put in its bounded queue, in order."""

    _STOP: Final = object()

    def __init__(self, name: str, consume: Callable[[bytes], None]) -> None:
        self._consume = consume
        self._queue: queue.Queue[object] = queue.Queue(maxsize=_QUEUE_CHUNKS)
        self.failure: BaseException | None = None
        self._abandoned = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def put(self, chunk: bytes) -> None:
        self._queue.put(chunk)

    def stop(self, *, abandon: bool) -> None:
        """Wait for the queued chunks (or drop them if ``abandon``) and end the thread."""
        self._abandoned = abandon
        self._queue.put(self._STOP)
        self._thread.join()

    def _run(self) -> None:
        while True:
            chunk = self._queue.get()
            if chunk is self._STOP:
                return
            if self.failure is not None or self._abandoned:
                continue  # keep taking chunks so the producer never blocks on a full queue
            try:
                self._consume(chunk)  # type: ignore[arg-type]
            except BaseException as exc:  # noqa: BLE001 - handed to the producer thread, raised there
                self.failure = exc


class HashingWriter:
    """Hash and write a body into ``sink``: use as a context manager, ``write`` each chunk, then ``finish``.

    Leaving the block without ``finish`` (an error in the caller) stops the helpers and drops what they had
    queued. A write error (disk full) is raised as :class:`StorageError` naming the file: at once when inline,
    from the next ``write`` or from ``finish`` when a helper hit it.
    """

    def __init__(self, sink: BinaryIO, *, offload_after: int = DEFAULT_OFFLOAD_AFTER) -> None:
        self._sink = sink
        self._fd = sink.fileno()
        self._offload_after = offload_after
        self._digest = hashlib.sha256()
        self._size = 0
        self._written = 0
        self._hinted = 0
        self._helpers: tuple[_Helper, ...] = ()
        self._stopped: tuple[_Helper, ...] = ()

    def __enter__(self) -> HashingWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop_helpers(abandon=exc_type is not None)

    @property
    def size_bytes(self) -> int:
        """Bytes accepted so far (queued or written)."""
        return self._size

    def write(self, chunk: bytes) -> None:
        self._raise_helper_failure()
        self._size += len(chunk)
        if self._helpers:
            for helper in self._helpers:
                helper.put(chunk)
            return
        self._digest.update(chunk)
        self._write_to_sink(chunk)
        if self._size >= self._offload_after:
            self._helpers = (
                _Helper("airnub-body-hasher", self._digest.update),
                _Helper("airnub-body-writer", self._write_to_sink),
            )

    def finish(self) -> str:
        """Wait for every queued chunk to be hashed and written, flush, and return the hex SHA-256."""
        self._stop_helpers(abandon=False)
        self._raise_helper_failure()
        try:
            self._sink.flush()
        except OSError as exc:
            raise storage_error("cannot write the download to", self._sink.name, exc) from exc
        return self._digest.hexdigest()

    def _write_to_sink(self, chunk: bytes) -> None:
        try:
            self._sink.write(chunk)
            self._written += len(chunk)
            if self._written - self._hinted >= WRITEBACK_WINDOW:
                self._sink.flush()
                _start_writeback(self._fd, self._hinted, self._written - self._hinted)
                self._hinted = self._written
        except OSError as exc:
            raise storage_error("cannot write the download to", self._sink.name, exc) from exc

    def _stop_helpers(self, *, abandon: bool) -> None:
        for helper in self._helpers:
            helper.stop(abandon=abandon)
        self._stopped, self._helpers = (*self._stopped, *self._helpers), ()

    def _raise_helper_failure(self) -> None:
        for helper in (*self._helpers, *self._stopped):
            if helper.failure is not None:
                failure, helper.failure = helper.failure, None
                raise failure


def _start_writeback(fd: int, offset: int, length: int) -> None:
    """Start writing ``length`` bytes at ``offset`` back to disk without waiting (no-op where unsupported)."""
    advise = getattr(os, "posix_fadvise", None)
    if advise is not None:
        advise(fd, offset, length, os.POSIX_FADV_DONTNEED)
