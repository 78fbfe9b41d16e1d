"""Raw inputs of the later stages, found through the manifest index (never by guessing paths in the store).

:func:`select_raw_inputs` picks the objects a processing dataset is built from (the current object of every
matching URL, the one that changed last first, or every object they ever served);
:func:`source_urls` traces raw sha256s back to every URL that served them (the lineage a report prints);
:func:`find_stored_object` finds one object by its sha256 (or a prefix) or by the URL that serves it.
:func:`local_raw_file` gives a raw input as a local file (an object on object storage fetched into a cache once,
verified); :func:`read_raw_input` its bytes.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from airnub_prefect_starter.common.locations import join_location, parse_location
from airnub_prefect_starter.common.utils import sha256_file
from airnub_prefect_starter.core.errors import ConfigError, IntegrityError, RawInputNotFoundError, StorageError
from airnub_prefect_starter.core.store.backends import open_store
from airnub_prefect_starter.core.store.index import IndexedObject, ManifestIndex, ObjectSource
from airnub_prefect_starter.core.store.object_store import S3Credentials
from airnub_prefect_starter.core.store.os_errors import storage_error
from airnub_prefect_starter.core.store.store import Store

__all__ = [
    "RawInput",
    "RawInputQuery",
    "find_stored_object",
    "local_raw_file",
    "read_raw_input",
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
    """One stored raw object: where it is (a local path or an ``s3://`` URL) and every URL that served it
    (redacted)."""

    data_source_name: str
    sha256: str
    filename: str
    location: str
    urls: tuple[str, ...]

    @property
    def on_object_storage(self) -> bool:
        """Whether its store is not a folder on this machine (reading it takes storage credentials)."""
        return not parse_location(self.location).is_local

    @property
    def storage_base(self) -> str:
        """The location of its store: :attr:`location` without ``/<data_source_name>/<sha256>/<filename>``."""
        suffix = f"/{self.data_source_name}/{self.sha256}/{self.filename}"
        if not self.location.endswith(suffix):
            raise StorageError(f"{self.location}: not a stored object's location (it should end in {suffix})")
        return self.location.removesuffix(suffix)


def _raw_input(chosen: IndexedObject, sources: Sequence[ObjectSource]) -> RawInput:
    return RawInput(
        data_source_name=chosen.data_source_name,
        sha256=chosen.sha256,
        filename=chosen.filename,
        location=join_location(chosen.storage_base, chosen.relative_path),
        urls=tuple(s.url for s in sources),
    )


def _store(raw: RawInput, credentials: S3Credentials | None) -> Store:
    return open_store(raw.storage_base, credentials)


def read_raw_input(raw: RawInput, credentials: S3Credentials | None = None) -> bytes:
    """The raw object's bytes, from its store (not checked against its sha256: callers do that)."""
    with _store(raw, credentials).open_stored(raw.location) as stream:
        return stream.read()


_CHUNK = 1024 * 1024


def local_raw_file(raw: RawInput, cache_dir: Path, credentials: S3Credentials | None = None) -> Path:
    """The raw object as a local file: its own file when its store keeps one on this machine; otherwise the copy
    at ``<cache_dir>/<data_source_name>/<sha256>/<filename>``, fetched (streamed, hashed on the way, written beside
    it and renamed into place when it matches the sha256) unless a copy with that sha256 is already there.

    :class:`IntegrityError` when the fetched bytes do not hash to the sha256 (nothing is left in the cache)."""
    store = _store(raw, credentials)
    own = store.local_path(raw.location)
    if own is not None:
        return own
    target = cache_dir / raw.data_source_name / raw.sha256 / raw.filename
    if target.is_file() and sha256_file(target) == raw.sha256:
        return target
    partial = target.with_name(f".{target.name}.part")
    digest = hashlib.sha256()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with store.open_stored(raw.location) as stream, partial.open("wb") as handle:
            for chunk in iter(lambda: stream.read(_CHUNK), b""):
                digest.update(chunk)
                handle.write(chunk)
        if digest.hexdigest() != raw.sha256:
            raise IntegrityError(f"{raw.location}: sha256 {digest.hexdigest()} differs from the expected {raw.sha256}")
        partial.replace(target)
    except OSError as exc:
        raise storage_error(f"{raw.location}: cannot write", exc.filename or target, exc) from exc
    finally:
        partial.unlink(missing_ok=True)
    logger.debug("fetched %s into %s", raw.location, target)
    return target


def select_raw_inputs(
    index: ManifestIndex, selector: RawInputQuery, versions: Literal["latest", "all"]
) -> list[RawInput]:
    """The objects of ``selector.data_source_name`` matching its file name and/or item name, newest first, each once.

    A file name matches per URL: the name a URL gave the content (Content-Disposition or its last path segment),
    so the same bytes served by several URLs under several names are found under each of them, though the store
    keeps one object named after the first. ``latest``: the current object of every matching URL (the most
    recently changed first). ``all``: every object a matching URL ever served (the most recently stored first).
    Raises :class:`RawInputNotFoundError` (naming what is there) when nothing matches."""
    current = index.current_objects(selector.data_source_name)
    sources = index.sources_in(selector.data_source_name)  # one query, not one per object
    if versions == "latest":
        matches = [
            c.indexed
            for c in current
            if (selector.filename is None or c.filename == selector.filename)
            and (selector.name is None or c.name == selector.name)
        ]
    else:
        matches = [
            obj
            for obj in reversed(index.list_objects(selector.data_source_name))
            if any(
                (selector.filename is None or s.filename == selector.filename)
                and (selector.name is None or s.name == selector.name)
                for s in sources.get(obj.sha256, ())
            )
        ]
    if not matches:
        raise RawInputNotFoundError(selector.describe(), (f"{c.filename} ({c.name})" for c in current))
    ordered: dict[str, IndexedObject] = {}
    for obj in matches:  # an object served by two URLs counts once, at its newest position
        ordered.setdefault(obj.sha256, obj)
    return [_raw_input(obj, sources.get(obj.sha256, ())) for obj in ordered.values()]


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
        return _raw_input(objects[0], index.sources_of(objects[0].data_source_name, objects[0].sha256))
    if not _SHA256_PREFIX.fullmatch(reference):
        raise ConfigError(f"'{reference}': not a sha256 (6 to 64 hex digits), a URL or an existing file")
    found = {obj.sha256: obj for obj in index.find_objects(reference)}
    if not found:
        raise RawInputNotFoundError(f"sha256 {reference.lower()}", ())
    if len(found) > 1:
        shown = ", ".join(sorted(sha[:12] for sha in found)[:5])
        raise ConfigError(f"sha256 prefix '{reference}' matches {len(found)} objects ({shown}); give more digits")
    [chosen] = found.values()
    return _raw_input(chosen, index.sources_of(chosen.data_source_name, chosen.sha256))
