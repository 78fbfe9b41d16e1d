"""Task runners for category flows: bounded threads by default, Dask (prefect-dask) when configured.

With ``task_runner: {kind: dask}`` a stage run shares one Dask cluster between its category flows: either
the scheduler at ``address``, or one ``distributed.LocalCluster`` that :func:`stage_dask_cluster` starts for
the stage run and closes after it (``DaskTaskRunner()`` without an address would start one per category flow).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from prefect import get_run_logger
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

from airnub_prefect_starter.core.config import TaskRunnerConfig
from airnub_prefect_starter.core.errors import ConfigError

__all__ = ["bounded_threads", "build_task_runner", "runner_workers", "runs_in_this_process", "stage_dask_cluster"]

_DASK_EXTRA_MISSING = "task_runner.kind: dask needs the 'dask' extra (pip install 'airnub-prefect-starter[dask]')"


def bounded_threads(max_workers: int) -> TaskRunner[Any]:
    """A thread runner with a bound (Prefect's default pool grows to hundreds of threads)."""
    return ThreadPoolTaskRunner(max_workers=max_workers)


def runner_workers(runner: TaskRunner[Any] | None) -> int | None:
    """How many tasks ``runner`` runs at once, when it says (a bounded thread pool); ``None`` otherwise."""
    workers = getattr(runner, "_max_workers", None) if isinstance(runner, ThreadPoolTaskRunner) else None
    return workers if isinstance(workers, int) and workers < sys.maxsize else None


def runs_in_this_process(runner: TaskRunner[Any] | None) -> bool:
    """Whether ``runner`` runs its tasks in threads of this process (objects handed to a task are shared, not
    copied): a thread pool does; Dask and process pools run them elsewhere."""
    return isinstance(runner, ThreadPoolTaskRunner)


def build_task_runner(
    config: TaskRunnerConfig, max_concurrency: int, dask_address: str | None = None
) -> TaskRunner[Any]:
    """Threads: at most ``max_concurrency`` tasks in flight (Prefect's default pool is unbounded). Dask: the
    scheduler at ``dask_address`` (the cluster :func:`stage_dask_cluster` gives the stage run)."""
    if config.kind == "threads":
        return bounded_threads(max_concurrency)
    try:
        from prefect_dask.task_runners import DaskTaskRunner
    except ImportError as exc:
        raise ConfigError(_DASK_EXTRA_MISSING) from exc
    if not dask_address:
        raise ConfigError("task_runner.kind: dask: no scheduler address (start the stage inside stage_dask_cluster)")
    return DaskTaskRunner(address=dask_address)


@contextmanager
def stage_dask_cluster(config: TaskRunnerConfig, threads_per_worker: int) -> Iterator[str | None]:
    """The Dask scheduler address the category flows of one stage run share, or ``None`` for threads.

    ``kind: dask`` without ``address`` starts a ``LocalCluster`` on 127.0.0.1 (``n_workers`` processes with
    ``threads_per_worker`` threads each) for the ``with`` block and closes it afterwards; with ``address`` the
    existing scheduler is used and left running. The scheduler's HTTP server (dashboard, health) takes a port the
    OS picks: Dask's default 8787 is one port for the whole machine, so a second stage run, or another project's
    cluster, would find it taken."""
    if config.kind != "dask" or config.address:
        yield config.address
        return
    try:
        from distributed import LocalCluster
    except ImportError as exc:
        raise ConfigError(_DASK_EXTRA_MISSING) from exc
    logger = get_run_logger()
    with LocalCluster(  # type: ignore[no-untyped-call]  # distributed ships no type information
        n_workers=config.n_workers,
        threads_per_worker=threads_per_worker,
        processes=True,
        host="127.0.0.1",
        dashboard_address=":0",  # None still binds 8787 (the scheduler serves /health there, dashboard or not)
    ) as cluster:
        address = str(cluster.scheduler_address)
        logger.info(
            "Dask LocalCluster for this stage run at %s (%d workers, dashboard %s)",
            address,
            config.n_workers,
            cluster.dashboard_link,
        )
        yield address
    logger.info("Dask LocalCluster at %s closed", address)
