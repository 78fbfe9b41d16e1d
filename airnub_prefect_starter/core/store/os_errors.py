"""An operating-system error of the store (disk full, read-only, not a folder) as one :class:`StorageError` line
naming the path and the OS reason by its errno name: ``cannot write /data/.tmp/part-x: ENOSPC (No space left on
device)``. A store write never lets a raw :class:`OSError` escape: the item that hit it fails, the others go on."""

from __future__ import annotations

import errno
from pathlib import Path

from airnub_prefect_starter.core.errors import StorageError

__all__ = ["os_reason", "storage_error"]


def os_reason(exc: OSError) -> str:
    """``ENOSPC (No space left on device)``: the errno's name and the OS's words (or the error's text)."""
    name = errno.errorcode.get(exc.errno) if exc.errno is not None else None
    text = exc.strerror or str(exc) or type(exc).__name__
    return f"{name} ({text})" if name else text


def storage_error(action: str, path: Path | str, exc: OSError) -> StorageError:
    """``exc`` as a :class:`StorageError` reading ``<action> <path>: <reason>`` (raise it ``from exc``)."""
    return StorageError(f"{action} {path}: {os_reason(exc)}")
