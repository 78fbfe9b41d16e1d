"""A hard wall-clock deadline for one item: every connect, read, write and retry wait ends by it.

Timeouts per operation do not bound a whole download: a server that drips a byte just inside the read timeout, or
a retry after a long Retry-After, could hold an item far past ``total_deadline_s``. The transport gives each
request what is left of the item's :class:`Deadline` as its whole-transfer limit, and retries and pacing waits
check it before they start.
"""

from __future__ import annotations

import time

from airnub_prefect_starter.core.errors import DeadlineExceededError

__all__ = ["Deadline"]


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
