"""What a category's task runner says of itself: how many tasks it runs at once (a batch's concurrency) and whether
it runs them in this process (a batch then reports its progress item by item)."""

from __future__ import annotations

from prefect.task_runners import ThreadPoolTaskRunner

from airnub_prefect_starter.tasks.task_runners import bounded_threads, runner_workers, runs_in_this_process


def test_a_bounded_thread_pool_says_how_many_tasks_it_runs_at_once() -> None:
    # reads Prefect's ThreadPoolTaskRunner, which keeps the bound in a private attribute: this guards upgrades
    assert runner_workers(bounded_threads(3)) == 3
    assert runner_workers(ThreadPoolTaskRunner(max_workers=7)) == 7


def test_no_runner_says_nothing() -> None:
    assert runner_workers(None) is None


def test_only_a_thread_pool_runs_its_tasks_in_this_process() -> None:
    from prefect_dask.task_runners import DaskTaskRunner

    assert runs_in_this_process(bounded_threads(2))
    assert not runs_in_this_process(DaskTaskRunner(address="tcp://127.0.0.1:8786"))  # never started: no cluster
    assert not runs_in_this_process(None)
