"""The ingestion stage's category kinds (``downloads``, ``api``, ``scrape``) and the item operations they run.

An item operation turns one configured item into its :class:`ItemOutcome` through the core (``download``,
``poll_api``, ``scrape_page``); :func:`~airnub_prefect_starter.ingestion.batch.ingest_batch` looks the operation
up in :data:`ITEM_OPERATIONS` (open to :func:`register_operation`). A kind names its section model, its items and
the operation its batches run; ``scrape`` also downloads the links it follows (``download``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from airnub_prefect_starter.core.errors import ConfigError
from airnub_prefect_starter.core.http.auth import Credentials
from airnub_prefect_starter.ingestion.api_polls import poll_api_and_store
from airnub_prefect_starter.ingestion.config import ApiConfig, DownloadsConfig, ScrapeConfig
from airnub_prefect_starter.ingestion.downloads import (
    IngestContext,
    IngestResult,
    download_hash_store_and_manifest,
)
from airnub_prefect_starter.ingestion.outcome import ItemOutcome
from airnub_prefect_starter.ingestion.scraping import scrape_page_links
from airnub_prefect_starter.stages.kinds import CategoryKind, KindRegistry

__all__ = [
    "API",
    "DOWNLOADS",
    "INGESTION_KINDS",
    "ITEM_OPERATIONS",
    "SCRAPE",
    "IngestionKind",
    "ItemOperation",
    "ItemRun",
    "item_operation",
    "outcome_from_result",
    "register_operation",
]

#: ``(item, ctx, category, credentials, **options) -> ItemOutcome``: one item through the core.
ItemRun = Callable[..., ItemOutcome]


@dataclass(frozen=True)
class ItemOperation:
    """What a batch runs on each item, and whether the batch publishes the objects it stores together at its end
    (one commit for all: on disk, one syncfs) rather than one by one (needed when an object is read back as soon
    as it is stored, as pages and API responses are)."""

    run: ItemRun
    publish_together: bool = False


def outcome_from_result(category: str, result: IngestResult, **extra: Any) -> ItemOutcome:
    """The outcome of an item the core stored, left unchanged or found a duplicate."""
    return ItemOutcome(
        category=category,
        name=result.name,
        url=result.url,
        status=result.status.value,
        sha256=result.sha256,
        size_bytes=result.size_bytes,
        path=result.location,
        data_source_name=result.data_source_name,
        final_url=result.final_url,
        **extra,
    )


def _download(item: Any, ctx: IngestContext, category: str, credentials: Credentials) -> ItemOutcome:
    return outcome_from_result(category, download_hash_store_and_manifest(item, ctx, credentials=credentials))


def _poll_api(item: Any, ctx: IngestContext, category: str, credentials: Credentials) -> ItemOutcome:
    polled = poll_api_and_store(item, ctx, credentials=credentials)
    count = f", {polled.extracted_count} entries" if polled.extracted_count is not None else ""
    return outcome_from_result(category, polled.ingest, detail=f"{polled.extracted_type}{count}")


def _scrape_page(
    item: Any, ctx: IngestContext, category: str, credentials: Credentials, *, max_links: int = 1000
) -> ItemOutcome:
    scraped = scrape_page_links(item, ctx, max_links=max_links, credentials=credentials)
    return outcome_from_result(
        category,
        scraped.page,
        links=scraped.links,
        links_truncated=scraped.truncated,
        detail=f"{len(scraped.links)} links"
        + (" (truncated)" if scraped.truncated else "")
        + (f", {scraped.malformed} malformed skipped" if scraped.malformed else ""),
    )


#: The item operations by name. ``download`` publishes a batch's files together (one commit per batch).
ITEM_OPERATIONS: dict[str, ItemOperation] = {
    "download": ItemOperation(_download, publish_together=True),
    "poll_api": ItemOperation(_poll_api),
    "scrape_page": ItemOperation(_scrape_page),
}


def register_operation(name: str, run: ItemRun, *, publish_together: bool = False) -> ItemOperation:
    """Add an item operation (a name taken already is refused); see :class:`ItemOperation`."""
    if name in ITEM_OPERATIONS:
        raise ConfigError(f"item operation {name} is registered already")
    operation = ITEM_OPERATIONS[name] = ItemOperation(run, publish_together)
    return operation


def item_operation(name: str) -> ItemOperation:
    """The operation called ``name`` (one line naming the known ones otherwise)."""
    try:
        return ITEM_OPERATIONS[name]
    except KeyError:
        raise ConfigError(f"item operation '{name}': not one of {', '.join(ITEM_OPERATIONS)}") from None


@dataclass(frozen=True)
class IngestionKind(CategoryKind):
    """An ingestion kind: its batches run ``operation`` on each item."""

    operation: str = "download"


DOWNLOADS = IngestionKind(
    "downloads",
    "ingestion",
    DownloadsConfig,
    "files_to_acquire",
    "download",
    "download a fixed list of files into the store",
    operation="download",
)
API = IngestionKind(
    "api", "ingestion", ApiConfig, "apis_to_poll", "poll", "poll JSON APIs and store each response", "poll_api"
)
SCRAPE = IngestionKind(
    "scrape",
    "ingestion",
    ScrapeConfig,
    "pages_to_scrape",
    "scrape",
    "store web pages, extract their links and download the matching ones",
    operation="scrape_page",
)

#: The ingestion kinds, in the order the generators offer them.
INGESTION_KINDS: KindRegistry[IngestionKind] = KindRegistry("ingestion", [DOWNLOADS, API, SCRAPE])
