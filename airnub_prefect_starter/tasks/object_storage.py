"""Object storage at the edge of the flows: the check every stage run starts with, and the local working copy in
which processing and analysis compute when their folders are on object storage.

:func:`check_object_storage` asks every bucket prefix a run will use (the data dir's, and any ``s3://`` base of
the stage config) one LIST, before anything is fetched: a missing bucket, refused credentials or an endpoint that
does not answer fail the run at once, in one line. :func:`working_copy` wraps a category run: it pulls its input
and output folders from the bucket into the working copy (so that "unchanged" is decided against what the bucket
holds, on any machine), and pushes the output folders back when the run ends (also when some items failed: the
others' outputs are whole). The transfers themselves are :mod:`airnub_prefect_starter.core.store.mirror`'s.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from airnub_prefect_starter.common.locations import parse_location, storage_location_in
from airnub_prefect_starter.common.settings import AirnubSettings
from airnub_prefect_starter.core.errors import ConfigError
from airnub_prefect_starter.core.store import mirror
from airnub_prefect_starter.core.store.backends import open_bucket, open_store
from airnub_prefect_starter.core.store.object_store import S3Credentials

__all__ = ["MirroredFolder", "check_object_storage", "mirrored_folders", "object_storage_urls", "working_copy"]

logger = logging.getLogger(__name__)


def _urls_in(value: Any) -> Iterator[str]:
    """Every bucket location in a config dump, sections switched off (``enabled: false``) left out."""
    if isinstance(value, Mapping):
        if value.get("enabled") is False:
            return
        for item in value.values():
            yield from _urls_in(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _urls_in(item)
    elif (location := storage_location_in(value)) is not None:
        yield location.text


def object_storage_urls(settings: AirnubSettings, config: BaseModel | None = None) -> list[str]:
    """The bucket prefixes a run uses: the data dir's URL and every bucket base of ``config`` (one per prefix:
    a prefix under another is covered by it)."""
    found = sorted(
        {*([settings.data_url] if settings.data_url else []), *_urls_in(config.model_dump() if config else {})}
    )
    return [url for url in found if not any(url.startswith(other + "/") for other in found if other != url)]


def check_object_storage(
    settings: AirnubSettings, credentials: S3Credentials | None, config: BaseModel | None = None
) -> list[str]:
    """One LIST of each prefix :func:`object_storage_urls` names; :class:`StorageError` in one line (the URL and
    why: no such bucket, credentials refused, endpoint does not answer) for the first that fails. The URLs."""
    urls = object_storage_urls(settings, config)
    for url in urls:
        open_store(url, credentials).check()
    return urls


@dataclass(frozen=True)
class MirroredFolder:
    """A configured folder on object storage (``url``) and its local working copy (``path``)."""

    url: str
    path: Path
    push: bool
    pulled: Mapping[str, str] = field(default_factory=dict, compare=False)


def mirrored_folders(
    settings: AirnubSettings, *, inputs: Sequence[str] = (), outputs: Sequence[str] = ()
) -> list[MirroredFolder]:
    """The folders of ``inputs`` (pulled) and ``outputs`` (pulled and pushed) that live on object storage, one per
    place: a folder inside another is synchronised with it. A base naming the data dir itself is a ConfigError
    (its working copy also holds the raw cache and, by default, the SQLite index)."""
    wanted: dict[str, MirroredFolder] = {}
    for base, push in [*((b, False) for b in inputs), *((b, True) for b in outputs)]:
        url = settings.storage_location(base)
        if parse_location(url).is_local:
            continue
        path = settings.data_path(base)
        if path == settings.resolved_data_dir:
            raise ConfigError(f"{base}: with the data dir on object storage, a stage's folder must lie under it")
        known = wanted.get(url)
        wanted[url] = MirroredFolder(url, path, push or (known is not None and known.push))
    folders = sorted(wanted.values(), key=lambda f: f.url)
    merged: list[MirroredFolder] = []
    for folder in folders:
        outer = next((m for m in merged if folder.url.startswith(m.url + "/")), None)
        if outer is None:
            merged.append(folder)
        elif folder.push and not outer.push:
            merged[merged.index(outer)] = MirroredFolder(outer.url, outer.path, True)
    return merged


@contextmanager
def working_copy(
    settings: AirnubSettings,
    credentials: S3Credentials | None,
    *,
    inputs: Sequence[str] = (),
    outputs: Sequence[str] = (),
    log: logging.Logger | logging.LoggerAdapter[logging.Logger] = logger,
) -> Iterator[list[MirroredFolder]]:
    """Pull the folders of ``inputs`` and ``outputs`` that are on object storage into their working copies, run
    the block, then push the ``outputs`` back (when the block raised too: whatever it finished is whole; a push
    that then fails is logged and the block's error raised). Local folders are left alone."""
    folders = []
    for folder in mirrored_folders(settings, inputs=inputs, outputs=outputs):
        pulled = mirror.pull(open_bucket(folder.url, credentials), "", folder.path)
        log.info("%s -> %s: pulled %s", folder.url, folder.path, pulled.describe())
        folders.append(MirroredFolder(folder.url, folder.path, folder.push, pulled.state))
    try:
        yield folders
    except BaseException:
        try:
            _push(folders, credentials, log)
        except Exception as exc:  # noqa: BLE001 - the block's own error is the one to raise
            log.error("pushing the working copy failed too: %s", exc)
        raise
    _push(folders, credentials, log)


def _push(folders: Sequence[MirroredFolder], credentials: S3Credentials | None, log: Any) -> None:
    for folder in folders:
        if folder.push:
            pushed = mirror.push(folder.path, open_bucket(folder.url, credentials), "", since=folder.pulled)
            log.info("%s -> %s: pushed %s", folder.path, folder.url, pushed.describe())
