"""The content-addressed store on object storage: ``<s3 base>/<data_source_name>/<sha256>/<filename>`` plus
``<filename>.manifest.json`` beside it, the same layout as on disk.

A body is streamed into a local staging file while it is hashed (bounded memory; the validators of API responses
and pages read it there, as on disk), then published:

1. the object, unless its folder holds one already (one LIST: the same content stored under another file name
   is a ``duplicate`` too), with a create-only PUT (``If-None-Match: *``): a racing writer of the same content
   gets 412 and reports ``duplicate``; a large body goes up as a multipart upload, which appears atomically when
   completed. (Two writers racing with the same content under two different file names would both create their
   key: ``manifest verify`` reports such a folder as malformed and the next publish with ``heal`` settles it.)
2. then the manifest, create-only too. A reader therefore never sees part of an object (S3 writes are atomic per
   key) nor a manifest without its object (the object is written first). A crash between the two leaves an object
   without a manifest: ``manifest verify`` reports it and the next publish of that content writes the manifest.

A damaged object (its size differs from what its hash promises) is copied into ``.quarantine/`` and replaced.
"""

from __future__ import annotations

import contextlib
import io
import re
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, cast

from airnub_prefect_starter.common.locations import join_location
from airnub_prefect_starter.core.errors import IntegrityError, StorageError
from airnub_prefect_starter.core.store.cas import (
    MANIFEST_SUFFIX,
    QUARANTINE_DIR_NAME,
    TEMP_DIR_NAME,
    temp_file_in,
    validate_data_source_name,
)
from airnub_prefect_starter.core.store.object_store import READ_CHUNK, Bucket, ObjectInfo, S3Credentials

__all__ = ["RemoteObject", "S3ContentAddressedStore", "default_staging_dir"]

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def default_staging_dir() -> Path:
    """Where bodies bound for object storage are staged on this machine: ``$TMPDIR/airnub-staging``."""
    return Path(tempfile.gettempdir()) / "airnub-staging"


@dataclass(frozen=True)
class RemoteObject:
    """One object in an object-storage CAS; ``base`` is the store's ``s3://`` URL."""

    base: str
    data_source_name: str
    sha256: str
    filename: str
    size_bytes: int

    @property
    def relative_path(self) -> str:
        return f"{self.data_source_name}/{self.sha256}/{self.filename}"

    @property
    def key(self) -> str:
        return self.relative_path

    @property
    def manifest_key(self) -> str:
        return f"{self.relative_path}{MANIFEST_SUFFIX}"

    @property
    def location(self) -> str:
        return join_location(self.base, self.relative_path)

    @property
    def manifest_location(self) -> str:
        return join_location(self.base, self.manifest_key)


