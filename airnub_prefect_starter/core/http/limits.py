"""Where ``per_host_limit`` and ``per_host_rate`` are held: the seam between fetching and a limiter.

Fetching asks two things of a host's limits, through :class:`HostLimits`: a *slot* held while a request and its
body are in flight (at most ``per_host_limit`` at once), and a *turn* before each request starts (requests to one
host spaced by ``1 / per_host_rate`` or a robots.txt Crawl-delay). :class:`ProcessHostLimits`, the default, holds
both in this process: every batch and run of the process shares one semaphore per host and limit, and one pacing
timeline per origin (:func:`~airnub_prefect_starter.core.http.rate.shared_pacer`). N processes (workers, Dask
processes) then send up to N times the limit to one host.

Limits held across processes (``AIRNUB_HOST_LIMITS=prefect``: Prefect's global concurrency limits) are built in
``tasks/`` (core knows no Prefect) and handed down as a :data:`HostLimitsFactory`: a picklable callable (a class)
that builds the limits of a run from its policy in whichever process runs the batch.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol
from urllib.parse import urlsplit

from airnub_prefect_starter.core.http.policy import HttpPolicy, origin_of
from airnub_prefect_starter.core.http.rate import HostPacer, shared_pacer

__all__ = ["HostLimits", "HostLimitsFactory", "ProcessHostLimits", "host_of"]


class HostLimits(Protocol):
    """The per-host limits of one run's policy."""

    def slot(self, url: str) -> AbstractContextManager[object]:
        """Hold one of the ``per_host_limit`` slots of ``url``'s host while the context is open (waiting for one
        to be free first)."""
        ...

    def pace(self, url: str, interval_s: float, budget_s: float | None) -> float | None:
        """Wait until ``url``'s host may be sent the next request, at least ``interval_s`` after the last start
        (``1 / per_host_rate`` or the Crawl-delay honoured); return the seconds waited, or ``None`` at once,
        having reserved nothing, when the wait would exceed ``budget_s``."""
        ...


#: Builds the :class:`HostLimits` of a run's policy; must pickle (it travels to Dask workers with the batch).
HostLimitsFactory = Callable[[HttpPolicy], HostLimits]


def host_of(url: str) -> str:
    """The host name of ``url`` (lower case), which ``per_host_limit`` counts by."""
    return (urlsplit(url).hostname or "").lower()


_semaphores: dict[tuple[str, int], threading.BoundedSemaphore] = {}
_semaphores_lock = threading.Lock()


class ProcessHostLimits:
    """``per_host_limit`` and the pacing held in this process, shared by all its batches and runs; ``pacer`` is a
    seam for tests (default: the process's)."""

    def __init__(self, policy: HttpPolicy, pacer: HostPacer | None = None) -> None:
        self.policy = policy
        self._pacer = pacer or shared_pacer()

    @contextmanager
    def slot(self, url: str) -> Iterator[None]:
        key = (host_of(url), self.policy.per_host_limit)
        with _semaphores_lock:
            semaphore = _semaphores.setdefault(key, threading.BoundedSemaphore(key[1]))
        with semaphore:
            yield

    def pace(self, url: str, interval_s: float, budget_s: float | None) -> float | None:
        return self._pacer.wait(str(origin_of(url)), interval_s, budget_s=budget_s)
