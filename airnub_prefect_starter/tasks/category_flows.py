"""Category flows and task wrappers built from a kind: a stock category is a few lines naming its kind.

:func:`kind_task` makes the Prefect task wrapper of a kind (a batch of items for ingestion, one dataset for
processing and analysis; retried only on transient failures), :func:`category_flow` the category flow that runs
it over the items of its config section (through the one category runner). What a kind's flow does is looked up
in :data:`CATEGORY_BODIES` by kind name (open to :func:`register_category_body`), never chosen by an ``if``.
A category that does something else is written by hand with the same runners (``--kind custom``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from prefect import Flow, Task, flow

from airnub_prefect_starter.analysis.contract import ANALYSIS
from airnub_prefect_starter.analysis.kinds import ANALYSIS_KINDS, AnalysisKind
from airnub_prefect_starter.analysis.outcome import AnalysisOutcome
from airnub_prefect_starter.common.sealed import Sealed
from airnub_prefect_starter.core.errors import ConfigError
from airnub_prefect_starter.core.http.policy import HttpOverrides, HttpPolicy
from airnub_prefect_starter.ingestion.batch import BatchRuntime, ingest_batch
from airnub_prefect_starter.ingestion.config import ScrapeConfig
from airnub_prefect_starter.ingestion.contract import INGESTION
from airnub_prefect_starter.ingestion.kinds import INGESTION_KINDS, IngestionKind
from airnub_prefect_starter.ingestion.outcome import ItemOutcome
from airnub_prefect_starter.ingestion.scraping import files_to_follow
from airnub_prefect_starter.processing.contract import PROCESSING
from airnub_prefect_starter.processing.kinds import PROCESSING_KINDS, ProcessingKind
from airnub_prefect_starter.processing.outcome import DatasetOutcome
from airnub_prefect_starter.stages.contract import StageContract
from airnub_prefect_starter.stages.kinds import CategoryKind
from airnub_prefect_starter.tasks.category_runner import (
    analyse_category,
    category_context,
    finish_category,
    ingest_category,
    process_category,
    run_batches,
)
from airnub_prefect_starter.tasks.retry_policy import transient_retry_task
from airnub_prefect_starter.tasks.run_context import RunContext, current_run_ids, with_run_ids
from airnub_prefect_starter.tasks.run_names import run_name
from airnub_prefect_starter.tasks.secrets import load_item_secrets
from airnub_prefect_starter.tasks.task_runners import bounded_threads

if TYPE_CHECKING:  # the later stages' runtimes need the `ds` extra: ingestion flows must import without it
    from airnub_prefect_starter.analysis.config import AnalysedDataset
    from airnub_prefect_starter.analysis.pipeline import AnalysisLayout
    from airnub_prefect_starter.processing.config import DatasetSpec
    from airnub_prefect_starter.processing.datasets import ProcessingRuntime

__all__ = ["CATEGORY_BODIES", "CategoryBody", "category_flow", "kind_task", "register_category_body"]

#: ``(kind, department, category, tasks) -> the flow function`` (its ``config`` annotation is set to the kind's
#: section model afterwards).
CategoryBody = Callable[[Any, str, str, Sequence[Task[..., Any]]], Callable[..., Sequence[Any]]]


def _ingestion_task(kind: IngestionKind) -> Callable[..., Sealed[ItemOutcome]]:
    operation = kind.operation

    def ingest_items(
        items: Sequence[Any],
        runtime: BatchRuntime,
        *,
        concurrency: int = 1,
        on_item: Callable[[ItemOutcome], None] | None = None,
        **options: Any,
    ) -> Sealed[ItemOutcome]:
        """Each item is retried by the core on transient errors; one failing item does not stop the batch. Up to
        ``concurrency`` items are in flight at once; ``on_item`` hears of each outcome as it is made."""
        outcomes = ingest_batch(
            operation,
            items,
            with_run_ids(runtime),
            secrets=load_item_secrets(items),
            on_item=on_item,
            concurrency=concurrency,
            **options,
        )
        return Sealed(outcomes)

    return ingest_items


def _processing_task(kind: ProcessingKind) -> Callable[..., DatasetOutcome]:
    build = kind.build

    def build_dataset(spec: DatasetSpec, runtime: ProcessingRuntime) -> DatasetOutcome:
        """Raises a typed error when the dataset cannot be built; retried only when the index is briefly
        unreachable."""
        return build(spec, runtime)

    return build_dataset


def _analysis_task(kind: AnalysisKind) -> Callable[..., AnalysisOutcome]:
    analyse = kind.build

    def analyse_dataset(spec: AnalysedDataset, layout: AnalysisLayout) -> AnalysisOutcome:
        """A dataset analysed before with the same hash, sources and parameters, whose outputs are intact, comes
        back ``unchanged`` with nothing rewritten."""
        return analyse(spec, layout, current_run_ids())

    return analyse_dataset


#: Per stage: its contract, and the body of its kinds' task wrappers.
_STAGES: dict[str, tuple[StageContract[Any], Callable[[Any], Callable[..., Any]]]] = {
    "ingestion": (INGESTION, _ingestion_task),
    "processing": (PROCESSING, _processing_task),
    "analysis": (ANALYSIS, _analysis_task),
}


def kind_task(kind: CategoryKind | str, name: str, *, function_name: str | None = None) -> Task[..., Any]:
    """The task wrapper of ``kind`` (a kind or its name), called ``name`` in Prefect: for ingestion, a batch of
    items through the kind's item operation; for processing and analysis, one dataset through the kind's
    builder. Retried only on transient failures (:func:`transient_retry_task`). ``function_name`` names the task
    function (the module's name for it)."""
    kind = _kind(kind)
    fn = _STAGES[kind.stage][1](kind)
    fn.__name__ = fn.__qualname__ = function_name or f"{kind.verb}_task"
    return transient_retry_task(name)(fn)


def _direct_ingestion(
    kind: IngestionKind, department: str, category: str, tasks: Sequence[Task[..., Any]]
) -> Callable[..., Sealed[ItemOutcome]]:
    [batch_task] = tasks

    def ingest(
        config: Any, stage_http: HttpOverrides | None = None, batch_size: int | None = None
    ) -> Sealed[ItemOutcome]:
        return ingest_category(
            batch_task,
            kind.items(config),
            config,
            department_id=department,
            category=category,
            stage_http=stage_http,
            batch_size=batch_size,
        )

    return ingest


def _scrape(
    kind: IngestionKind, department: str, category: str, tasks: Sequence[Task[..., Any]]
) -> Callable[..., Sealed[ItemOutcome]]:
    pages_task, files_task = tasks if len(tasks) == 2 else (*tasks, _linked_files_task(tasks[0], department, category))

    def scrape(
        config: ScrapeConfig, stage_http: HttpOverrides | None = None, batch_size: int | None = None
    ) -> Sealed[ItemOutcome]:
        """Store the pages and extract their links, then download the links ``follow_links`` matches."""
        with category_context(department, INGESTION.name) as context:
            return _scrape_in(context, config, stage_http, batch_size)

    def _scrape_in(
        context: RunContext, config: ScrapeConfig, stage_http: HttpOverrides | None, batch_size: int | None
    ) -> Sealed[ItemOutcome]:
        settings, credentials, shown = context.settings, context.credentials, context.department
        policy = HttpPolicy().merged(stage_http, config.http)
        source, pages_base = config.data_source_name, config.local_manifests_storage_base
        pages_runtime = BatchRuntime.for_category(category, source, pages_base, policy, settings, credentials)
        outcomes = run_batches(
            pages_task,
            config.pages_to_scrape,
            pages_runtime,
            department=shown,
            batch_size=batch_size,
            label=f"{category} (pages)",
            max_links=config.max_links_per_page,
        )
        if config.follow_links is not None:
            scraped = [
                (page.url, outcome.final_url or page.url, outcome.links)
                for page, outcome in zip(config.pages_to_scrape, outcomes, strict=True)
                if not outcome.failed
            ]
            files = files_to_follow(scraped, config.follow_links, already=[p.url for p in config.pages_to_scrape])
            files_base = config.local_artifacts_storage_base or pages_base
            files_store = BatchRuntime.for_category(
                category, source, files_base, policy, settings, credentials
            ).store_base
            outcomes += run_batches(
                files_task,
                files,
                dataclasses.replace(pages_runtime, store_base=files_store),
                department=shown,
                batch_size=batch_size,
                label=f"{category} (linked files)",
            )
        return finish_category(INGESTION, shown, category, outcomes)

    return scrape


def _linked_files_task(pages_task: Task[..., Any], department: str, category: str) -> Task[..., Any]:
    """The task downloading the links a scrape category follows, named after its pages task."""
    name = f"download_{category}_links_task_dept_{department}"
    return kind_task(INGESTION_KINDS["downloads"], f"{pages_task.name}: linked files", function_name=name)


def _processing(
    kind: ProcessingKind, department: str, category: str, tasks: Sequence[Task[..., Any]]
) -> Callable[..., Sealed[DatasetOutcome]]:
    [build_task] = tasks

    def process(config: Any, output_base: str) -> Sealed[DatasetOutcome]:
        """One task per dataset; a dataset that fails does not stop the others, but ends the flow Failed."""
        return process_category(
            build_task, kind.items(config), department_id=department, category=category, output_base=output_base
        )

    return process


def _analysis(
    kind: AnalysisKind, department: str, category: str, tasks: Sequence[Task[..., Any]]
) -> Callable[..., Sealed[AnalysisOutcome]]:
    [analyse_task] = tasks

    def analyse(
        config: Any, datasets_base: str, models_base: str, reports_base: str, figures_base: str
    ) -> Sealed[AnalysisOutcome]:
        """One task per dataset; a dataset that fails does not stop the others, but ends the flow Failed. A dataset
        analysed before with the same hash and parameters is left untouched."""
        return analyse_category(
            analyse_task,
            kind.items(config),
            department_id=department,
            category=category,
            datasets_base=datasets_base,
            models_base=models_base,
            reports_base=reports_base,
            figures_base=figures_base,
        )

    return analyse


#: What the flow of each kind does, by kind name.
CATEGORY_BODIES: dict[str, CategoryBody] = {
    "downloads": _direct_ingestion,
    "api": _direct_ingestion,
    "scrape": _scrape,
    "tabular": _processing,
    "report": _analysis,
}


def register_category_body(kind: str, body: CategoryBody) -> CategoryBody:
    """Say what the flow of a newly registered kind does (a kind that has a body already is refused)."""
    if kind in CATEGORY_BODIES:
        raise ConfigError(f"kind {kind} has a category flow body already")
    CATEGORY_BODIES[kind] = body
    return body


def category_flow(
    kind: CategoryKind | str,
    department: str,
    category: str,
    *,
    name: str,
    task_name: str | None = None,
    tasks: Sequence[Task[..., Any]] = (),
    function_name: str | None = None,
) -> Flow[..., Sequence[Any]]:
    """The category flow of a ``kind`` category (a kind or its name): Prefect flow ``name``, run names
    ``<department>-<category>-<start>``, running the kind's task wrapper (Prefect task ``task_name``, function
    ``<verb>_<category>_task_dept_<department>``) over its section's items, or ``tasks`` made with
    :func:`kind_task` (``scrape``: the pages task, then the linked-files one). ``function_name`` names the flow
    function (default ``<verb>_<category>_flow_dept_<department>``, the generators' module name)."""
    kind = _kind(kind)
    if not tasks:
        if task_name is None:
            raise ConfigError(f"category {category}: give the name of its task (task_name) or its tasks")
        tasks = [kind_task(kind, task_name, function_name=f"{kind.verb}_{category}_task_dept_{department}")]
    body = CATEGORY_BODIES.get(kind.name)
    if body is None:
        raise ConfigError(f"kind {kind.name}: no category flow body is registered for it")
    fn = body(kind, department, category, tasks)
    fn.__annotations__ = {**fn.__annotations__, "config": kind.section}
    fn.__name__ = fn.__qualname__ = function_name or f"{kind.verb}_{category}_flow_dept_{department}"
    contract = _STAGES[kind.stage][0]
    decorate = flow(
        name=name,
        flow_run_name=run_name(department, category),
        task_runner=bounded_threads(contract.default_concurrency),  # a stage run gives its own runner
    )
    return decorate(fn)


def _kind(kind: CategoryKind | str) -> CategoryKind:
    """``kind``, or the registered kind of that name."""
    if isinstance(kind, CategoryKind):
        return kind
    registries = (INGESTION_KINDS, PROCESSING_KINDS, ANALYSIS_KINDS)
    for registry in registries:
        if kind in registry:
            found: CategoryKind = registry[kind]
            return found
    known = [name for registry in registries for name in registry]
    raise ConfigError(f"kind '{kind}': not one of {', '.join(known)}")