class _ChunkReader(io.RawIOBase):
    """A read-only raw stream over an iterator of byte chunks (no seeking), for :class:`io.BufferedReader`."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._pending = memoryview(chunk)
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


class S3ContentAddressedStore:
    """A CAS in the bucket prefix ``base`` (``s3://bucket/prefix``)."""

    def __init__(self, base: str, *, credentials: S3Credentials | None = None, staging_dir: Path | None = None) -> None:
        self.bucket = Bucket(base, credentials)
        self.base = self.bucket.url
        self.staging_dir = staging_dir or default_staging_dir()

    def __repr__(self) -> str:
        return f"S3ContentAddressedStore({self.base!r})"

    def check(self) -> None:
        """Raise :class:`StorageError` in one line unless the bucket answers to these credentials."""
        self.bucket.check()

    @staticmethod
    def _folder(data_source_name: str, sha256: str) -> str:
        validate_data_source_name(data_source_name)
        if not _SHA256.fullmatch(sha256):
            raise StorageError(f"not a lowercase hex SHA-256: {sha256!r}")
        return f"{data_source_name}/{sha256}/"

    def object_keys(self, data_source_name: str, sha256: str) -> list[ObjectInfo]:
        """Every key in an object's folder (object, manifest and anything stray)."""
        return list(self.bucket.list(self._folder(data_source_name, sha256)))

    def find(self, data_source_name: str, sha256: str, filename: str | None = None) -> RemoteObject | None:
        """The stored object with this hash, or ``None``; a folder without exactly one object is corrupt.
        With ``filename`` (the index knows it) one HEAD answers when the object is there."""
        if filename and "/" not in filename:
            found = self.bucket.head(self._folder(data_source_name, sha256) + filename)
            if found is not None:
                return RemoteObject(self.base, data_source_name, sha256, filename, found.size_bytes)
        return self._list_folder(data_source_name, sha256)[0]

    def _list_folder(self, data_source_name: str, sha256: str) -> tuple[RemoteObject | None, bool]:
        """What one LIST of the object's folder shows: the stored object (or ``None``) and whether its manifest
        is there too."""
        folder = self._folder(data_source_name, sha256)
        keys = {info.key: info for info in self.bucket.list(folder)}
        payloads = [info for key, info in keys.items() if not key.endswith(MANIFEST_SUFFIX)]
        if not payloads:
            return None, False
        if len(payloads) != 1 or "/" in payloads[0].key.removeprefix(folder):
            raise IntegrityError(f"{join_location(self.base, folder)}: expected one object, found {len(payloads)}")
        payload = payloads[0]
        found = RemoteObject(self.base, data_source_name, sha256, payload.key.removeprefix(folder), payload.size_bytes)
        return found, found.manifest_key in keys

    @contextlib.contextmanager
    def open_stored(self, location: str) -> Iterator[BinaryIO]:
        """Read a stored object (its :attr:`RemoteObject.location`) as a stream: one GET whose body arrives in
        chunks of about a MiB as the reader asks for them, so memory does not grow with the object's size. A failed
        read raises :class:`StorageError` naming the location."""
        if not location.startswith(self.base + "/"):
            raise StorageError(f"{location} is not in the store {self.base}")
        chunks = self.bucket.iter_chunks(location.removeprefix(self.base + "/"))
        try:
            yield cast("BinaryIO", io.BufferedReader(_ChunkReader(chunks), buffer_size=READ_CHUNK))
        finally:
            chunks.close()  # ends the GET when the reader stopped early

    def temp_file(self) -> contextlib.AbstractContextManager[tuple[Path, BinaryIO]]:
        """A local staging file for one body, removed when the block exits (published or not)."""
        return temp_file_in(self.staging_dir)

    def publish(
        self,
        source: Path,
        *,
        data_source_name: str,
        sha256: str,
        size_bytes: int,
        filename: str,
        manifest_json: bytes,
        heal: bool = False,
        group: object | None = None,
    ) -> tuple[RemoteObject, bool]:
        """Upload the staged file ``source`` and its manifest; returns the object and whether this call created
        it. An existing object of the wrong size raises :class:`IntegrityError`, or with ``heal`` (``source`` was
        hashed as it was written) is quarantined and replaced. ``group`` is accepted for the local store's
        interface and unused: every PUT is durable when it returns."""
        del group
        folder = self._folder(data_source_name, sha256)
        if "/" in filename or filename in {"", ".", ".."}:
            raise StorageError(f"unsafe file name {filename!r}")
        wanted = RemoteObject(self.base, data_source_name, sha256, filename, size_bytes)
        try:
            existing, has_manifest = self._list_folder(data_source_name, sha256)
            if existing is not None:
                return self._existing(existing, has_manifest, size_bytes, manifest_json), False
        except IntegrityError:
            if not heal:
                raise
            self.quarantine(data_source_name, sha256)
        if not self.bucket.put_file(folder + filename, source, create_only=True):
            winner, has_manifest = self._list_folder(data_source_name, sha256)
            if winner is None:  # pragma: no cover - created and removed between the PUT and the look-up
                raise StorageError(f"cannot publish {wanted.location}: it vanished after a 412")
            return self._existing(winner, has_manifest, size_bytes, manifest_json), False
        self.bucket.put_bytes(wanted.manifest_key, manifest_json, create_only=True)
        return wanted, True

    def _existing(
        self, existing: RemoteObject, has_manifest: bool, size_bytes: int, manifest_json: bytes
    ) -> RemoteObject:
        if existing.size_bytes != size_bytes:
            raise IntegrityError(
                f"{existing.location}: stored object has {existing.size_bytes} bytes, its hash promises {size_bytes}"
            )
        if not has_manifest:  # heal a manifest a crash left unwritten (create-only: a racing writer's is kept)
            self.bucket.put_bytes(existing.manifest_key, manifest_json, create_only=True)
        return existing

    def quarantine(self, data_source_name: str, sha256: str) -> str | None:
        """Copy an object's folder into ``.quarantine/`` (kept for inspection) and delete it; where it went, or
        ``None`` when there is nothing to move."""
        folder = self._folder(data_source_name, sha256)
        keys = list(self.bucket.list(folder))
        if not keys:
            return None
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        target = f"{QUARANTINE_DIR_NAME}/{data_source_name}/{sha256}.{stamp}.{uuid.uuid4().hex[:8]}/"
        for info in keys:
            self.bucket.copy(info.key, target + info.key.removeprefix(folder))
        for info in keys:
            self.bucket.delete(info.key)
        return join_location(self.base, target)

    def temp_files(self) -> list[Path]:
        """Local staging files left behind (each write removes its own; a killed process leaves them)."""
        if not self.staging_dir.is_dir():
            return []
        return sorted(self.staging_dir.iterdir())

    def iter_object_folders(self) -> Iterator[tuple[str, str, list[ObjectInfo]]]:
        """``(data_source_name, sha256, keys)`` for every object folder, whatever it holds."""
        folders: dict[tuple[str, str], list[ObjectInfo]] = {}
        for info in self.bucket.list():
            parts = info.key.split("/")
            if parts[0] in {TEMP_DIR_NAME, QUARANTINE_DIR_NAME} or len(parts) < 3 or not _SHA256.fullmatch(parts[1]):
                continue
            folders.setdefault((parts[0], parts[1]), []).append(info)
        for (data_source_name, sha256), keys in sorted(folders.items()):
            yield data_source_name, sha256, keys

    def iter_objects(self) -> Iterator[RemoteObject]:
        """Every well-formed object (a malformed folder raises :class:`IntegrityError`)."""
        for data_source_name, sha256, _keys in self.iter_object_folders():
            found = self.find(data_source_name, sha256)
            if found is not None:
                yield found
