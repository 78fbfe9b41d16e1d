"""Files of a store on this machine: temp files made without following links, writes made durable (``fsync``, or
one ``syncfs(2)`` for many), and temp areas measured and cleaned (links never followed). Every OS error becomes one
:class:`StorageError` line naming the path."""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import BinaryIO, cast

from airnub_prefect_starter.core.errors import StorageError
from airnub_prefect_starter.core.store.os_errors import storage_error
from airnub_prefect_starter.core.store.store import TempEntry

__all__ = [
    "fsync_dir",
    "local_temp_entries",
    "move_into",
    "remove_temp",
    "sync_filesystem",
    "temp_file_in",
    "write_synced",
    "write_unsynced",
]


@contextlib.contextmanager
def temp_file_in(directory: Path) -> Iterator[tuple[Path, BinaryIO]]:
    """A new file in ``directory`` (made when missing), removed when the block exits; the handle's ``name`` is its
    path. A ``directory`` that is a symlink (planted to redirect writes outside the store) is refused, and a folder
    or file that cannot be made or written (disk full, read-only, not a folder) raises :class:`StorageError`
    naming the path and the OS reason."""
    if directory.is_symlink():
        raise StorageError(f"{directory} is a symlink: refusing to write through it (remove it)")
    try:
        try:
            fd, name = tempfile.mkstemp(dir=directory, prefix="part-")
        except FileNotFoundError:  # first write, or the temp area was removed: a mkdir only when needed
            directory.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(dir=directory, prefix="part-")
    except OSError as exc:
        raise storage_error("cannot create a temp file in", directory, exc) from exc
    path = Path(name)
    try:
        # The fd mkstemp made, never the name reopened (a symlink swapped in would redirect the write); the name
        # is the handle's ``name``, so that errors writing to it name the file (not its fd).
        handle = open(path, "wb", opener=lambda _path, _flags: fd)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.close(fd)
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)
        raise storage_error("cannot open", path, exc) from exc
    try:
        yield path, handle
        try:
            handle.close()  # flushes what is buffered: a full disk can show here first
        except OSError as exc:
            raise storage_error("cannot write", path, exc) from exc
    finally:
        with contextlib.suppress(OSError):  # the block failed: its own error is the one to report
            handle.close()
        with contextlib.suppress(OSError):  # left behind, it is temp debris for ``manifest gc``
            path.unlink(missing_ok=True)


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_synced(path: Path, data: bytes) -> None:
    try:
        with path.open("wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        raise storage_error("cannot write", path, exc) from exc


def write_unsynced(path: Path, data: bytes) -> None:
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise storage_error("cannot write", path, exc) from exc


def move_into(source: Path, target: Path) -> None:
    try:
        os.replace(source, target)
    except OSError as exc:
        raise storage_error(f"cannot move {source} to", target, exc) from exc


def _load_syncfs() -> Callable[[int], int] | None:
    """``syncfs(2)`` from the C library (Linux), or ``None`` where there is none."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name, use_errno=True)
        function = libc.syncfs
    except (OSError, AttributeError, TypeError):
        return None
    function.argtypes = [ctypes.c_int]
    function.restype = ctypes.c_int
    return cast("Callable[[int], int]", function)


_SYNCFS = _load_syncfs()


def sync_filesystem(directory: Path, files: Iterable[Path], folders: Iterable[Path] = ()) -> None:
    """Make everything written under ``directory`` durable: one ``syncfs(2)`` of its filesystem, or, where there
    is none, an ``fsync`` of each of ``files``, of their folders and of ``folders``. Raises :class:`StorageError`."""
    try:
        if _SYNCFS is not None:
            fd = os.open(directory, os.O_RDONLY)
            try:
                if _SYNCFS(fd) != 0:
                    raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
            finally:
                os.close(fd)
            return
        to_sync = set(folders)
        for path in files:
            with path.open("rb") as handle:
                os.fsync(handle.fileno())
            to_sync.add(path.parent)
        for folder in to_sync:
            fsync_dir(folder)
    except OSError as exc:
        raise storage_error("cannot make durable", exc.filename or directory, exc) from exc


def local_temp_entries(temp_dir: Path, now: float) -> list[TempEntry]:
    """The entries of the local temp area ``temp_dir`` (none when it does not exist), each measured from the
    newest mtime inside it; an entry a writer removes meanwhile is left out. A ``temp_dir`` that is a symlink is
    one ``linked`` entry (never followed)."""
    if temp_dir.is_symlink():
        return [TempEntry(path=str(temp_dir), size_bytes=0, idle_s=0.0, files=0, linked=True)]
    if not temp_dir.is_dir():
        return []
    return [entry for path in sorted(temp_dir.iterdir()) if (entry := _measure(path, now)) is not None]


def _measure(path: Path, now: float) -> TempEntry | None:
    try:
        top = path.lstat()
    except FileNotFoundError:
        return None
    regular = stat.S_ISREG(top.st_mode)
    size, files, newest = (top.st_size if regular else 0), int(regular), top.st_mtime
    if stat.S_ISDIR(top.st_mode):
        for folder, dir_names, file_names in os.walk(path, followlinks=False):
            for name in (*dir_names, *file_names):
                try:
                    found = os.lstat(os.path.join(folder, name))
                except FileNotFoundError:
                    continue
                newest = max(newest, found.st_mtime)
                if stat.S_ISREG(found.st_mode):
                    size += found.st_size
                    files += 1
    return TempEntry(path=str(path), size_bytes=size, idle_s=max(now - newest, 0.0), files=files)


def remove_temp(path: Path) -> None:
    """Remove a local temp entry: a folder with what it holds (links inside removed as links), a file or a link."""
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)  # removes links inside as links, never their targets
        else:
            path.unlink(missing_ok=True)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise StorageError(f"cannot remove temp debris {path}: {exc}") from exc
