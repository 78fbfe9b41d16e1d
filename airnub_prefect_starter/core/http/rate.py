"""Per-host request pacing: a token bucket of one token per host, refilled every ``interval_s`` seconds.

``http.per_host_rate`` (requests per second) and a robots.txt ``Crawl-delay`` both come down to a minimum
interval between the *starts* of two requests to one host. A bucket holding one token is exactly that, so
:class:`HostPacer` keeps one timestamp per host: the start reserved by the last request. A caller reserves the
next start under a lock and sleeps outside it, so threads are served in the order they asked and none spins.

Callers may ask with different intervals (two categories with different rates against one host): each is
spaced from the last reserved start by its own interval, so the stricter one is never sped up by the other.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

__all__ = ["HostPacer", "shared_pacer"]


class HostPacer:
    """Spaces requests to each host key; thread-safe. ``clock`` and ``sleep`` are seams for tests."""

    def __init__(
        self, clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._last_start: dict[str, float] = {}

    def wait(self, host: str, interval_s: float, budget_s: float | None = None) -> float | None:
        """Reserve the next start for ``host`` at least ``interval_s`` after the last one, sleep until it and
        return the seconds waited. If that wait exceeds ``budget_s``, reserve nothing and return ``None`` at once.

        An ``interval_s`` of 0 waits for nothing but still records the start, so a paced caller that follows is
        spaced from it."""
        with self._lock:
            now = self._clock()
            delay = self._delay(host, interval_s, now)
            if budget_s is not None and delay > budget_s:
                return None
            self._last_start[host] = now + delay
        if delay > 0:
            self._sleep(delay)
        return delay

    def _delay(self, host: str, interval_s: float, now: float) -> float:
        last = self._last_start.get(host)
        return 0.0 if last is None else max(last + interval_s - now, 0.0)


_SHARED = HostPacer()


def shared_pacer() -> HostPacer:
    """The pacer of this process: every run and batch in it shares one timeline per host, as they share the
    ``per_host_limit`` slots."""
    return _SHARED
