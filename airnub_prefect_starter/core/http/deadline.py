"""A hard wall-clock deadline for one item: every connect, read, write and retry wait ends by it.

httpx has timeouts per operation but none for a whole download: a server that drips a byte just inside the read
timeout, or a retry after a long Retry-After, could hold an item far past ``total_deadline_s``. A
:class:`Deadline` is activated around an item's requests (:meth:`Deadline.active`); the network backend
(:class:`~airnub_prefect_starter.core.http.policy.PolicyNetworkBackend`) then bounds every socket operation by
:func:`bounded_timeout`, so a blocked read ends when the deadline does, not a read timeout later.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from airnub_prefect_starter.core.errors import DeadlineExceededError

__all__ = ["Deadline", "bounded_timeout"]

#: The deadline of the item this thread is fetching; the network backend reads it on every socket operation.
_ACTIVE: ContextVar[Deadline | None] = ContextVar("airnub_http_deadline", default=None)


class Deadline:
    """A wall-clock budget for one item, across all hops, reads and retries."""

    def __init__(self, seconds: float, *, started: bool = True) -> None:
        self.seconds = seconds
        self._ends_at: float | None = None
        if started:
            self.start()

    def start(self) -> None:
        """Start the clock (once; later calls change nothing): an item queued for a free per-host slot has not
        started yet."""
        if self._ends_at is None:
            self._ends_at = time.monotonic() + self.seconds

    def remaining(self) -> float:
        return self.seconds if self._ends_at is None else self._ends_at - time.monotonic()

    def expired(self) -> bool:
        return self.remaining() <= 0

    def error(self, url: str, what: str) -> DeadlineExceededError:
        """The error for ``url`` (redacted) when the deadline ends during ``what``."""
        return DeadlineExceededError(url, f"total deadline of {self.seconds:g}s exceeded {what}")

    def check(self, url: str, received: int) -> None:
        if self.expired():
            raise self.error(url, f"after receiving {received} bytes")

    def timeout(self, configured: float) -> float:
        """``configured`` shortened to what is left (a request's per-operation timeouts)."""
        return max(min(configured, self.remaining()), 0.0)

    @contextmanager
    def active(self) -> Iterator[Deadline]:
        """Bound every socket operation of this thread's requests by this deadline while the block runs."""
        token = _ACTIVE.set(self)
        try:
            yield self
        finally:
            _ACTIVE.reset(token)


def bounded_timeout(timeout: float | None) -> float | None:
    """``timeout`` shortened to the active deadline's remaining time; ``None`` (no deadline active) leaves it.

    Returns 0 or less when the deadline has passed: the caller raises its timeout error without blocking.
    """
    deadline = _ACTIVE.get()
    if deadline is None:
        return timeout
    remaining = deadline.remaining()
    return remaining if timeout is None else min(timeout, remaining)
