"""Collect what killed runs leave behind: partial downloads and staging folders in a store's temp area.

On disk that is ``<base>/.tmp``. A write in progress keeps touching its entry (each chunk written moves its mtime),
so only entries untouched for longer than a time-to-live are removed: a running writer is never hit. Nothing is
followed through a symlink: a link in the temp area is removed as a link, and a temp area that is itself a
symlink is refused.

On object storage (an ``s3://`` base) the store itself has no temp keys in normal use: an object goes straight to
its final key with a create-only PUT, and a large one as a multipart upload that appears only when completed. The
parts of an upload a killed run abandoned are not keys at all and this module cannot see them: a bucket lifecycle
rule ``AbortIncompleteMultipartUpload`` (e.g. after one day) is what cleans them. What a killed run does leave is
its body's local staging file on the machine that ran it (``S3ContentAddressedStore.staging_dir``, by default
``$TMPDIR/airnub-staging``); those are collected here with the same time-to-live. A staging file is not touched
while it is uploaded, so keep the time-to-live above the longest upload. Keys under ``<base>/.tmp/`` (none of
ours; another or a future writer may leave some) are collected too, their idle time taken from their
``last_modified``, every key under one top-level name as one entry.
"""

from __future__ import annotations

import os
import shutil
import stat
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from airnub_prefect_starter.common.locations import is_object_url
from airnub_prefect_starter.core.errors import StorageError
from airnub_prefect_starter.core.store.cas import TEMP_DIR_NAME
from airnub_prefect_starter.core.store.object_store import Bucket
from airnub_prefect_starter.core.store.s3_cas import S3ContentAddressedStore

__all__ = [
    "DEFAULT_TTL_S",
    "GcReport",
    "RemoteTempEntry",
    "TempEntry",
    "collect_temp_debris",
    "is_abandoned",
    "local_temp_entries",
    "remote_temp_entries",
]

#: How long a temp entry must have been idle to count as abandoned: ``manifest gc`` removes such entries and
#: ``manifest verify`` reports them as debris; a younger one may belong to a running write and is left alone.
DEFAULT_TTL_S = 3600.0


@dataclass(frozen=True)
class TempEntry:
    """One entry of a temp area: its size (regular files inside it, links not followed) and idle time. ``path`` is
    a local path, or the ``s3://`` location of an entry under an object-storage store's ``.tmp/``."""

    path: Path | str
    size_bytes: int
    idle_s: float


@dataclass(frozen=True)
class RemoteTempEntry:
    """An entry under an object-storage store's ``.tmp/``: every key under one top-level name."""

    entry: TempEntry
    keys: tuple[str, ...]


@dataclass(frozen=True)
class GcReport:
    """``removed``: entries freed (or, in a dry run, that would be); ``kept``: entries younger than the TTL."""

    dry_run: bool
    removed: list[TempEntry] = field(default_factory=list)
    kept: list[TempEntry] = field(default_factory=list)

    @property
    def freed_bytes(self) -> int:
        return sum(entry.size_bytes for entry in self.removed)


def is_abandoned(entry: TempEntry, older_than_s: float = DEFAULT_TTL_S) -> bool:
    """Whether a temp entry counts as debris: idle (nothing in it written) for ``older_than_s`` seconds or more.
    The one notion of "aged" that ``manifest gc`` removes by and ``manifest verify`` reports by."""
    return entry.idle_s >= older_than_s


def collect_temp_debris(
    bases: Sequence[str | Path],
    *,
    older_than_s: float = DEFAULT_TTL_S,
    dry_run: bool = False,
    now: float | None = None,
    staging_dir: Path | None = None,
) -> GcReport:
    """Remove entries of each store's temp area idle for more than ``older_than_s`` seconds (an entry's idle
    time is measured from the newest mtime inside it). For every ``s3://`` base: its ``.tmp/`` keys, and once the
    local staging dir of object-storage stores (``staging_dir``, default ``$TMPDIR/airnub-staging``). Raises
    :class:`StorageError` naming the path or URL when a temp area is a symlink, an entry cannot be removed or a
    bucket cannot be listed."""
    now = time.time() if now is None else now
    report = GcReport(dry_run=dry_run)
    staging_dirs: dict[Path, None] = {}
    for base in bases:
        if is_object_url(base):
            store = S3ContentAddressedStore(str(base), staging_dir=staging_dir)
            _collect_remote(store.bucket, report, older_than_s, now)
            staging_dirs[store.staging_dir] = None
        else:
            _collect_local(Path(base) / TEMP_DIR_NAME, report, older_than_s, now)
    for folder in staging_dirs:
        _collect_local(folder, report, older_than_s, now)
    return report


