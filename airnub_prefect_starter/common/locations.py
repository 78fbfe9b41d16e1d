"""Storage locations: a folder on this machine or a bucket URL (``s3://bucket/prefix``), parsed and checked once.

:func:`parse_location` is the one place that reads a location's scheme. Callers ask the parsed
:class:`Location` what they need (whether it is a folder on this machine, the parts of its local working copy),
and the store factory (``core.store.backends.open_store``) picks the store that serves it; nobody else compares
schemes.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from airnub_prefect_starter.common.storage_block_types import STORAGE_BLOCK_HINT

__all__ = [
    "BUCKET_SCHEMES",
    "Location",
    "checked_location",
    "default_work_dir",
    "join_location",
    "parse_location",
    "storage_location_in",
]

#: The bucket URL schemes a store exists for (the factory maps each to its store class).
BUCKET_SCHEMES: Final = ("s3",)

_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
#: ``scheme:/`` with a scheme of two or more letters (one letter is a Windows drive): a URL, or one whose ``//``
#: a path type collapsed to ``/`` (``Path("s3://b/x")`` is ``s3:/b/x``).
_URL_LIKE = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]+):/")


@dataclass(frozen=True)
class Location:
    """A checked storage location. ``text`` is how it is written (a URL without a trailing ``/``, or a path as
    given); ``scheme`` is empty for a folder on this machine."""

    text: str
    scheme: str = ""
    bucket: str = ""
    prefix: str = ""

    @property
    def is_local(self) -> bool:
        """Whether it is a folder on this machine (read and written in place), rather than a bucket a run reaches
        with storage credentials and keeps a local working copy of."""
        return not self.scheme

    @property
    def copy_parts(self) -> tuple[str, ...]:
        """The path parts of this bucket location's local working copy (``scheme``, bucket, prefix parts)."""
        return (self.scheme, self.bucket, *(p for p in self.prefix.split("/") if p)) if self.scheme else ()

    def join(self, *parts: str) -> str:
        return join_location(self.text, *parts)


def parse_location(value: str | os.PathLike[str]) -> Location:
    """``value`` as a :class:`Location` if it is a local path or ``<scheme>://bucket[/prefix]`` of a scheme in
    :data:`BUCKET_SCHEMES` (a valid bucket, no credentials); else :class:`ValueError` saying why. Any other URL
    would otherwise become a local folder named after it (``gs://b/x`` -> ``./gs:/b/x``): data silently in the
    wrong place."""
    text = os.fspath(value)
    found = _URL_LIKE.match(text)
    if found is None:
        return Location(text)
    scheme = found.group(1)
    if not text.startswith(f"{scheme}://"):
        raise ValueError(f"{text!r} looks like a URL with a '/' lost after '{scheme}:' (write {scheme}://...)")
    if scheme not in BUCKET_SCHEMES:
        raise ValueError(f"{scheme}:// is not a storage this project writes to: use a path or s3://bucket/prefix")
    bucket, _, prefix = text.removeprefix(f"{scheme}://").partition("/")
    if "@" in bucket or ":" in bucket:
        raise ValueError(f"credentials do not belong in a storage URL: set the AWS_* variables or {STORAGE_BLOCK_HINT}")
    if not _BUCKET.fullmatch(bucket):
        raise ValueError(f"{bucket!r} is not an S3 bucket name (3-63 of a-z, 0-9, '.', '-')")
    prefix = prefix.strip("/")
    return Location(f"{scheme}://{bucket}/{prefix}".rstrip("/"), scheme, bucket, prefix)


def checked_location(value: str) -> str:
    """``value`` as :func:`parse_location` checks and writes it (a URL without its trailing ``/``)."""
    return parse_location(value).text


def storage_location_in(value: object) -> Location | None:
    """The bucket location ``value`` names when it is a string naming one, else ``None`` (a path, another kind of
    URL, anything else): for finding the buckets a config dump refers to."""
    if not isinstance(value, str):
        return None
    try:
        found = parse_location(value)
    except ValueError:
        return None
    return None if found.is_local else found


def join_location(base: str, *parts: str) -> str:
    """``base`` (a URL or a path) with ``parts`` appended, ``/``-separated."""
    tail = "/".join(p.strip("/") for p in parts if p.strip("/"))
    return f"{base.rstrip('/')}/{tail}" if tail else base


def default_work_dir(data_url: str) -> Path:
    """The local working copy of a data dir on object storage: one folder per URL under the temp dir."""
    digest = hashlib.sha256(data_url.encode("utf-8")).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / "airnub-work" / digest
