"""What the pure core needs from the Prefect run it is in: run ids for manifests, and its log lines in
the run's logs (core uses plain ``logging``; Prefect only ships loggers it was told about)."""

from __future__ import annotations

import dataclasses
import logging

from prefect.logging.handlers import APILogHandler
from prefect.runtime import flow_run, task_run

from airnub_prefect_starter.common.settings import load_settings
from airnub_prefect_starter.core.store.manifest import RunIds
from airnub_prefect_starter.ingestion.batch import BatchRuntime

__all__ = ["CORE_LOGGER", "bridge_core_logging", "current_run_ids", "with_run_ids"]

CORE_LOGGER = "airnub_prefect_starter"


def current_run_ids() -> RunIds:
    return RunIds(flow_run_id=flow_run.get_id(), task_run_id=task_run.get_id())


def with_run_ids(runtime: BatchRuntime) -> BatchRuntime:
    """``runtime`` stamped with the current flow and task run ids."""
    return dataclasses.replace(runtime, run_ids=current_run_ids())


def bridge_core_logging() -> None:
    """Send the package's log records to the Prefect API of the current run, from the level of
    ``AIRNUB_LOG_LEVEL`` (INFO by default: per-batch lines and failures; DEBUG adds a line per file).

    Equivalent to ``PREFECT_LOGGING_EXTRA_LOGGERS=airnub_prefect_starter`` plus a level, but independent of
    how the worker's environment was set up. Idempotent."""
    logger = logging.getLogger(CORE_LOGGER)
    logger.setLevel(load_settings().log_level)
    if not any(isinstance(handler, APILogHandler) for handler in logger.handlers):
        logger.addHandler(APILogHandler())
