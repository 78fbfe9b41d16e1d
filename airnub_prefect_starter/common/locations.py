"""Locations that are either a local path or an object-storage URL (``s3://bucket/prefix``)."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Final

__all__ = ["OBJECT_URL_SCHEMES", "checked_location", "default_work_dir", "is_object_url", "join_location"]

OBJECT_URL_SCHEMES: Final = ("s3://",)


def is_object_url(location: str | os.PathLike[str]) -> bool:
    """Whether ``location`` names object storage (``s3://...``) rather than a local path."""
    return isinstance(location, str) and location.startswith(OBJECT_URL_SCHEMES)


_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
#: ``scheme:/`` with a scheme of two or more letters (one letter is a Windows drive): a URL, or one whose ``//``
#: a path type collapsed to ``/`` (``Path("s3://b/x")`` is ``s3:/b/x``).
_URL_LIKE = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]+):/")


def checked_location(value: str) -> str:
    """``value`` if it is a local path or ``s3://bucket[/prefix]`` (a valid bucket, no credentials), without a
    trailing ``/`` on a URL; else :class:`ValueError` saying why. Any other URL would otherwise become a local
    folder named after it (``gs://b/x`` -> ``./gs:/b/x``): data silently in the wrong place."""
    found = _URL_LIKE.match(value)
    if found is None:
        return value
    scheme = found.group(1)
    if not value.startswith(f"{scheme}://"):
        raise ValueError(f"{value!r} looks like a URL with a '/' lost after '{scheme}:' (write {scheme}://...)")
    if scheme != "s3":
        raise ValueError(f"{scheme}:// is not a storage this project writes to: use a path or s3://bucket/prefix")
    bucket = value.removeprefix("s3://").partition("/")[0]
    if "@" in bucket or ":" in bucket:
        raise ValueError("credentials do not belong in a storage URL: use the AWS_* variables or a Secret block")
    if not _BUCKET.fullmatch(bucket):
        raise ValueError(f"{bucket!r} is not an S3 bucket name (3-63 of a-z, 0-9, '.', '-')")
    return value.rstrip("/")


def join_location(base: str, *parts: str) -> str:
    """``base`` (a URL or a path) with ``parts`` appended, ``/``-separated."""
    tail = "/".join(p.strip("/") for p in parts if p.strip("/"))
    return f"{base.rstrip('/')}/{tail}" if tail else base


def default_work_dir(data_url: str) -> Path:
    """The local working copy of a data dir on object storage: one folder per URL under the temp dir."""
    digest = hashlib.sha256(data_url.encode("utf-8")).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / "airnub-work" / digest
