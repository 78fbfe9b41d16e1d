"""Ingest a batch of items through the core, one typed outcome per item, under a per-host limit.

Prefect charges ~35 ms of CPU per task run, so flows hand each task a *batch*. Inside a batch every item is
ingested by the core (which retries transient errors itself); an item that still fails becomes an
:class:`ItemOutcome` with ``status="failed"`` and the error's type and message, so the other items go on.
The category flow fails afterwards (:class:`~airnub_prefect_starter.core.errors.CategoryFailedError`) if any
item failed: the run ends Failed.

:class:`BatchRuntime` is the picklable description of a category run (paths, URLs, policy), from which each
worker process builds its own :class:`IngestContext` (HTTP client and index connections are not picklable).
"""

from __future__ import annotations

import contextvars
import dataclasses
import functools
import logging
import math
import threading
import time
import traceback
import uuid
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from airnub_prefect_starter.common.locations import join_location
from airnub_prefect_starter.common.settings import AirnubSettings
from airnub_prefect_starter.common.utils import redact_url
from airnub_prefect_starter.core.errors import (
    AirnubError,
    DownloadError,
    ManifestIndexError,
    StorageError,
    TransientDownloadError,
)
from airnub_prefect_starter.core.http.auth import NO_CREDENTIALS, Credentials, SourceAuth
from airnub_prefect_starter.core.http.fetch import build_http_client
from airnub_prefect_starter.core.http.limits import HostLimitsFactory, ProcessHostLimits
from airnub_prefect_starter.core.http.policy import HttpPolicy
from airnub_prefect_starter.core.http.politeness import politeness_for_run
from airnub_prefect_starter.core.store.backends import open_store
from airnub_prefect_starter.core.store.index import FetchRecord, ManifestIndex, UnchangedMark
from airnub_prefect_starter.core.store.manifest import RunIds
from airnub_prefect_starter.core.store.object_store import S3Credentials
from airnub_prefect_starter.core.store.store import PublishGroup, StoredObject
from airnub_prefect_starter.ingestion.downloads import IngestContext
from airnub_prefect_starter.ingestion.kinds import ItemOperation, item_operation
from airnub_prefect_starter.ingestion.outcome import ITEM_STATUSES, ItemOutcome
from airnub_prefect_starter.stages.outcomes import unexpected_error_text
from airnub_prefect_starter.stages.runtime import StageRuntime

