"""Run one ingestion category inside its flow: batches as tasks, progress, the summary table, Failed on failure.

Every category flow of every department calls :func:`run_batches` then :func:`finish_category` (through
:func:`ingest_category` when its items go straight into one store), so the behaviour users rely on (bounded
fan-out, a progress artifact, one table artifact per run, the run ending Failed when any item failed) is
written once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol
from uuid import UUID

from prefect import Task, get_run_logger
from prefect.artifacts import create_progress_artifact, create_table_artifact, update_progress_artifact
from prefect.futures import PrefectFuture, as_completed

from airnub_prefect_starter.common.progress import ProgressEvent, report_progress
from airnub_prefect_starter.common.settings import load_settings
from airnub_prefect_starter.core.artifact_creators import artifact_key, count_statuses, outcome_table
from airnub_prefect_starter.core.batch_ingest import BatchRuntime, IngestionFailedError, ItemOutcome, split_batches
from airnub_prefect_starter.core.departments import display_name
from airnub_prefect_starter.core.http_policy import HttpOverrides, HttpPolicy
from airnub_prefect_starter.tasks.run_context import bridge_core_logging

__all__ = ["DirectIngestionConfig", "finish_category", "ingest_category", "run_batches"]


class DirectIngestionConfig(Protocol):
    """The keys :func:`ingest_category` reads from a category's config section, besides its items: those of
    downloads, API polls and ``--kind custom`` categories (not of scraping, which stores pages and files apart)."""

    @property
    def data_source_name(self) -> str: ...
    @property
    def local_artifacts_storage_base(self) -> str: ...
    @property
    def http(self) -> HttpOverrides | None: ...


def ingest_category(
    batch_task: Task[..., list[ItemOutcome]],
    items: Sequence[Any],
    config: DirectIngestionConfig,
    *,
    department_id: str,
    category: str,
    stage_http: HttpOverrides | None,
    batch_size: int,
    **task_kwargs: Any,
) -> list[ItemOutcome]:
    """The whole body of a category flow whose items go straight into one store: the HTTP policy (category
    overrides win over the stage's), the runtime, :func:`run_batches` (``task_kwargs`` go to each batch task)
    and :func:`finish_category`. Raises :class:`IngestionFailedError` if any item failed."""
    settings = load_settings()
    policy = HttpPolicy().merged(stage_http, config.http)
    runtime = BatchRuntime.for_category(
        category, config.data_source_name, config.local_artifacts_storage_base, policy, settings
    )
    department = display_name(department_id, settings.config_dir)
    outcomes = run_batches(batch_task, items, runtime, department=department, batch_size=batch_size, **task_kwargs)
    return finish_category(department, category, outcomes)


def run_batches(
    batch_task: Task[..., list[ItemOutcome]],
    items: Sequence[Any],
    runtime: BatchRuntime,
    *,
    department: str,
    batch_size: int,
    label: str | None = None,
    **task_kwargs: Any,
) -> list[ItemOutcome]:
    """Submit ``items`` in batches to ``batch_task`` (bounded by the flow's task runner), update a progress
    artifact as batches finish, and return the outcomes in the order of ``items``."""
    bridge_core_logging()
    logger = get_run_logger()
    scope = f"{department} / {label or runtime.category}"
    if not items:
        logger.info("%s: nothing to do", scope)
        return []
    batches = split_batches(items, batch_size)
    logger.info("%s: %d items in %d batches", scope, len(items), len(batches))
    futures: dict[PrefectFuture[list[ItemOutcome]], int] = {
        batch_task.submit(batch, runtime, **task_kwargs): number for number, batch in enumerate(batches)
    }
    # created after the submissions, so the batches start while the API creates it
    progress_id: UUID = create_progress_artifact(  # type: ignore[assignment]  # sync call in a sync flow
        0.0, key=artifact_key(department, runtime.category, "progress"), description=f"{scope}: items processed"
    )
    results: dict[int, list[ItemOutcome]] = {}
    done = 0
    for future in as_completed(list(futures)):
        outcomes = future.result()  # a batch task only raises for bugs or infrastructure: let it fail the flow
        results[futures[future]] = outcomes
        done += len(outcomes)
        update_progress_artifact(progress_id, 100.0 * done / len(items))
        for outcome in outcomes:
            report_progress(ProgressEvent(scope, done, len(items), outcome.name, outcome.status))
    return [outcome for number in sorted(results) for outcome in results[number]]


def finish_category(department: str, category: str, outcomes: Sequence[ItemOutcome]) -> list[ItemOutcome]:
    """Log every failure, publish the category's table artifact, and raise :class:`IngestionFailedError`
    (ending the flow Failed) if any item failed; otherwise return the outcomes."""
    logger = get_run_logger()
    counts = count_statuses(outcomes)
    for outcome in outcomes:
        if outcome.failed:
            logger.error("%s failed (%s): %s", outcome.name, outcome.error_type, outcome.error)
    summary = ", ".join(f"{counts[s]} {s}" for s in ("stored", "unchanged", "duplicate", "failed"))
    create_table_artifact(
        outcome_table(outcomes),
        key=artifact_key(department, category),
        description=f"{department}: {category}: {summary}",
    )
    logger.info("%s / %s: %s", department, category, summary)
    if counts["failed"]:
        raise IngestionFailedError(f"{department} {category}", outcomes)
    return list(outcomes)
