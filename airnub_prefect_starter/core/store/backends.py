"""Which store serves a location: the one place that maps a location's scheme to a
:class:`~airnub_prefect_starter.core.store.store.Store` class, or to the bucket client of a folder on object
storage. A folder on this machine is a :class:`ContentAddressedStore`; an ``s3://bucket/prefix`` URL an
:class:`S3ContentAddressedStore`. Every caller gets the :class:`Store` interface and never asks which one it has;
a caller that mirrors plain folders of a bucket (no content addressing) gets its :class:`Bucket` from
:func:`open_bucket`."""

from __future__ import annotations

import os
from pathlib import Path

from airnub_prefect_starter.common.locations import parse_location
from airnub_prefect_starter.core.errors import StorageError
from airnub_prefect_starter.core.store.cas import ContentAddressedStore
from airnub_prefect_starter.core.store.object_store import Bucket, S3Credentials
from airnub_prefect_starter.core.store.s3_cas import S3ContentAddressedStore
from airnub_prefect_starter.core.store.store import Store

__all__ = ["open_bucket", "open_store"]


def open_store(
    location: str | os.PathLike[str], credentials: S3Credentials | None = None, *, staging_dir: Path | None = None
) -> Store:
    """The store at ``location`` (a folder, or ``s3://bucket/prefix``). ``credentials`` and ``staging_dir`` (where
    bodies bound for object storage are staged on this machine) matter to a bucket only. A location that is
    neither raises :class:`StorageError` saying why."""
    try:
        parsed = parse_location(location)
    except ValueError as exc:
        raise StorageError(f"{os.fspath(location)}: {exc}") from exc
    if parsed.scheme == "s3":
        return S3ContentAddressedStore(parsed.text, credentials=credentials, staging_dir=staging_dir)
    return ContentAddressedStore(Path(parsed.text))


def open_bucket(location: str, credentials: S3Credentials | None = None) -> Bucket:
    """The client of the bucket folder ``location`` (``s3://bucket/prefix``), reached with ``credentials`` (unset
    fields: the AWS variables). A location that is not on object storage raises :class:`StorageError`."""
    try:
        parsed = parse_location(location)
    except ValueError as exc:
        raise StorageError(f"{location}: {exc}") from exc
    if parsed.scheme != "s3":
        raise StorageError(f"{location}: not on object storage (s3://bucket/prefix)")
    return Bucket(parsed.text, credentials)
