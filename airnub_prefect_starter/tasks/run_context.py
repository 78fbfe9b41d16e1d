"""One run, resolved once: what a stage run and its category runs work with, and what the pure core needs from
the Prefect run it is in (run ids for manifests, its log lines in the run's logs).

A stage run is resolved where it starts (the parent stage flow, in
:func:`~airnub_prefect_starter.tasks.stage_runner.run_stage`): the settings (the index URL of its Secret block
included), the object-storage credentials, the department and its display name and the validated stage config
become one frozen :class:`RunContext`, which the category flows below it read with :func:`current_run_context`
instead of reading the environment, the Secret blocks or the department mapping again.

The context travels in a :class:`~contextvars.ContextVar` (as Prefect's own run contexts do), never as a flow
parameter: Prefect records every flow run's parameters in its database, and the context holds secrets. For the
same reason it refuses to be pickled. Task runs get what they need from it in their runtimes
(:class:`~airnub_prefect_starter.stages.runtime.StageRuntime` and each stage's extension of it), which Prefect
does not record.

``airnub run`` resolves the settings and the credentials before the flow starts (to check the buckets before
any work): it hands them to the flow the same way (:func:`given_environment`), so the flow does not resolve them
again.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from prefect.logging.handlers import APILogHandler
from prefect.runtime import flow_run, task_run
from pydantic import BaseModel

from airnub_prefect_starter.common.settings import AirnubSettings, load_settings
from airnub_prefect_starter.core.store.manifest import RunIds
from airnub_prefect_starter.core.store.object_store import S3Credentials
from airnub_prefect_starter.ingestion.batch import BatchRuntime

__all__ = [
    "CORE_LOGGER",
    "RunContext",
    "RunEnvironment",
    "bridge_core_logging",
    "current_environment",
    "current_run_context",
    "current_run_ids",
    "given_environment",
    "run_context_scope",
    "with_run_ids",
]

CORE_LOGGER = "airnub_prefect_starter"


def _refuse_pickling(what: object) -> NoReturn:
    raise TypeError(f"a {type(what).__name__} holds secrets and stays in the process that resolved it")


@dataclass(frozen=True, repr=False)
class RunEnvironment:
    """The settings a run works with (the index URL taken from its Secret block when one is named) and the
    object-storage credentials (``None``: the AWS variables apply). ``storage_checked``: the buckets of the config
    handed to the flow were checked already (by ``airnub run``, before Prefect's API was started)."""

    settings: AirnubSettings
    credentials: S3Credentials | None
    storage_checked: bool = False

    def __repr__(self) -> str:  # the index URL may hold a password: never in a log line
        return f"RunEnvironment(data_root={self.settings.data_root!r}, index={self.settings.index_shown!r})"

    def __reduce__(self) -> NoReturn:
        _refuse_pickling(self)


@dataclass(frozen=True, repr=False)
class RunContext:
    """One stage run of one department, resolved once where it starts (see the module's docstring)."""

    environment: RunEnvironment
    department_id: str
    #: The department's display name (from ``configs/department_mapping.yaml``).
    department: str
    stage: str
    #: The validated stage config (``None`` for a category flow run on its own, outside a stage run).
    stage_config: BaseModel | None
    #: The run ids of the flow run that resolved the context.
    run_ids: RunIds

    @property
    def settings(self) -> AirnubSettings:
        return self.environment.settings

    @property
    def credentials(self) -> S3Credentials | None:
        return self.environment.credentials

    @property
    def index_url(self) -> str:
        return self.settings.resolved_index_url

    @property
    def index_root(self) -> Path | str:
        """What the index records storage bases against: the data dir's URL or folder."""
        return self.settings.index_root

    @property
    def work_dir(self) -> Path:
        """The local data dir (with the data dir on object storage, its working copy)."""
        return self.settings.resolved_data_dir

    def __repr__(self) -> str:
        return f"RunContext({self.department_id!r}, {self.stage!r}, {self.environment!r})"

    def __reduce__(self) -> NoReturn:
        _refuse_pickling(self)


_CONTEXT: ContextVar[RunContext | None] = ContextVar("airnub_run_context", default=None)
_ENVIRONMENT: ContextVar[RunEnvironment | None] = ContextVar("airnub_run_environment", default=None)


def current_run_context() -> RunContext | None:
    """The context of the stage run this code runs in, if any."""
    return _CONTEXT.get()


def current_environment() -> RunEnvironment | None:
    """The environment of the current run: its context's, else the one handed over by :func:`given_environment`."""
    context = _CONTEXT.get()
    return context.environment if context is not None else _ENVIRONMENT.get()


@contextmanager
def run_context_scope(context: RunContext) -> Iterator[RunContext]:
    """Make ``context`` the current run context for the block (the stage run's category flows)."""
    token = _CONTEXT.set(context)
    try:
        yield context
    finally:
        _CONTEXT.reset(token)


@contextmanager
def given_environment(environment: RunEnvironment) -> Iterator[RunEnvironment]:
    """Hand ``environment`` (resolved by the caller, in this process) to the flow run started in the block."""
    token = _ENVIRONMENT.set(environment)
    try:
        yield environment
    finally:
        _ENVIRONMENT.reset(token)


def current_run_ids() -> RunIds:
    return RunIds(flow_run_id=flow_run.get_id(), task_run_id=task_run.get_id())


def with_run_ids(runtime: BatchRuntime) -> BatchRuntime:
    """``runtime`` stamped with the current flow and task run ids."""
    return dataclasses.replace(runtime, run_ids=current_run_ids())


def bridge_core_logging(level: str | None = None) -> None:
    """Send the package's log records to the Prefect API of the current run, from ``level`` (default: the
    current run's ``AIRNUB_LOG_LEVEL``, INFO unless set: per-batch lines and failures; DEBUG adds a line per file).

    Equivalent to ``PREFECT_LOGGING_EXTRA_LOGGERS=airnub_prefect_starter`` plus a level, but independent of
    how the worker's environment was set up. Idempotent."""
    if level is None:
        environment = current_environment()
        # outside a resolved run (a task called on its own): the environment's
        level = (environment.settings if environment is not None else load_settings()).log_level
    logger = logging.getLogger(CORE_LOGGER)
    logger.setLevel(level)
    if not any(isinstance(handler, APILogHandler) for handler in logger.handlers):
        logger.addHandler(APILogHandler())
