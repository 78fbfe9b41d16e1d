"""Task runners for category flows: bounded threads by default, Dask (prefect-dask) when configured."""

from __future__ import annotations

from typing import Any

from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

from airnub_prefect_starter.core.config_models import TaskRunnerConfig
from airnub_prefect_starter.core.errors import ConfigError

__all__ = ["bounded_threads", "build_task_runner"]


def bounded_threads(max_workers: int) -> TaskRunner[Any]:
    """A thread runner with a bound (Prefect's default pool grows to hundreds of threads)."""
    return ThreadPoolTaskRunner(max_workers=max_workers)


def build_task_runner(
    config: TaskRunnerConfig, max_concurrency: int, dask_address: str | None = None
) -> TaskRunner[Any]:
    """Threads: at most ``max_concurrency`` batches in flight (Prefect's default pool is unbounded).
    Dask: the scheduler at ``dask_address`` (a cluster shared by the stage) or ``config.address``."""
    if config.kind == "threads":
        return bounded_threads(max_concurrency)
    try:
        from prefect_dask.task_runners import DaskTaskRunner
    except ImportError as exc:
        raise ConfigError(
            "task_runner.kind: dask needs the 'dask' extra (pip install 'airnub-prefect-starter[dask]')"
        ) from exc
    address = dask_address or config.address
    if address:
        return DaskTaskRunner(address=address)
    return DaskTaskRunner(cluster_kwargs={"n_workers": config.n_workers, "threads_per_worker": max_concurrency})
