"""How many batches a category's task runner runs at once (what a derived batch size is spread over)."""

from __future__ import annotations

from prefect.task_runners import ThreadPoolTaskRunner

from airnub_prefect_starter.tasks.task_runners import bounded_threads, runner_workers


def test_a_bounded_thread_pool_says_how_many_tasks_it_runs_at_once() -> None:
    # reads Prefect's ThreadPoolTaskRunner, which keeps the bound in a private attribute: this guards upgrades
    assert runner_workers(bounded_threads(3)) == 3
    assert runner_workers(ThreadPoolTaskRunner(max_workers=7)) == 7


def test_no_runner_says_nothing() -> None:
    assert runner_workers(None) is None
