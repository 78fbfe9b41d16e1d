"""Tests that must not share the machine (a pytest plugin of the root conftest).

``make test`` runs the suite on pytest-xdist workers, two tests at a time. A few tests measure time or race
processes against each other (kills within a time budget, two workers taking one run each, sub-flows ending
sooner): beside another heavy test they fail for want of CPU, not for a bug. Marked ``exclusive``, such a test
runs while no other test runs.

The workers of one run share a reader-writer lock, two ``flock`` files in the run's base temporary directory:
every other test holds the lock shared, an exclusive test holds it exclusively (setup, call and teardown). A
worker waiting for the exclusive lock first takes the gate, so the other worker cannot start test after test and
keep it waiting. Without xdist (``-n 0``, a single test) there is nothing to lock.
"""

from __future__ import annotations

import fcntl
from collections.abc import Generator
from pathlib import Path
from typing import IO

import pytest

MARK = "exclusive"


class _RunLock:
    """This worker's side of the run-wide reader-writer lock."""

    def __init__(self, directory: Path) -> None:
        self._gate = (directory / "exclusive-tests.gate").open("a")
        self._lock = (directory / "exclusive-tests.lock").open("a")

    def acquire(self, exclusive: bool) -> None:
        fcntl.flock(self._gate, fcntl.LOCK_EX)
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        finally:
            fcntl.flock(self._gate, fcntl.LOCK_UN)

    def release(self) -> None:
        fcntl.flock(self._lock, fcntl.LOCK_UN)

    def close(self) -> None:
        files: tuple[IO[str], ...] = (self._gate, self._lock)
        for file in files:
            file.close()


_run_lock: _RunLock | None = None


def pytest_configure(config: pytest.Config) -> None:
    global _run_lock
    basetemp = getattr(config.option, "basetemp", None)
    if hasattr(config, "workerinput") and basetemp:  # an xdist worker: its basetemp is <the run's basetemp>/gwN
        _run_lock = _RunLock(Path(basetemp).parent)


def pytest_unconfigure(config: pytest.Config) -> None:
    global _run_lock
    if _run_lock is not None:
        _run_lock.close()
        _run_lock = None


@pytest.hookimpl(hookwrapper=True, tryfirst=True)  # outermost: waiting for the lock is not the test's timeout
def pytest_runtest_protocol(item: pytest.Item) -> Generator[None, None, None]:
    lock = _run_lock
    if lock is None:
        yield
        return
    lock.acquire(exclusive=item.get_closest_marker(MARK) is not None)
    try:
        yield
    finally:
        lock.release()
