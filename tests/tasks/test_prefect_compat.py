"""The heartbeat fix: sub-flow runs end when their body ends, not up to a second later."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator

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


@pytest.mark.exclusive  # compares durations of sub-flow runs
@pytest.mark.usefixtures("fix_restored_afterwards")
def test_sub_flows_end_sooner_with_the_fix_than_without_it() -> None:
    prefect_compat.install()
    parent_of_quick_subflows(1)  # warm-up: the first flow run in a process pays for imports and clients
    with_fix = parent_of_quick_subflows(3)
    prefect_compat.uninstall()
    assert not prefect_compat.heartbeat_join_skipped()
    without_fix = parent_of_quick_subflows(3)

    # Joining the heartbeat thread (which sleeps in whole seconds) makes each sub-flow take up to about 1 s;
    # compared in one run, so a loaded machine slows both sides alike.
    assert sum(with_fix) < sum(without_fix) / 2, (with_fix, without_fix)
