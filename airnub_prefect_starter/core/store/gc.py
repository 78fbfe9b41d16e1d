"""Collect what killed runs leave behind: partial downloads and staging folders in a store's temp area.

On disk that is ``<base>/.tmp``. A write in progress keeps touching its entry (each chunk written moves its mtime),
so only entries untouched for longer than a time-to-live are removed: a running writer is never hit. Nothing is
followed through a symlink: a link in the temp area is removed as a link, and a temp area that is itself a
symlink is refused.

On object storage (an ``s3://`` base) the store itself has no temp keys in normal use: an object goes straight to
its final key with a create-only PUT, and a large one as a multipart upload that appears only when completed. The
parts of an upload a killed run abandoned are not keys at all and this module cannot see them: a bucket lifecycle
rule ``AbortIncompleteMultipartUpload`` (e.g. after one day) is what cleans them. What a killed run does leave is
its body's local staging file on the machine that ran it (the store's ``staging_dir``, by default
``$TMPDIR/airnub-staging``); those are collected here with the same time-to-live. A staging file is not touched
while it is uploaded, so keep the time-to-live above the longest upload. Keys under ``<base>/.tmp/`` (none of
ours; another or a future writer may leave some) are collected too, their idle time taken from their
``last_modified``, every key under one top-level name as one entry.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from airnub_prefect_starter.core.errors import StorageError
from airnub_prefect_starter.core.store.backends import open_store
from airnub_prefect_starter.core.store.local_files import local_temp_entries, remove_temp
from airnub_prefect_starter.core.store.object_store import S3Credentials
from airnub_prefect_starter.core.store.store import TempEntry

__all__ = ["DEFAULT_TTL_S", "GcReport", "TempEntry", "collect_temp_debris", "is_abandoned"]

#: How long a temp entry must have been idle to count as abandoned: ``manifest gc`` removes such entries and
#: ``manifest verify`` reports them as debris; a younger one may belong to a running write and is left alone.
DEFAULT_TTL_S = 3600.0


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
    bases: Sequence[str | os.PathLike[str]],
    *,
    older_than_s: float = DEFAULT_TTL_S,
    dry_run: bool = False,
    now: float | None = None,
    staging_dir: Path | None = None,
    credentials: S3Credentials | None = None,
) -> GcReport:
    """Remove entries of each store's temp area idle for more than ``older_than_s`` seconds (an entry's idle
    time is measured from the newest change inside it), then those of each local staging folder the stores
    stage in (``staging_dir``, default ``$TMPDIR/airnub-staging``), once each; ``credentials`` open stores on
    object storage (default: the AWS variables). Raises :class:`StorageError` naming
    the path or URL when a temp area is a symlink, an entry cannot be removed or a bucket cannot be listed."""
    now = time.time() if now is None else now
    report = GcReport(dry_run=dry_run)
    staging_dirs: dict[Path, None] = {}
    for base in bases:
        store = open_store(base, credentials, staging_dir=staging_dir)
        for entry in store.temp_entries(now):
            if _collect(entry, report, older_than_s):
                store.remove_temp_entry(entry)
        if store.staging_dir is not None:
            staging_dirs[store.staging_dir] = None
    for folder in staging_dirs:
        for entry in local_temp_entries(folder, now):
            if _collect(entry, report, older_than_s):
                remove_temp(Path(entry.path))
    return report


def _collect(entry: TempEntry, report: GcReport, older_than_s: float) -> bool:
    """Put ``entry`` in the report; whether to remove it now (abandoned, and not a dry run). A temp area that is a
    symlink raises :class:`StorageError`."""
    if entry.linked:
        raise StorageError(f"{entry.path} is a symlink: refusing to clean through it (remove it)")
    if not is_abandoned(entry, older_than_s):
        report.kept.append(entry)
        return False
    report.removed.append(entry)
    return not report.dry_run
