"""Scrape a web page: store the page in the CAS like a file, then extract its links from the stored copy."""

from __future__ import annotations

import codecs
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from airnub_prefect_starter.common.utils import is_text_codec, redact_url, sanitize_filename
from airnub_prefect_starter.core.errors import ResponseContentError
from airnub_prefect_starter.core.http.auth import (
    NO_CREDENTIALS,
    Credentials,
    SourceAuth,
    credentials_may_go_to,
)
from airnub_prefect_starter.core.http.policy import origin_of
from airnub_prefect_starter.ingestion.config import FileToAcquire, LinkFollowing
from airnub_prefect_starter.ingestion.downloads import (
    IngestContext,
    IngestResult,
    SourceItem,
    download_hash_store_and_manifest,
)
from airnub_prefect_starter.ingestion.links import ExtractedLink, extract_links_from_stream, links_matching

__all__ = ["PageScrapeResult", "scrape_page_links", "files_to_follow"]


@dataclass(frozen=True)
class PageScrapeResult:
    page: IngestResult
    links: tuple[ExtractedLink, ...]
    truncated: bool
    malformed: int = 0  # links skipped as invalid URLs


#: Decoded by every text codec that can read a page with replacement (UTF-16 and -32 need their byte order mark).
_CODEC_PROBE = b"\xff\xfe\x00\x00<\x00\x00\x00"


def _charset(content_type: str | None) -> str:
    """The ``charset`` of ``content_type`` when it names a text encoding that can decode a page with replacement;
    otherwise (absent, unknown, a bytes-to-bytes codec such as ``zlib`` or ``rot13``, ``undefined``) UTF-8."""
    for part in (content_type or "").split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset" and value:
            label = value.strip("\"'")
            try:
                info = codecs.lookup(label)
                if not is_text_codec(info):  # zlib, rot13, base64...: codecs, but not text encodings
                    return "utf-8"
                info.incrementaldecoder(errors="replace").decode(_CODEC_PROBE, final=True)
            except (LookupError, UnicodeError, ValueError, TypeError):  # unknown label, or a codec that cannot
                return "utf-8"
            return label
    return "utf-8"


def scrape_page_links(
    item: SourceItem, ctx: IngestContext, *, max_links: int = 1000, credentials: Credentials = NO_CREDENTIALS
) -> PageScrapeResult:
    """Fetch ``item.url`` (bounded by the policy's ``max_bytes``) into the store as a ``web_page`` and return
    its unique http(s) links, at most ``max_links`` (``truncated`` says whether more were present).

    Relative links are resolved against the page's final URL (after redirects), honouring ``<base href>``."""
    page = download_hash_store_and_manifest(
        item, ctx, kind="web_page", headers={"Accept": "text/html"}, credentials=credentials
    )
    encoding = _charset(page.content_type)
    try:
        with ctx.store.open_stored(page.location) as stream:
            extraction = extract_links_from_stream(stream, page.final_url, max_links, encoding=encoding)
    except UnicodeError as exc:  # e.g. charset=utf-16 on a page without a byte order mark
        raise ResponseContentError(
            redact_url(item.url), f"page cannot be read as {encoding} (its Content-Type charset): {exc}"
        ) from None
    return PageScrapeResult(
        page=page, links=extraction.links, truncated=extraction.truncated, malformed=extraction.malformed
    )


def files_to_follow(
    pages: Iterable[tuple[str, str, Iterable[ExtractedLink]]], follow: LinkFollowing, already: Iterable[str] = ()
) -> list[FileToAcquire]:
    """Files to download from scraped ``(page_url, final_url, links)`` (the page as configured, the URL it was
    read from after redirects, its links): links matching ``follow.patterns`` (and, with ``follow.same_host``, on
    the page's host), at most ``follow.max_files_per_page`` per page, each URL once (skipping ``already``),
    recording the page and the anchor text. ``follow.auth`` goes with a link on the page's own origin or on
    ``follow.auth_hosts`` only: a page may link anywhere, and its site's credentials must not go with it. The
    page's origin is its final one when it only moved to https on the same host, else the configured one (a
    redirect to another origin does not carry the credentials there)."""
    seen: dict[str, int | None] = dict.fromkeys(already)  # URL -> its place in ``files`` (None: skipped)
    files: list[FileToAcquire] = []
    for page_url, final_url, links in pages:
        auth_origin = _auth_origin(page_url, final_url)
        matching = links_matching(links, follow.patterns)
        if follow.same_host:
            page_host = _host(page_url)
            matching = [link for link in matching if _host(link.url) == page_host]
        for link in matching[: follow.max_files_per_page]:
            authed = follow.auth is not None and credentials_may_go_to(link.url, auth_origin, follow.auth_hosts)
            if link.url in seen:  # listed before: taken from this page instead if only this one qualifies for auth
                place = seen[link.url]
                if place is not None and authed and files[place].auth is None:
                    files[place] = _linked_file(link, page_url, follow.auth)
                continue
            seen[link.url] = len(files)
            files.append(_linked_file(link, page_url, follow.auth if authed else None))
    return files


def _auth_origin(page_url: str, final_url: str) -> str:
    """``final_url`` when the page stayed on its origin or moved from http to https on the same host and default
    port, else ``page_url``."""
    page, final = origin_of(page_url), origin_of(final_url)
    upgraded = page[0] == "http" and final == ("https", page[1], 443)
    return final_url if final == page or upgraded else page_url


def _linked_file(link: ExtractedLink, page_url: str, auth: SourceAuth | None) -> FileToAcquire:
    segment = unquote(urlsplit(link.url).path.rsplit("/", 1)[-1])
    return FileToAcquire(
        name=sanitize_filename(segment or link.title or "link", fallback="link"),
        url=link.url,
        link_title=link.title or None,
        source_page_url=page_url,
        auth=auth,
    )


def _host(url: str) -> str:
    """The host of ``url`` as compared by ``same_host``: lower case, without a trailing dot."""
    return (urlsplit(url).hostname or "").rstrip(".")
