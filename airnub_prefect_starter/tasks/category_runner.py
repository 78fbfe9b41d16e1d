"""The one category runner: the body of every category flow, whatever the stage.

Ingestion categories hand their items to batch tasks (:func:`ingest_category`; Prefect charges ~35 ms per task
run, so a category of up to a thousand items is one task, which runs its items concurrently itself); processing
and analysis categories run one task per dataset (:func:`process_category`, :func:`analyse_category`). All of them
end in :func:`finish_category`: every failure logged, the stage's category artifacts published, and the flow
Failed (with every outcome attached) when any item failed, so the behaviour users rely on is written once. Items
and outcomes cross Prefect :class:`~airnub_prefect_starter.common.sealed.Sealed` (batch task parameters and
results, the category flow's return value), so Prefect takes each as one value instead of walking it item by item.

Each reads the run's settings, credentials and department name from the stage run's context
(:func:`~airnub_prefect_starter.tasks.stage_runner.stage_run_context`; resolved once, where the stage run started)
or, run on its own, resolves them once itself. Object storage is reached with the credentials of
``AIRNUB_STORAGE_CREDENTIALS_BLOCK`` or the AWS variables. Processing and analysis compute in the data dir's local
working copy when their folders are on object storage: each category run pulls them before its tasks and pushes
its outputs after them (:func:`~airnub_prefect_starter.tasks.object_storage.working_copy`).
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from prefect import Task, get_run_logger
from prefect.context import FlowRunContext
from prefect.exceptions import CancelledRun, CrashedRun, PausedRun, UnfinishedRun
from prefect.futures import PrefectFuture, as_completed

from airnub_prefect_starter.analysis.contract import ANALYSIS
from airnub_prefect_starter.analysis.outcome import AnalysisOutcome
from airnub_prefect_starter.common.progress import ProgressEvent, report_progress
from airnub_prefect_starter.common.sealed import Sealed, sealed
from airnub_prefect_starter.core.errors import AirnubError, ConfigError
from airnub_prefect_starter.core.http.policy import HttpOverrides, HttpPolicy
from airnub_prefect_starter.ingestion.batch import BatchRuntime, batch_size_for, split_batches
from airnub_prefect_starter.ingestion.contract import INGESTION
from airnub_prefect_starter.ingestion.outcome import ItemOutcome
from airnub_prefect_starter.processing.contract import PROCESSING
from airnub_prefect_starter.processing.outcome import DatasetOutcome
from airnub_prefect_starter.stages.artifacts import artifact_key
from airnub_prefect_starter.stages.contract import StageContract, category_scope
from airnub_prefect_starter.stages.outcomes import Outcome, unexpected_error_text
from airnub_prefect_starter.stages.results import OutcomeT
from airnub_prefect_starter.tasks.artifacts import publish_artifacts
from airnub_prefect_starter.tasks.assets import record_asset_materializations
from airnub_prefect_starter.tasks.category_progress import CategoryProgress
from airnub_prefect_starter.tasks.host_limits import host_limits_for
from airnub_prefect_starter.tasks.object_storage import working_copy
from airnub_prefect_starter.tasks.run_context import RunContext, bridge_core_logging, run_context_scope
from airnub_prefect_starter.tasks.secrets import flow_settings
from airnub_prefect_starter.tasks.stage_runner import stage_run_context
from airnub_prefect_starter.tasks.task_runners import runner_workers, runs_in_this_process

if TYPE_CHECKING:  # the later stages' runtimes need the `ds` extra: ingestion flows must import without it
    from airnub_prefect_starter.analysis.config import AnalysedDataset
    from airnub_prefect_starter.analysis.pipeline import AnalysisLayout
    from airnub_prefect_starter.processing.datasets import DatasetSpec, ProcessingRuntime

__all__ = [
    "DirectIngestionConfig",
    "analyse_category",
    "category_context",
    "finish_category",
    "ingest_category",
    "process_category",
    "run_batches",
]


class _NamedSpec(Protocol):
    @property
    def name(self) -> str: ...


SpecT = TypeVar("SpecT", bound=_NamedSpec)
RuntimeT = TypeVar("RuntimeT")
DatasetSpecT = TypeVar("DatasetSpecT", bound="DatasetSpec")
#: What a batch task returns: its outcomes, sealed (a stock task) or not (a hand-written one).
BatchOutcomesT = TypeVar("BatchOutcomesT", bound=Sequence[ItemOutcome])


class DirectIngestionConfig(Protocol):
    """The keys :func:`ingest_category` reads from a category's config section, besides its items: those of
    downloads, API polls and ``--kind custom`` categories (not of scraping, which stores pages and files apart)."""

    @property
    def data_source_name(self) -> str: ...
    @property
    def local_artifacts_storage_base(self) -> str: ...
    @property
    def http(self) -> HttpOverrides | None: ...


def _report(scope: str, done: int, total: int, outcome: Outcome) -> None:
    """Tell in-process listeners (the CLI's live display) that one more item is done."""
    report_progress(ProgressEvent(scope, done, total, outcome.name, outcome.status))


def ingest_category(
    batch_task: Task[..., BatchOutcomesT],
    items: Sequence[Any],
    config: DirectIngestionConfig,
    *,
    department_id: str,
    category: str,
    stage_http: HttpOverrides | None,
    batch_size: int | None,
    **task_kwargs: Any,
) -> Sealed[ItemOutcome]:
    """The whole body of an ingestion category flow whose items go straight into one store: the HTTP policy
    (category overrides win over the stage's), the runtime, :func:`run_batches` (``task_kwargs`` go to each batch
    task) and :func:`finish_category`."""
    with category_context(department_id, INGESTION.name) as context:
        policy = HttpPolicy().merged(stage_http, config.http)
        base, department = config.local_artifacts_storage_base, context.department
        runtime = BatchRuntime.for_category(
            category, config.data_source_name, base, policy, context.settings, context.credentials
        )
        outcomes = run_batches(batch_task, items, runtime, department=department, batch_size=batch_size, **task_kwargs)
        return finish_category(INGESTION, department, category, outcomes)


@contextmanager
def category_context(department_id: str, stage: str) -> Iterator[RunContext]:
    """The stage run's context, current for the block (resolved now for a category flow run on its own)."""
    with run_context_scope(stage_run_context(department_id, stage)) as context:
        yield context


def run_batches(
    batch_task: Task[..., BatchOutcomesT],
    items: Sequence[Any],
    runtime: BatchRuntime,
    *,
    department: str,
    batch_size: int | None,
    label: str | None = None,
    **task_kwargs: Any,
) -> list[ItemOutcome]:
    """Submit ``items`` in batches to ``batch_task`` (bounded by the flow's task runner), keep a progress
    artifact, and return the outcomes in the order of ``items``.

    Each batch task gets its items and ``runtime``, then, when it takes them, ``concurrency`` (items it may have
    in flight at once: in this process the flow's worker count is shared by the batches running side by side, so a
    stage keeps ``max_concurrency`` items in flight in all; a batch on another process gets the whole count) and
    ``on_item`` (a callback counting each item's progress, when
    the task runs in this process; else None)."""
    bridge_core_logging()
    logger = get_run_logger()
    scope = category_scope(department, INGESTION.name, label or runtime.category)
    if not items:
        logger.info("%s: nothing to do", scope)
        return []
    runtime = dataclasses.replace(runtime, host_limits=host_limits_for(flow_settings()))  # AIRNUB_HOST_LIMITS
    context = FlowRunContext.get()
    runner = context.task_runner if context else None
    workers = runner_workers(runner) or INGESTION.default_concurrency
    batches = split_batches(items, batch_size_for(len(items), batch_size))
    logger.info("%s: %d items in %d batches", scope, len(items), len(batches))
    progress = CategoryProgress(scope, [len(batch) for batch in batches])
    in_process = runs_in_this_process(runner)
    accepted = _keywords_of(batch_task, "concurrency", "on_item")
    per_batch_items = max(1, workers // min(len(batches), workers)) if in_process else workers
    futures: dict[PrefectFuture[BatchOutcomesT], int] = {}
    for number, batch in enumerate(batches):
        given = {"concurrency": per_batch_items, "on_item": progress.item_callback(number) if in_process else None}
        per_batch = {name: value for name, value in given.items() if name in accepted}
        futures[batch_task.submit(Sealed(batch), runtime, **per_batch, **task_kwargs)] = number
    progress.publish(artifact_key(department, label or runtime.category, "progress"), f"{scope}: items processed")
    results: dict[int, BatchOutcomesT] = {}
    for future in as_completed(list(futures)):
        outcomes = future.result()  # a batch task only raises for bugs or infrastructure: let it fail the flow
        results[futures[future]] = outcomes
        progress.batch_done(futures[future], outcomes)
    progress.finish()
    return [outcome for number in sorted(results) for outcome in results[number]]


def _keywords_of(task: Task[..., Any], *names: str) -> set[str]:
    """Those of ``names`` ``task`` takes (all of them when it takes ``**kwargs``): a batch task written before a
    keyword existed still runs."""
    parameters = inspect.signature(task.fn).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return set(names)
    return {name for name in names if name in parameters}


#: What ``result(raise_on_failure=False)`` returns for a task run Prefect cancelled, crashed, paused or left
#: unfinished: exceptions too, but not an error of the item's code.
_RUN_STATE_ERRORS = (CancelledRun, CrashedRun, PausedRun, UnfinishedRun)


def _run_per_item(
    contract: StageContract[OutcomeT],
    item_task: Task[[SpecT, RuntimeT], OutcomeT],
    specs: Sequence[SpecT],
    runtime: RuntimeT,
    *,
    department: str,
    category: str,
) -> list[OutcomeT]:
    """One ``item_task`` per spec (bounded by the flow's task runner), collected in config order: a spec whose
    task failed with any error becomes a ``failed`` outcome naming the error's type, and the others go on (an
    error that is not one of ours is a bug, logged with its traceback); a task run Prefect cancelled or that
    crashed, or an exception that is not an error (``KeyboardInterrupt``, ``SystemExit``), fails the flow."""
    bridge_core_logging()
    logger = get_run_logger()
    scope = category_scope(department, contract.name, category)
    submitted = [(spec.name, item_task.submit(spec, runtime)) for spec in specs]
    outcomes: list[OutcomeT] = []
    for name, future in submitted:
        result: Any = future.result(raise_on_failure=False)
        if isinstance(result, _RUN_STATE_ERRORS):  # Prefect stopped the task run: no item failure, the flow ends
            raise result
        if isinstance(result, AirnubError):
            result = contract.outcome.failure(category, name, result)
        elif isinstance(result, Exception):  # a bug, or a library failing on hostile input: this item fails
            logger.error("%s failed with an unexpected error (a bug)", name, exc_info=result)
            result = contract.outcome.failure(category, name, result, message=unexpected_error_text(result))
        elif isinstance(result, BaseException):
            raise result
        outcomes.append(result)
        _report(scope, len(outcomes), len(submitted), result)
    return outcomes


def _finish_built(
    contract: StageContract[OutcomeT], context: RunContext, category: str, outcomes: list[OutcomeT], runtime: object
) -> Sealed[OutcomeT]:
    """Once the category's outputs are in place (pushed, on object storage): Prefect asset events for what was
    built, then :func:`finish_category`."""
    record_asset_materializations(outcomes, runtime, context.settings)
    return finish_category(contract, context.department, category, outcomes)


def process_category(
    build_task: Task[[DatasetSpecT, ProcessingRuntime], DatasetOutcome],
    specs: Sequence[DatasetSpecT],
    *,
    department_id: str,
    category: str,
    output_base: str | None = None,
) -> Sealed[DatasetOutcome]:
    """The whole body of a processing category flow: one ``build_task`` per dataset into ``output_base`` (default:
    the stage config's)."""
    from airnub_prefect_starter.processing.datasets import ProcessingRuntime

    with category_context(department_id, PROCESSING.name) as context:
        settings, credentials = context.settings, context.credentials
        output_base = output_base or _stage_base(context, "output_base")
        runtime = ProcessingRuntime.for_category(category, output_base, settings, credentials)
        with working_copy(settings, credentials, outputs=[output_base], log=get_run_logger()):
            outcomes = _run_per_item(
                PROCESSING, build_task, specs, runtime, department=context.department, category=category
            )
        return _finish_built(PROCESSING, context, category, outcomes, runtime)


def analyse_category(
    analyse_task: Task[[AnalysedDataset, AnalysisLayout], AnalysisOutcome],
    specs: Sequence[AnalysedDataset],
    *,
    department_id: str,
    category: str,
    datasets_base: str | None = None,
    models_base: str | None = None,
    reports_base: str | None = None,
    figures_base: str | None = None,
) -> Sealed[AnalysisOutcome]:
    """The whole body of an analysis category flow: one ``analyse_task`` per dataset, outputs under the bases
    (each by default the stage config's)."""
    from airnub_prefect_starter.analysis.pipeline import AnalysisLayout

    with category_context(department_id, ANALYSIS.name) as context:
        given = {"datasets_base": datasets_base, "models_base": models_base, "reports_base": reports_base}
        bases = {
            name: base or _stage_base(context, name) for name, base in {**given, "figures_base": figures_base}.items()
        }
        layout = AnalysisLayout.resolve(category, context.settings, **bases, credentials=context.credentials)
        datasets, *outputs = bases.values()
        with working_copy(
            context.settings, context.credentials, inputs=[datasets], outputs=outputs, log=get_run_logger()
        ):
            outcomes = _run_per_item(
                ANALYSIS, analyse_task, specs, layout, department=context.department, category=category
            )
        return _finish_built(ANALYSIS, context, category, outcomes, layout)


def _stage_base(context: RunContext, name: str) -> str:
    """The stage config's ``name`` (a storage base every category of the stage shares)."""
    value = getattr(context.stage_config, name, None)
    if not isinstance(value, str):
        raise ConfigError(
            f"{context.stage} category run of {context.department_id}: {name} not given (no stage config)"
        )
    return value


def finish_category(
    contract: StageContract[OutcomeT], department: str, category: str, outcomes: Sequence[OutcomeT]
) -> Sealed[OutcomeT]:
    """Log every failure and the counts, publish the stage's category artifacts, and raise
    :class:`~airnub_prefect_starter.core.errors.CategoryFailedError` (the flow ends Failed, every outcome
    attached) if any item failed; otherwise return the outcomes, sealed (the category flow's return value, which
    Prefect then takes as one value)."""
    logger = get_run_logger()
    for outcome in outcomes:
        if outcome.failed:
            logger.error("%s failed (%s): %s", outcome.name, outcome.error_type, outcome.error)
    result = contract.result(department, {category: outcomes})
    publish_artifacts(contract.category_artifacts(category, result))
    logger.info("%s: %s", category_scope(department, contract.name, category), result.counts_line())
    if result.failed:
        raise contract.category_error(department, category, outcomes)
    return sealed(outcomes)