def remote_temp_entries(bucket: Bucket, now: float | None = None) -> list[RemoteTempEntry]:
    """The entries under ``<bucket prefix>/.tmp/``: keys grouped by their first name after ``.tmp/``, each
    entry's size the sum of its keys' and its idle time measured from the newest ``last_modified``."""
    now = time.time() if now is None else now
    grouped: dict[str, list[tuple[str, int, float]]] = {}
    for info in bucket.list(f"{TEMP_DIR_NAME}/"):
        name = info.key.removeprefix(f"{TEMP_DIR_NAME}/").split("/", 1)[0]
        grouped.setdefault(name, []).append((info.key, info.size_bytes, info.last_modified.timestamp()))
    entries = []
    for name, keys in sorted(grouped.items()):
        newest = max(modified for _key, _size, modified in keys)
        entry = TempEntry(
            path=bucket.location(f"{TEMP_DIR_NAME}/{name}"),
            size_bytes=sum(size for _key, size, _modified in keys),
            idle_s=max(now - newest, 0.0),
        )
        entries.append(RemoteTempEntry(entry, tuple(key for key, _size, _modified in keys)))
    return entries


def _collect_remote(bucket: Bucket, report: GcReport, older_than_s: float, now: float) -> None:
    for remote in remote_temp_entries(bucket, now):
        if not is_abandoned(remote.entry, older_than_s):
            report.kept.append(remote.entry)
            continue
        if not report.dry_run:
            for key in remote.keys:
                bucket.delete(key)
        report.removed.append(remote.entry)


def local_temp_entries(temp_dir: Path, now: float | None = None) -> list[TempEntry]:
    """The entries of the local temp area ``temp_dir`` (none when it does not exist), each measured from the
    newest mtime inside it; an entry a writer removes meanwhile is left out. Raises :class:`StorageError` when
    ``temp_dir`` is a symlink (never followed)."""
    if temp_dir.is_symlink():
        raise StorageError(f"{temp_dir} is a symlink: refusing to look through it (remove it)")
    if not temp_dir.is_dir():
        return []
    now = time.time() if now is None else now
    return [entry for path in sorted(temp_dir.iterdir()) if (entry := _measure(path, now)) is not None]


def _collect_local(temp_dir: Path, report: GcReport, older_than_s: float, now: float) -> None:
    if temp_dir.is_symlink():
        raise StorageError(f"{temp_dir} is a symlink: refusing to clean through it (remove it)")
    for entry in local_temp_entries(temp_dir, now):
        if not is_abandoned(entry, older_than_s):
            report.kept.append(entry)
            continue
        if not report.dry_run:
            _remove(Path(entry.path))
        report.removed.append(entry)


def _measure(path: Path, now: float) -> TempEntry | None:
    try:
        top = path.lstat()
    except FileNotFoundError:
        return None
    size, newest = (top.st_size if stat.S_ISREG(top.st_mode) else 0), top.st_mtime
    if stat.S_ISDIR(top.st_mode):
        for folder, dirs, files in os.walk(path, followlinks=False):
            for name in (*dirs, *files):
                try:
                    found = os.lstat(os.path.join(folder, name))
                except FileNotFoundError:
                    continue
                newest = max(newest, found.st_mtime)
                if stat.S_ISREG(found.st_mode):
                    size += found.st_size
    return TempEntry(path=path, size_bytes=size, idle_s=max(now - newest, 0.0))


def _remove(path: Path) -> None:
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)  # removes links inside as links, never their targets
        else:
            path.unlink(missing_ok=True)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise StorageError(f"cannot remove temp debris {path}: {exc}") from exc
