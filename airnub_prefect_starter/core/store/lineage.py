"""Raw inputs of the later stages, found through the manifest index (never by guessing paths in the store).

:func:`select_raw_input` picks the object a processing dataset is built from; :func:`source_urls` traces raw
sha256s back to every URL that served them (the lineage a report prints).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from airnub_prefect_starter.core.errors import RawInputNotFoundError
from airnub_prefect_starter.core.store.index import ManifestIndex

__all__ = ["RawInput", "RawInputQuery", "select_raw_input", "source_urls"]

logger = logging.getLogger(__name__)


class RawInputQuery(Protocol):
    """What :func:`select_raw_input` needs of a dataset's input selector (the processing config's)."""

    @property
    def data_source_name(self) -> str: ...
    @property
    def filename(self) -> str | None: ...
    @property
    def name(self) -> str | None: ...
    def describe(self) -> str: ...


@dataclass(frozen=True)
class RawInput:
    """One stored raw object: where it is and every URL that served it (redacted)."""

    data_source_name: str
    sha256: str
    filename: str
    path: Path
    urls: tuple[str, ...]


def select_raw_input(index: ManifestIndex, selector: RawInputQuery) -> RawInput:
    """The current object of the URLs in ``selector.data_source_name`` whose stored file name and/or ingested
    item name match; when several URLs match, the one whose content changed last.

    Raises :class:`RawInputNotFoundError` (naming what is there) when nothing matches."""
    current = index.current_objects(selector.data_source_name)
    matches = [
        c
        for c in current
        if (selector.filename is None or c.indexed.filename == selector.filename)
        and (selector.name is None or c.name == selector.name)
    ]
    if not matches:
        raise RawInputNotFoundError(selector.describe(), (f"{c.indexed.filename} ({c.name})" for c in current))
    chosen = matches[0].indexed  # current_objects lists the most recently changed first
    if len({m.indexed.sha256 for m in matches}) > 1:
        logger.info("%s: %d URLs match; using %s, changed last", selector.describe(), len(matches), matches[0].url)
    urls = tuple(s.url for s in index.sources_of(chosen.data_source_name, chosen.sha256))
    return RawInput(
        data_source_name=chosen.data_source_name,
        sha256=chosen.sha256,
        filename=chosen.filename,
        path=Path(chosen.storage_base) / chosen.relative_path,
        urls=urls,
    )


def source_urls(index: ManifestIndex, sha256s: Iterable[str]) -> list[tuple[str, str]]:
    """``(sha256, url)`` for every URL, in every data source, that served each raw sha256 (sorted, unique).

    A sha256 the index does not know contributes nothing (the report then marks its source unknown)."""
    pairs: set[tuple[str, str]] = set()
    for sha256 in sorted(set(sha256s)):
        for indexed in index.find_objects(sha256):
            if indexed.sha256 == sha256:
                pairs.update((sha256, s.url) for s in index.sources_of(indexed.data_source_name, sha256))
    return sorted(pairs)
