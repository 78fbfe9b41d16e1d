"""Extract links from an HTML page: resolve relative links, honour ``<base href>``, drop non-web schemes,
dedupe, and stop at a link limit. Input size is bounded by the caller (the page is downloaded under
``max_bytes``); the parser reads in chunks and never builds a tree, so hostile pages cost linear time."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import BinaryIO
from urllib.parse import urldefrag, urljoin, urlsplit

__all__ = ["ExtractedLink", "LinkExtraction", "extract_links", "extract_links_from_stream", "links_matching"]

_WEB_SCHEMES = frozenset({"http", "https"})
_WHITESPACE = re.compile(r"\s+")
_MAX_TITLE_CHARS = 500
_CHUNK_CHARS = 64 * 1024


@dataclass(frozen=True)
class ExtractedLink:
    url: str
    title: str


@dataclass(frozen=True)
class LinkExtraction:
    links: tuple[ExtractedLink, ...]
    truncated: bool
    malformed: int = 0  # links skipped because they are not valid URLs (bad host, bad port, no host)


class _LinkParser(HTMLParser):
    def __init__(self, page_url: str, max_links: int) -> None:
        super().__init__(convert_charrefs=True)
        self.base_url = page_url
        self.max_links = max_links
        self.links: dict[str, ExtractedLink] = {}
        self.truncated = False
        self.malformed = 0
        self._seen_base = False
        self._open_href: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "base" and not self._seen_base and values.get("href"):
            self._seen_base = True  # only the first <base href> counts (HTML spec)
            try:
                base = urljoin(self.base_url, (values["href"] or "").strip())
                urlsplit(base).port  # noqa: B018 - raises ValueError on a port out of range
            except ValueError:  # e.g. "http://[::1": the page's own URL stays the base (HTML spec's fallback)
                self.malformed += 1
            else:
                self.base_url = base
        elif tag == "a":
            self._finish_anchor()
            href = (values.get("href") or "").strip()
            self._open_href = href or None
            self._text = []

    def parse_marked_section(self, i: int, report: bool = True) -> int:
        """``<![CDATA[...]]>`` and the like as before; any other ``<![`` (``<![ foo ]>``), which the standard
        library's parser refuses with an AssertionError, is a bogus comment, as the HTML spec reads it."""
        try:
            return super().parse_marked_section(i, report)
        except AssertionError:
            return self.parse_bogus_comment(i, report)

    def handle_data(self, data: str) -> None:
        if self._open_href is not None and sum(map(len, self._text)) < _MAX_TITLE_CHARS:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._finish_anchor()

    def _finish_anchor(self) -> None:
        href, self._open_href = self._open_href, None
        if href is None or href.startswith("#") or self.truncated:  # same-page anchors are not links out
            return
        try:
            absolute, _fragment = urldefrag(urljoin(self.base_url, href))
            parts = urlsplit(absolute)
            parts.port  # noqa: B018 - raises ValueError on a port out of range
        except ValueError:  # e.g. "http://[::1" or port 99999: one bad link must not stop the page
            self.malformed += 1
            return
        if parts.scheme.lower() not in _WEB_SCHEMES or absolute in self.links:
            return
        if not parts.hostname:
            self.malformed += 1
            return
        if len(self.links) >= self.max_links:
            self.truncated = True
            return
        title = _WHITESPACE.sub(" ", "".join(self._text)).strip()[:_MAX_TITLE_CHARS]
        self.links[absolute] = ExtractedLink(url=absolute, title=title)


def extract_links(html: str, page_url: str, max_links: int = 1000) -> LinkExtraction:
    """Unique http(s) links of ``html`` in document order, at most ``max_links`` (``truncated`` if more); links that
    are not valid URLs are skipped and counted (``malformed``)."""
    return _parse((html[i : i + _CHUNK_CHARS] for i in range(0, len(html), _CHUNK_CHARS)), page_url, max_links)


def extract_links_from_stream(
    stream: BinaryIO, page_url: str, max_links: int = 1000, encoding: str = "utf-8"
) -> LinkExtraction:
    """:func:`extract_links` over a stored page, read in chunks (undecodable bytes replaced)."""
    text = io.TextIOWrapper(stream, encoding=encoding, errors="replace")
    try:
        return _parse(iter(lambda: text.read(_CHUNK_CHARS), ""), page_url, max_links)
    finally:
        text.detach()


def _parse(chunks: Iterable[str], page_url: str, max_links: int) -> LinkExtraction:
    parser = _LinkParser(page_url, max_links)
    for chunk in chunks:
        parser.feed(chunk)
        if parser.truncated:
            break
    else:
        parser.close()
        parser._finish_anchor()
    return LinkExtraction(links=tuple(parser.links.values()), truncated=parser.truncated, malformed=parser.malformed)


def links_matching(links: Iterable[ExtractedLink], patterns: Iterable[str]) -> list[ExtractedLink]:
    """Links whose URL matches any regular expression in ``patterns`` (``re.search``)."""
    compiled = [re.compile(p) for p in patterns]
    return [link for link in links if any(p.search(link.url) for p in compiled)]
