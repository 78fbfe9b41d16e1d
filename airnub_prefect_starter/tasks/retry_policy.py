"""Task-level retry decisions: retry only what may succeed on a second try."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from prefect import Task, task
from prefect.cache_policies import NONE
from prefect.client.schemas.objects import State, TaskRun
from prefect.tasks import exponential_backoff

from airnub_prefect_starter.core.errors import ManifestIndexError, TransientDownloadError

__all__ = ["TRANSIENT_ERRORS", "retry_if_transient", "transient_retry_task"]

P = ParamSpec("P")
R = TypeVar("R")

#: A batch task raises these only for failures outside single items (e.g. the index briefly unreachable).
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (TransientDownloadError, ManifestIndexError, ConnectionError)


def retry_if_transient(task: Any, task_run: TaskRun, state: State[Any]) -> bool:
    """``retry_condition_fn`` for Prefect tasks: True only when the failure is transient."""
    try:
        state.result()
    except TRANSIENT_ERRORS:
        return True
    except BaseException:  # noqa: BLE001 - any other failure is permanent: no retry
        return False
    return False


def transient_retry_task(name: str) -> Callable[[Callable[P, R]], Task[P, R]]:
    """The decorator for task wrappers: a Prefect task called ``name``, retried (with exponential backoff and
    jitter) only when the task itself hits a transient failure (a batch's per-item retries happen in the core),
    with no result caching."""
    return task(
        name=name,
        retries=2,
        retry_delay_seconds=exponential_backoff(2),
        retry_jitter_factor=0.5,
        retry_condition_fn=retry_if_transient,
        cache_policy=NONE,
    )


#: Its name before it was named for what it does (departments generated then import it).
batch_task = transient_retry_task
