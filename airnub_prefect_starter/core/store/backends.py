"""Which store a storage base names: a local folder (:class:`ContentAddressedStore`) or an ``s3://`` prefix
(:class:`S3ContentAddressedStore`); both keep the same layout, publish rules and interface."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from airnub_prefect_starter.common.locations import is_object_url
from airnub_prefect_starter.core.store.cas import ContentAddressedStore
from airnub_prefect_starter.core.store.object_store import S3Credentials
from airnub_prefect_starter.core.store.s3_cas import S3ContentAddressedStore

__all__ = ["CasStore", "StoredRef", "open_store"]

CasStore = ContentAddressedStore | S3ContentAddressedStore


class StoredRef(Protocol):
    """What callers need of a stored object, wherever it lives."""

    @property
    def data_source_name(self) -> str: ...
    @property
    def sha256(self) -> str: ...
    @property
    def filename(self) -> str: ...
    @property
    def size_bytes(self) -> int: ...
    @property
    def relative_path(self) -> str: ...
    @property
    def location(self) -> str: ...
    @property
    def manifest_location(self) -> str: ...


def open_store(base: str | Path, credentials: S3Credentials | None = None) -> CasStore:
    """The store at ``base``: an ``s3://bucket/prefix`` URL or a local folder."""
    if isinstance(base, str) and is_object_url(base):
        return S3ContentAddressedStore(base, credentials=credentials)
    return ContentAddressedStore(Path(base))
