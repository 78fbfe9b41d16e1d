"""Locations that are either a local path or an object-storage URL (``s3://bucket/prefix``)."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Final

__all__ = ["OBJECT_URL_SCHEMES", "default_work_dir", "is_object_url", "join_location"]

OBJECT_URL_SCHEMES: Final = ("s3://",)


def is_object_url(location: str | os.PathLike[str]) -> bool:
    """Whether ``location`` names object storage (``s3://...``) rather than a local path."""
    return isinstance(location, str) and location.startswith(OBJECT_URL_SCHEMES)


def join_location(base: str, *parts: str) -> str:
    """``base`` (a URL or a path) with ``parts`` appended, ``/``-separated."""
    tail = "/".join(p.strip("/") for p in parts if p.strip("/"))
    return f"{base.rstrip('/')}/{tail}" if tail else base


def default_work_dir(data_url: str) -> Path:
    """The local working copy of a data dir on object storage: one folder per URL under the temp dir."""
    digest = hashlib.sha256(data_url.encode("utf-8")).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / "airnub-work" / digest
