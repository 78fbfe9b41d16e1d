"""Collect what killed runs leave in a store's temp area (``<base>/.tmp``): partial downloads and staging folders.

A write in progress keeps touching its entry (each chunk written moves its mtime), so only entries untouched
for longer than a time-to-live are removed: a running writer is never hit. Nothing is followed through a
symlink: a link in the temp area is removed as a link, and a temp area that is itself a symlink is refused.
"""

from __future__ import annotations

import os
import shutil
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path

from airnub_prefect_starter.core.errors import StorageError
from airnub_prefect_starter.core.store.cas import TEMP_DIR_NAME

__all__ = ["DEFAULT_TTL_S", "GcReport", "TempEntry", "collect_temp_debris"]

DEFAULT_TTL_S = 3600.0


@dataclass(frozen=True)
class TempEntry:
    """One entry of a temp area: its size (regular files inside it, links not followed) and idle time."""

    path: Path
    size_bytes: int
    idle_s: float


@dataclass(frozen=True)
class GcReport:
    """``removed``: entries freed (or, in a dry run, that would be); ``kept``: entries younger than the TTL."""

    dry_run: bool
    removed: list[TempEntry] = field(default_factory=list)
    kept: list[TempEntry] = field(default_factory=list)

    @property
    def freed_bytes(self) -> int:
        return sum(entry.size_bytes for entry in self.removed)


def collect_temp_debris(
    bases: list[Path], *, older_than_s: float = DEFAULT_TTL_S, dry_run: bool = False, now: float | None = None
) -> GcReport:
    """Remove entries of each store's temp area idle for more than ``older_than_s`` seconds (an entry's idle
    time is measured from the newest mtime inside it). Raises :class:`StorageError` naming the path when a
    temp area is a symlink or an entry cannot be removed."""
    now = time.time() if now is None else now
    removed: list[TempEntry] = []
    kept: list[TempEntry] = []
    for base in bases:
        temp_dir = base / TEMP_DIR_NAME
        if temp_dir.is_symlink():
            raise StorageError(f"{temp_dir} is a symlink: refusing to clean through it (remove it)")
        if not temp_dir.is_dir():
            continue
        for path in sorted(temp_dir.iterdir()):
            entry = _measure(path, now)
            if entry is None:  # a writer finished with it meanwhile
                continue
            if entry.idle_s < older_than_s:
                kept.append(entry)
                continue
            if not dry_run:
                _remove(path)
            removed.append(entry)
    return GcReport(dry_run=dry_run, removed=removed, kept=kept)


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
