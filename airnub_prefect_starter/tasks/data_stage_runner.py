"""The processing and analysis stages inside their flows: dataset tasks, category results, artifacts, Failed runs.

Like ``stage_runner`` and ``category_runner`` for ingestion, but for datasets: a dataset that fails becomes a
``failed`` outcome (the others go on), its category ends Failed with :class:`DataCategoryFailedError`, and the
stage publishes its artifacts and ends Failed with :class:`DataStageFailedError`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from prefect import Task, get_run_logger
from prefect.artifacts import create_link_artifact, create_markdown_artifact, create_table_artifact
from prefect.futures import PrefectFuture

from airnub_prefect_starter.common.progress import ProgressEvent, report_progress
from airnub_prefect_starter.common.settings import load_settings
from airnub_prefect_starter.core.artifact_creators import artifact_key
from airnub_prefect_starter.core.data_stage_artifacts import (
    analysis_summary_markdown,
    processing_summary_table,
    report_link,
)
from airnub_prefect_starter.core.data_stage_results import (
    ANALYSIS_STATUSES,
    PROCESSING_STATUSES,
    AnalysisOutcome,
    DataCategoryFailedError,
    DatasetOutcome,
    DataStageFailedError,
    DataStageResult,
)
from airnub_prefect_starter.core.departments import display_name
from airnub_prefect_starter.core.errors import AirnubError
from airnub_prefect_starter.core.processing_config_models import ApiDatasetSpec, FileDatasetSpec
from airnub_prefect_starter.data_science.dataset_building import ProcessingRuntime
from airnub_prefect_starter.tasks.run_context import bridge_core_logging

__all__ = [
    "collect_outcomes",
    "finish_analysis_stage",
    "finish_data_category",
    "finish_processing_stage",
    "process_category",
    "report_outcome",
]

OutcomeT = TypeVar("OutcomeT", DatasetOutcome, AnalysisOutcome)
SpecT = TypeVar("SpecT", FileDatasetSpec, ApiDatasetSpec)


def report_outcome(scope: str, done: int, total: int, outcome: DatasetOutcome | AnalysisOutcome) -> None:
    """Tell in-process listeners (the CLI's live display) that one more dataset is done."""
    report_progress(ProgressEvent(scope, done, total, outcome.name, outcome.status))


def collect_outcomes(
    scope: str,
    submitted: Sequence[tuple[str, PrefectFuture[OutcomeT]]],
    failure: Callable[[str, BaseException], OutcomeT],
) -> list[OutcomeT]:
    """Wait for each ``(dataset name, future)`` in order; a task that failed with one of our errors becomes
    ``failure(name, error)``; any other exception is a bug and fails the flow."""
    outcomes: list[OutcomeT] = []
    for name, future in submitted:
        result: Any = future.result(raise_on_failure=False)
        if isinstance(result, AirnubError):
            result = failure(name, result)
        elif isinstance(result, BaseException):
            raise result
        outcomes.append(result)
        report_outcome(scope, len(outcomes), len(submitted), result)
    return outcomes


def process_category(
    build_task: Task[[SpecT, ProcessingRuntime], DatasetOutcome],
    specs: Sequence[SpecT],
    *,
    department_id: str,
    category: str,
    output_base: str,
) -> list[DatasetOutcome]:
    """The whole body of a processing category flow: one ``build_task`` per dataset (bounded by the flow's task
    runner), collected in config order; a dataset that fails does not stop the others, but the category then
    raises :class:`DataCategoryFailedError` (the flow ends Failed)."""
    bridge_core_logging()
    settings = load_settings()
    runtime = ProcessingRuntime.for_category(category, output_base, settings)
    scope = f"{display_name(department_id, settings.config_dir)} / processing / {category}"
    submitted = [(spec.name, build_task.submit(spec, runtime)) for spec in specs]
    outcomes = collect_outcomes(scope, submitted, functools.partial(DatasetOutcome.failure, category))
    return finish_data_category(scope, outcomes)


def finish_data_category(scope: str, outcomes: Sequence[OutcomeT]) -> list[OutcomeT]:
    """Log every failure and raise :class:`DataCategoryFailedError` (the category flow ends Failed) if any
    dataset failed; otherwise return the outcomes."""
    logger = get_run_logger()
    for outcome in outcomes:
        if outcome.failed:
            logger.error("%s failed (%s): %s", outcome.name, outcome.error_type, outcome.error)
    counts = {status: sum(o.status == status for o in outcomes) for status in outcomes[0].STATUSES} if outcomes else {}
    logger.info("%s: %s", scope, ", ".join(f"{n} {status}" for status, n in counts.items()) or "nothing to do")
    if any(o.failed for o in outcomes):
        raise DataCategoryFailedError(scope, outcomes)
    return list(outcomes)


def finish_processing_stage(
    department: str, by_category: Mapping[str, Sequence[DatasetOutcome]], crashed: Mapping[str, str]
) -> DataStageResult[DatasetOutcome]:
    """Publish the processing summary table; raise :class:`DataStageFailedError` if anything failed."""
    result = DataStageResult(department, "processing", PROCESSING_STATUSES, dict(by_category), dict(crashed))
    stopped = "; ".join(f"category {name} stopped: {error}" for name, error in crashed.items())
    create_table_artifact(
        processing_summary_table(result.outcomes),
        key=artifact_key(department, "processing", "summary"),
        description=f"{department}: processing: {result.counts_line()}" + (f"; {stopped}" if stopped else ""),
    )
    get_run_logger().info("%s processing: %s", department, result.counts_line())
    if result.failed:
        raise DataStageFailedError(result)
    return result


def finish_analysis_stage(
    department: str, by_category: Mapping[str, Sequence[AnalysisOutcome]], crashed: Mapping[str, str]
) -> DataStageResult[AnalysisOutcome]:
    """Publish the analysis report (metrics and lineage) and a link to each HTML report; raise
    :class:`DataStageFailedError` if anything failed."""
    result = DataStageResult(department, "analysis", ANALYSIS_STATUSES, dict(by_category), dict(crashed))
    create_markdown_artifact(
        analysis_summary_markdown(result),
        key=artifact_key(department, "analysis", "report"),
        description=f"{department}: analysis: {result.counts_line()}",
    )
    for outcome in result.outcomes:
        link = report_link(outcome)
        if link is not None:
            create_link_artifact(
                link,
                link_text=f"{outcome.name}: HTML report",
                key=artifact_key(department, "analysis", outcome.name, "report"),
                description=f"{department}: self-contained HTML report of {outcome.name} (figures embedded)",
            )
    get_run_logger().info("%s analysis: %s", department, result.counts_line())
    if result.failed:
        raise DataStageFailedError(result)
    return result
