"""Scrape a web page: store the page in the CAS like a file, then extract its links from the stored copy."""

from __future__ import annotations

from dataclasses import dataclass

from airnub_prefect_starter.core.file_handlers import (
    IngestContext,
    IngestResult,
    SourceItem,
    core_download_hash_store_and_manifest,
)
from airnub_prefect_starter.core.link_extraction import ExtractedLink, extract_links_from_file

__all__ = ["PageScrapeResult", "core_scrape_page_links"]


@dataclass(frozen=True)
class PageScrapeResult:
    page: IngestResult
    links: tuple[ExtractedLink, ...]
    truncated: bool


def _charset(content_type: str | None) -> str:
    for part in (content_type or "").split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset" and value:
            return value.strip("\"'")
    return "utf-8"


def core_scrape_page_links(item: SourceItem, ctx: IngestContext, *, max_links: int = 1000) -> PageScrapeResult:
    """Fetch ``item.url`` (bounded by the policy's ``max_bytes``) into the store as a ``web_page`` and return
    its unique http(s) links, at most ``max_links`` (``truncated`` says whether more were present).

    Links are resolved against the page's final URL after redirects, honouring ``<base href>``."""
    page = core_download_hash_store_and_manifest(item, ctx, kind="web_page", headers={"Accept": "text/html"})
    try:
        extraction = extract_links_from_file(page.path, item.url, max_links, encoding=_charset(page.content_type))
    except LookupError:  # unknown charset label: fall back to UTF-8 with replacement
        extraction = extract_links_from_file(page.path, item.url, max_links)
    return PageScrapeResult(page=page, links=extraction.links, truncated=extraction.truncated)
