"""The heartbeat fix: sub-flow runs end when their body ends, not up to a second later."""

from __future__ import annotations

import time

import pytest
from prefect import flow

from airnub_prefect_starter.tasks import prefect_compat

pytestmark = pytest.mark.usefixtures("prefect_harness")


@flow
def quick_subflow(number: int) -> int:
    return number


@flow
def parent_of_quick_subflows(count: int) -> list[float]:
    seconds = []
    for number in range(count):
        started = time.perf_counter()
        quick_subflow(number)
        seconds.append(time.perf_counter() - started)
    return seconds


def test_the_fix_is_in_place_on_the_pinned_prefect() -> None:
    assert prefect_compat.install() is True
    assert prefect_compat.heartbeat_join_skipped()


def test_sub_flows_do_not_wait_for_the_heartbeat_thread() -> None:
    prefect_compat.install()
    parent_of_quick_subflows(1)  # warm-up: the first flow run in a process pays for imports and clients

    seconds = parent_of_quick_subflows(3)

    # Joining the heartbeat thread (which sleeps in whole seconds) made each of these take about 1 s.
    assert max(seconds) < 0.6, seconds