__all__ = [
    "MAX_DERIVED_BATCH_SIZE",
    "BatchRuntime",
    "batch_size_for",
    "ingest_batch",
    "split_batches",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class BatchRuntime(StageRuntime):
    """Picklable settings shared by every batch of one category run: the stage's shared fields, plus the store,
    the source's name and the HTTP policy."""

    data_source_name: str
    #: The store's location: a local folder or an ``s3://`` URL.
    store_base: str
    policy: HttpPolicy
    run_ids: RunIds = field(default_factory=RunIds)
    #: Names the category run: its batches share one robots.txt cache per process (see core.http.politeness).
    run_key: str = field(default_factory=lambda: uuid.uuid4().hex)
    #: Where ``per_host_limit`` and ``per_host_rate`` are held (see core.http.limits): this process's by default.
    host_limits: HostLimitsFactory = ProcessHostLimits

    @classmethod
    def for_category(
        cls,
        category: str,
        data_source_name: str,
        storage_base: str,
        policy: HttpPolicy,
        settings: AirnubSettings,
        credentials: S3Credentials | None = None,
    ) -> BatchRuntime:
        """Resolve ``storage_base`` against the data dir (unless absolute or a URL) and take the index URL from
        settings."""
        return cls(
            **cls.shared_fields(category, settings, credentials),
            data_source_name=data_source_name,
            store_base=settings.storage_location(storage_base),
            policy=policy,
        )


#: With ``batch_size`` unset, the largest batch. A batch is one Prefect task (about 35 ms of CPU each, mostly on the
#: server) and runs its items ``concurrency`` at a time itself: a category of up to this many items is one task.
MAX_DERIVED_BATCH_SIZE = 1000


def batch_size_for(count: int, configured: int | None = None) -> int:
    """``configured`` if set; else all ``count`` items in one batch, or, past :data:`MAX_DERIVED_BATCH_SIZE`, in
    the fewest batches of at most that many, evened out (2500 items: 3 batches of 834)."""
    if configured:
        return configured
    batches = max(1, math.ceil(count / MAX_DERIVED_BATCH_SIZE))
    return max(1, math.ceil(count / batches))


def split_batches(items: Sequence[Any], batch_size: int) -> list[list[Any]]:
    """Consecutive batches of at most ``batch_size`` items."""
    return [list(items[i : i + batch_size]) for i in range(0, len(items), batch_size)]


def _credentials(item: Any, secrets: Mapping[str, str]) -> Credentials:
    auth: SourceAuth | None = getattr(item, "auth", None)
    return NO_CREDENTIALS if auth is None else auth.credentials(secrets, item.name)


def _ingest_one(
    operation: ItemOperation,
    item: Any,
    ctx: IngestContext,
    runtime: BatchRuntime,
    options: Mapping[str, Any],
    secrets: Mapping[str, str],
) -> ItemOutcome:
    """The item's outcome: any exception it raises (ours, or a library's on hostile input) becomes its ``failed``
    outcome, with the error's type and a message scrubbed of secrets, so the batch goes on. Exceptions that are
    not errors (``KeyboardInterrupt``, ``SystemExit``) propagate."""
    credentials = NO_CREDENTIALS
    shown = redact_url(item.url)
    try:
        credentials = _credentials(item, secrets)
        return operation.run(item, ctx, runtime.category, credentials, **options)
    except AirnubError as exc:
        error: Exception = exc
        message = str(exc)
    except Exception as exc:  # a bug, or a library failing on hostile input: this item fails, the others go on
        scrub_all = functools.partial(_scrub, url=item.url, shown=shown, credentials=credentials, secrets=secrets)
        error, message = exc, f"{shown}: {unexpected_error_text(exc, scrub_all)}"
        scrubbed = _scrub("".join(traceback.format_exception(exc)), item.url, shown, credentials, secrets)
        logger.error("%s: %s failed with an unexpected error (a bug):\n%s", runtime.category, item.name, scrubbed)
    return ItemOutcome.failure(
        runtime.category,
        item.name,
        error,
        message=_scrub(message, item.url, shown, credentials, secrets),
        url=error.url if isinstance(error, DownloadError) else shown,
        transient=isinstance(error, TransientDownloadError),
        data_source_name=runtime.data_source_name,
    )


def _scrub(text: str, url: str, shown: str, credentials: Credentials, secrets: Mapping[str, str]) -> str:
    """``text`` with the item's raw URL redacted and every secret value it could know (its credentials, every
    Secret block loaded for the batch) replaced."""
    every_secret = dataclasses.replace(credentials, query={**credentials.query, **secrets})
    return every_secret.scrub(text.replace(url, shown) if url != shown else text)


def ingest_batch(
    operation: str,
    items: Sequence[Any],
    runtime: BatchRuntime,
    *,
    secrets: Mapping[str, str] | None = None,
    on_item: Callable[[ItemOutcome], None] | None = None,
    concurrency: int = 1,
    **options: Any,
) -> list[ItemOutcome]:
    """Ingest ``items`` with the item operation called ``operation`` (see
    :data:`~airnub_prefect_starter.ingestion.kinds.ITEM_OPERATIONS`; ``options`` go to it, e.g. ``max_links``),
    up to ``concurrency`` at once on threads of this batch (one transport, one store, one index connection: the
    per-batch work is done once), each item holding a per-host slot while it transfers; return the outcomes in
    the order of ``items``. Never raises for an item's own failure (any exception an item raises becomes its
    ``failed`` outcome); failures of the batch itself (the index cannot be written) propagate. ``on_item`` is
    called with each outcome as it comes, from one thread at a time."""
    chosen = item_operation(operation)
    started = time.perf_counter()
    index = runtime.open_index()
    unchanged: list[UnchangedMark] = []
    fetched: list[FetchRecord] = []
    store = open_store(runtime.store_base, runtime.credentials)
    group = store.publish_group() if chosen.publish_together else None
    limits = runtime.host_limits(runtime.policy)
    ctx = IngestContext(
        store=store,
        index=index,
        policy=runtime.policy,
        client=build_http_client(runtime.policy),
        data_source_name=runtime.data_source_name,
        run_ids=runtime.run_ids,
        known_states=index.url_states(runtime.data_source_name, [item.url for item in items]),
        unchanged_marks=unchanged,
        pending_fetches=fetched,
        politeness=politeness_for_run(runtime.run_key, runtime.policy, limits),
        publish_group=group,
        host_slot=limits.slot,
    )
    by_number: dict[int, ItemOutcome] = {}  # item number -> outcome, as the items end
    try:
        with ctx.client:

            def ingest(item: Any) -> ItemOutcome:
                return _ingest_one(chosen, item, ctx, runtime, options, secrets or {})

            _ingest_all(ingest, items, concurrency, on_item, by_number)
    finally:  # what was ingested is recorded even when a bug ends the batch early
        if group is not None:
            fetched[:] = _commit_group(group, by_number, fetched, runtime)
        _record_batch(index, runtime.data_source_name, fetched, unchanged)
    outcomes = [by_number[number] for number in sorted(by_number)]
    counts = Counter(outcome.status for outcome in outcomes)
    logger.info(
        "%s batch of %d in %.2f s: %s",
        runtime.category,
        len(outcomes),
        time.perf_counter() - started,
        ", ".join(f"{counts[status]} {status}" for status in ITEM_STATUSES),
    )
    return outcomes


def _ingest_all(
    ingest: Callable[[Any], ItemOutcome],
    items: Sequence[Any],
    concurrency: int,
    on_item: Callable[[ItemOutcome], None] | None,
    by_number: dict[int, ItemOutcome],
) -> None:
    """``ingest`` each item into ``by_number`` (by its number), up to ``concurrency`` at once: that many threads
    each take the next item until none is left (no hand-off per item to this thread), in a copy of the caller's
    context (the run's logging context reaches them). ``on_item`` is told of each outcome, from one thread at a
    time, while the other threads go on; if it fails, the batch goes on (the failure is logged). An exception
    that is not an item's outcome (a bug, ``KeyboardInterrupt``) stops the threads taking new items and is raised
    here once every thread has ended."""
    taking, reporting = threading.Lock(), threading.Lock()
    numbered = iter(enumerate(items))
    failures: list[BaseException] = []

    def work() -> None:
        while True:
            with taking:
                taken = None if failures else next(numbered, None)
            if taken is None:
                return
            number, item = taken
            try:
                outcome = ingest(item)
            except BaseException as exc:  # noqa: BLE001 - raised in the caller's thread below
                with taking:
                    failures.append(exc)
                return
            by_number[number] = outcome
            if on_item is not None:
                with reporting:
                    try:
                        on_item(outcome)
                    except Exception:  # a progress report must not end the batch's work
                        logger.exception("Reporting the outcome of %s failed", outcome.name)

    workers = max(1, min(concurrency, len(items)))
    threads = [
        threading.Thread(target=contextvars.copy_context().run, args=(work,), name=f"airnub-item-{n}", daemon=True)
        for n in range(workers - 1)
    ]
    for thread in threads:
        thread.start()
    try:
        work()  # this thread takes items too
    except BaseException as exc:  # pragma: no cover - work() records its failures; this is belt and braces
        with taking:
            failures.append(exc)
    finally:
        for thread in threads:
            thread.join()
    if failures:
        raise failures[0]


def _commit_group(
    group: PublishGroup, outcomes: dict[int, ItemOutcome], fetched: Sequence[FetchRecord], runtime: BatchRuntime
) -> list[FetchRecord]:
    """Commit the batch's staged objects; correct ``outcomes`` (by item number) as committed and return the
    downloads to record. Of the items that staged the same content, the first (in the items' order) whose copy
    was created is ``stored``; the others, and all of them when the content was published first by another
    writer, are ``duplicate``s pointing at the stored object (the items ran concurrently, so which copy was
    staged first says nothing). When the commit fails, every staged item fails with its error and none of them
    is recorded."""
    try:
        committed = group.commit()
    except StorageError as exc:
        staged = {o.sha256 for o in outcomes.values() if o.status == "stored"}
        for number, o in outcomes.items():
            if o.status == "stored":
                outcomes[number] = ItemOutcome.failure(
                    runtime.category, o.name, exc, url=o.url, transient=False, data_source_name=o.data_source_name
                )
        return [record for record in fetched if record.obj.sha256 not in staged]
    created: dict[str, StoredObject] = {}  # content -> the copy this batch created
    found: dict[str, StoredObject] = {}  # content -> the object another writer published first
    for stored, made in committed:
        (created if made else found).setdefault(stored.sha256, stored)
    records = list(fetched)
    for number in sorted(outcomes):
        outcome = outcomes[number]
        if outcome.status != "stored" or outcome.sha256 is None:
            continue
        winner = created.get(outcome.sha256)
        if winner is not None and winner.location == outcome.path:
            del created[outcome.sha256]  # the first item of this copy keeps "stored"
            found[outcome.sha256] = winner
            continue
        published = winner or found.get(outcome.sha256)
        if published is None:  # pragma: no cover - every staged object has a commit result
            continue
        # the same content was published first: this item points at that object, in the outcome and the index
        outcomes[number] = dataclasses.replace(outcome, status="duplicate", path=published.location)
        records = [_pointing_at(record, published, outcome.path) for record in records]
    return records


def _pointing_at(record: FetchRecord, stored: StoredObject, staged_path: str | None) -> FetchRecord:
    """``record`` pointing at ``stored`` when it was made for the copy staged at ``staged_path``."""
    if (
        record.obj.sha256 != stored.sha256
        or join_location(record.obj.storage_base, record.obj.relative_path) != staged_path
    ):
        return record
    obj = dataclasses.replace(record.obj, relative_path=stored.relative_path, filename=stored.filename)
    return dataclasses.replace(record, obj=obj)


def _record_batch(
    index: ManifestIndex, data_source_name: str, fetched: Sequence[FetchRecord], unchanged: Sequence[UnchangedMark]
) -> None:
    """Write a batch's downloads and its unchanged marks: each write is attempted even if the other fails, and
    the first failure is raised afterwards (a batch task retries on :class:`ManifestIndexError`; objects
    already in the store then come back as ``duplicate``)."""
    failures: list[ManifestIndexError] = []
    for write in (
        functools.partial(index.record_fetches, fetched),
        functools.partial(index.touch_unchanged_many, data_source_name, unchanged),
    ):
        try:
            write()
        except ManifestIndexError as exc:
            failures.append(exc)
    if failures:
        raise failures[0]
