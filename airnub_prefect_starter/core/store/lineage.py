"""Raw inputs of the later stages, found through the manifest index (never by guessing paths in the store).

:func:`select_raw_inputs` picks the objects a processing dataset is built from (the current object of every
matching URL, the one that changed last first, or every object they ever served);
:func:`source_urls` traces raw sha256s back to every URL that served them (the lineage a report prints);
:func:`find_stored_object` finds one object by its sha256 (or a prefix) or by the URL that serves it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from airnub_prefect_starter.core.errors import ConfigError, RawInputNotFoundError
from airnub_prefect_starter.core.store.index import IndexedObject, ManifestIndex

__all__ = [
    "RawInput",
    "RawInputQuery",
    "find_stored_object",
    "select_raw_inputs",
    "source_urls",
]

logger = logging.getLogger(__name__)


class RawInputQuery(Protocol):
    """What :func:`select_raw_inputs` needs of a dataset's input selector (the processing config's)."""

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


def _raw_input(index: ManifestIndex, chosen: IndexedObject) -> RawInput:
    urls = tuple(s.url for s in index.sources_of(chosen.data_source_name, chosen.sha256))
    return RawInput(
        data_source_name=chosen.data_source_name,
        sha256=chosen.sha256,
        filename=chosen.filename,
        path=Path(chosen.storage_base) / chosen.relative_path,
        urls=urls,
    )


def select_raw_inputs(
    index: ManifestIndex, selector: RawInputQuery, versions: Literal["latest", "all"]
) -> list[RawInput]:
    """The objects of ``selector.data_source_name`` matching its file name and/or item name, newest first, each once.

    ``latest``: the current object of every matching URL (the most recently changed first). ``all``: every object
    a matching URL ever served (the most recently stored first). Raises :class:`RawInputNotFoundError` (naming what
    is there) when nothing matches."""
    current = index.current_objects(selector.data_source_name)
    if versions == "latest":
        matches = [
            c.indexed
            for c in current
            if (selector.filename is None or c.indexed.filename == selector.filename)
            and (selector.name is None or c.name == selector.name)
        ]
    else:
        matches = [
            obj
            for obj in reversed(index.list_objects(selector.data_source_name))
            if (selector.filename is None or obj.filename == selector.filename)
            and (
                selector.name is None
                or any(s.name == selector.name for s in index.sources_of(obj.data_source_name, obj.sha256))
            )
        ]
    if not matches:
        raise RawInputNotFoundError(selector.describe(), (f"{c.indexed.filename} ({c.name})" for c in current))
    ordered: dict[str, IndexedObject] = {}
    for obj in matches:  # an object served by two URLs counts once, at its newest position
        ordered.setdefault(obj.sha256, obj)
    return [_raw_input(index, obj) for obj in ordered.values()]


def source_urls(index: ManifestIndex, sha256s: Iterable[str]) -> list[tuple[str, str]]:
    """``(sha256, url)`` for every URL, in every data source, that served each raw sha256 (sorted, unique).

    A sha256 the index does not know contributes nothing (the report then marks its source unknown)."""
    pairs: set[tuple[str, str]] = set()
    for sha256 in sorted(set(sha256s)):
        for indexed in index.find_objects(sha256):
            if indexed.sha256 == sha256:
                pairs.update((sha256, s.url) for s in index.sources_of(indexed.data_source_name, sha256))
    return sorted(pairs)


_SHA256_PREFIX = re.compile(r"^[0-9a-fA-F]{6,64}$")


def find_stored_object(index: ManifestIndex, reference: str) -> RawInput:
    """The stored object ``reference`` names: a sha256 or a prefix of at least 6 hex digits, or a URL (the object
    it serves now; of the data source that saw it change last when several fetched it).

    :class:`RawInputNotFoundError` when nothing matches; :class:`ConfigError` when a prefix is ambiguous or the
    reference is neither."""
    if "://" in reference:
        objects = index.url_objects(reference)
        if not objects:
            raise RawInputNotFoundError(f"URL {reference}", ())
        return _raw_input(index, objects[0])
    if not _SHA256_PREFIX.fullmatch(reference):
        raise ConfigError(f"'{reference}': not a sha256 (6 to 64 hex digits), a URL or an existing file")
    found = {obj.sha256: obj for obj in index.find_objects(reference)}
    if not found:
        raise RawInputNotFoundError(f"sha256 {reference.lower()}", ())
    if len(found) > 1:
        shown = ", ".join(sorted(sha[:12] for sha in found)[:5])
        raise ConfigError(f"sha256 prefix '{reference}' matches {len(found)} objects ({shown}); give more digits")
    return _raw_input(index, next(iter(found.values())))
