"""The heartbeat fix: sub-flow runs end when their body ends, not up to a second later.

The tests count the waits for the heartbeat thread rather than time them (a busy machine slows everything);
``benchmarks/bench_heartbeat.py`` measures the seconds.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from prefect import flow

from airnub_prefect_starter.tasks import prefect_compat

pytestmark = pytest.mark.usefixtures("prefect_harness")


@flow
def quick_subflow(number: int) -> int:
    return number


@flow
def parent_of_quick_subflows(count: int) -> list[int]:
    return [quick_subflow(number) for number in range(count)]


@dataclass
class HeartbeatThreads:
    """What the flow runs did with their heartbeat threads: how many they started, and each wait for one (the
    timeout it waited with)."""

    starts: int = 0
    joins: list[float | None] = field(default_factory=list)


class _ThreadRecordingHeartbeats(threading.Thread):
    """A thread that notes its start, and each wait for it, when it runs Prefect's flow-run heartbeat loop."""

    seen: HeartbeatThreads

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        loop = next(iter(kwargs.get("args") or ()), None)
        self._runs_heartbeat = getattr(loop, "__name__", "") == "heartbeat_loop"

    def start(self) -> None:
        if self._runs_heartbeat:
            self.seen.starts += 1
        super().start()

    def join(self, timeout: float | None = None) -> None:
        if self._runs_heartbeat:
            self.seen.joins.append(timeout)
        super().join(timeout)


@pytest.fixture
def heartbeats(monkeypatch: pytest.MonkeyPatch) -> HeartbeatThreads:
    """The flow runs' heartbeat threads, recorded while the test runs."""
    seen = HeartbeatThreads()
    monkeypatch.setattr(_ThreadRecordingHeartbeats, "seen", seen, raising=False)
    monkeypatch.setattr(threading, "Thread", _ThreadRecordingHeartbeats)
    return seen


@pytest.fixture
def fix_restored_afterwards() -> Iterator[None]:
    yield
    prefect_compat.install()


def test_the_fix_is_in_place_on_the_pinned_prefect() -> None:
    assert prefect_compat.install() is True
    assert prefect_compat.heartbeat_join_skipped()


def test_importing_tasks_does_not_install_the_fix() -> None:

    code = (
        "import airnub_prefect_starter.tasks.stage_runner, airnub_prefect_starter.tasks.category_runner\n"
        "from airnub_prefect_starter.tasks import prefect_compat\n"
        "print(prefect_compat.heartbeat_join_skipped())"
    )
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)

    assert shown.stdout.strip() == "False"


def test_sub_flow_runs_end_without_waiting_for_their_heartbeat_thread_with_the_fix(
    heartbeats: HeartbeatThreads,
) -> None:
    prefect_compat.install()

    assert parent_of_quick_subflows(3) == [0, 1, 2]

    # The parent and its three sub-flows each started a heartbeat thread (the recording sees them: no wait below
    # is missed unseen) and none was waited for.
    assert heartbeats.starts == 4
    assert heartbeats.joins == []


@pytest.mark.usefixtures("fix_restored_afterwards")
def test_sub_flow_runs_wait_for_their_heartbeat_thread_without_the_fix(
    heartbeats: HeartbeatThreads,
) -> None:
    prefect_compat.uninstall()
    assert not prefect_compat.heartbeat_join_skipped()

    assert parent_of_quick_subflows(3) == [0, 1, 2]

    # One wait per flow run (the parent and its three sub-flows), each for a thread that sleeps in whole seconds:
    # what makes every sub-flow up to a second late (benchmarks/bench_heartbeat.py measures it).
    assert heartbeats.starts == 4
    assert len(heartbeats.joins) == 4, heartbeats.joins
