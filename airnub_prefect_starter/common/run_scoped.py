"""What the batches of one run share inside a process: a small, thread-safe, least-recently-used registry.

A category run's batches may run in several threads of one process (and a worker process runs many runs over its
life), so state that is worth building once per run (robots.txt verdicts, the manifest index's engine) is kept
here under the run's key, created by the first batch to ask, and forgotten after :data:`MAX_RUNS` newer runs.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

__all__ = ["MAX_RUNS", "RunScoped"]

#: Runs a registry remembers (the oldest is forgotten first).
MAX_RUNS = 32

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class RunScoped(Generic[K, V]):
    """One value per key (a run), created on first use by ``create(key)``; thread-safe. A forgotten value is
    handed to ``forget`` (to release what it holds)."""

    def __init__(
        self, create: Callable[[K], V], max_runs: int = MAX_RUNS, forget: Callable[[V], object] | None = None
    ) -> None:
        self._create = create
        self._max_runs = max_runs
        self._forget = forget
        self._values: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V:
        """The value of ``key``, created (under the lock, so once) if this process has not seen the key yet."""
        with self._lock:
            found = self._values.get(key)
            if found is None:
                found = self._values[key] = self._create(key)
                while len(self._values) > self._max_runs:
                    _, oldest = self._values.popitem(last=False)
                    if self._forget is not None:
                        self._forget(oldest)
            else:
                self._values.move_to_end(key)
            return found
