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
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, cast

from airnub_prefect_starter.core.errors import IntegrityError, StorageError
from airnub_prefect_starter.core.store.local_files import temp_file_in
from airnub_prefect_starter.core.store.object_store import READ_CHUNK, Bucket, ObjectInfo, S3Credentials
from airnub_prefect_starter.core.store.store import (
    MANIFEST_SUFFIX,
    MAX_MANIFEST_BYTES,
    QUARANTINE_DIR_NAME,
    SHA256,
    TEMP_DIR_NAME,
    FolderEntry,
    ObjectFolder,
    PublishGroup,
    Store,
    StoredObject,
    TempEntry,
    is_plain_name,
    validate_object_key,
)

__all__ = ["S3ContentAddressedStore", "default_staging_dir"]


def default_staging_dir() -> Path:
    """Where bodies bound for object storage are staged on this machine: ``$TMPDIR/airnub-staging``."""
    return Path(tempfile.gettempdir()) / "airnub-staging"


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


class S3ContentAddressedStore(Store):
    """A store in the bucket prefix ``base`` (``s3://bucket/prefix``)."""

    def __init__(self, base: str, *, credentials: S3Credentials | None = None, staging_dir: Path | None = None) -> None:
        self.bucket = Bucket(base, credentials)
        self.base = self.bucket.url
        self.staging_dir: Path = staging_dir or default_staging_dir()

    def check(self) -> None:
        """Raise :class:`StorageError` in one line unless the bucket answers to these credentials."""
        self.bucket.check()

    @staticmethod
    def _folder(data_source_name: str, sha256: str) -> str:
        return validate_object_key(data_source_name, sha256) + "/"

    def find(self, data_source_name: str, sha256: str, filename: str | None = None) -> StoredObject | None:
        """See :meth:`Store.find`: with ``filename`` one HEAD, otherwise one LIST of the folder."""
        if filename and is_plain_name(filename):
            found = self.bucket.head(self._folder(data_source_name, sha256) + filename)
            if found is not None:
                return StoredObject(self.base, data_source_name, sha256, filename, found.size_bytes)
        return self._list_folder(data_source_name, sha256)[0]

    def _list_folder(self, data_source_name: str, sha256: str) -> tuple[StoredObject | None, bool]:
        """What one LIST of the object's folder shows: the stored object (or ``None``) and whether its manifest
        is there too."""
        folder = self._folder(data_source_name, sha256)
        keys = {info.key: info for info in self.bucket.list(folder)}
        payloads = [info for key, info in keys.items() if not key.endswith(MANIFEST_SUFFIX)]
        if not payloads:
            return None, False
        if len(payloads) != 1 or "/" in payloads[0].key.removeprefix(folder):
            raise IntegrityError(f"{self.location(folder)}: expected one object, found {len(payloads)}")
        payload = payloads[0]
        found = StoredObject(self.base, data_source_name, sha256, payload.key.removeprefix(folder), payload.size_bytes)
        return found, found.relative_path + MANIFEST_SUFFIX in keys

    def _key(self, location: str) -> str:
        if not location.startswith(self.base + "/"):
            raise StorageError(f"{location} is not in the store {self.base}")
        return location.removeprefix(self.base + "/")

    @contextlib.contextmanager
    def open_stored(self, location: str) -> Iterator[BinaryIO]:
        """See :meth:`Store.open_stored`: one GET whose body arrives in chunks of about a MiB as the reader asks
        for them."""
        chunks = self.bucket.iter_chunks(self._key(location))
        try:
            yield cast("BinaryIO", io.BufferedReader(_ChunkReader(chunks), buffer_size=READ_CHUNK))
        finally:
            chunks.close()  # ends the GET when the reader stopped early

    def local_path(self, location: str) -> None:
        """Objects in a bucket have no file on this machine."""
        self._key(location)
        return None

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
    ) -> tuple[StoredObject, bool]:
        """See :meth:`Store.publish`: the object with a create-only PUT, then its manifest (the module
        docstring)."""
        folder = self._folder(data_source_name, sha256)
        if not is_plain_name(filename):
            raise StorageError(f"unsafe file name {filename!r}")
        wanted = StoredObject(self.base, data_source_name, sha256, filename, size_bytes)
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
        self.bucket.put_bytes(wanted.relative_path + MANIFEST_SUFFIX, manifest_json, create_only=True)
        return wanted, True

    def _existing(
        self, existing: StoredObject, has_manifest: bool, size_bytes: int, manifest_json: bytes
    ) -> StoredObject:
        if existing.size_bytes != size_bytes:
            raise IntegrityError(
                f"{existing.location}: stored object has {existing.size_bytes} bytes, its hash promises {size_bytes}"
            )
        if not has_manifest:  # heal a manifest a crash left unwritten (create-only: a racing writer's is kept)
            self.bucket.put_bytes(existing.relative_path + MANIFEST_SUFFIX, manifest_json, create_only=True)
        return existing

    def publish_group(self) -> PublishGroup:
        """Every PUT is durable when it returns: the group publishes each object at once (see
        :class:`_ImmediateGroup`)."""
        return _ImmediateGroup(self)

    def quarantine(self, data_source_name: str, sha256: str) -> str | None:
        """Copy the folder's keys under ``.quarantine/`` and delete them (see :meth:`Store.quarantine`)."""
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
        return self.location(target)

    def object_folders(self) -> Iterator[ObjectFolder]:
        """See :meth:`Store.object_folders`: one LIST of the whole store; every key in a folder is a ``file``
        entry (keys nested deeper are named by their path under the folder). Nothing is ever ``linked``."""
        folders: dict[tuple[str, str], list[ObjectInfo]] = {}
        for info in self.bucket.list():
            parts = info.key.split("/")
            if parts[0] in {TEMP_DIR_NAME, QUARANTINE_DIR_NAME} or len(parts) < 3 or not SHA256.fullmatch(parts[1]):
                continue
            folders.setdefault((parts[0], parts[1]), []).append(info)
        for (data_source_name, sha256), keys in sorted(folders.items()):
            prefix = f"{data_source_name}/{sha256}/"
            entries = tuple(
                FolderEntry(info.key.removeprefix(prefix), "file", info.size_bytes)
                for info in sorted(keys, key=lambda k: k.key)
            )
            yield ObjectFolder(data_source_name, sha256, self.location(data_source_name, sha256), entries)

    def read_manifest(self, relative_path: str) -> bytes | None:
        key = relative_path + MANIFEST_SUFFIX
        found = self.bucket.head(key)
        if found is None or found.size_bytes > MAX_MANIFEST_BYTES:
            return None
        try:
            return self.bucket.read_bytes(key)
        except StorageError as exc:
            if isinstance(exc.__cause__, FileNotFoundError):  # deleted since the HEAD
                return None
            raise

    def temp_files(self) -> list[Path]:
        """Local staging files left behind (each write removes its own; a killed process leaves them)."""
        if not self.staging_dir.is_dir():
            return []
        return sorted(self.staging_dir.iterdir())

    def temp_entries(self, now: float | None = None) -> list[TempEntry]:
        """The keys under ``<base>/.tmp/`` (none of ours; another writer's), grouped by their first name after
        ``.tmp/``: each entry's size the sum of its keys', its idle time measured from the newest
        ``last_modified``."""
        now = time.time() if now is None else now
        grouped: dict[str, list[ObjectInfo]] = {}
        for info in self.bucket.list(f"{TEMP_DIR_NAME}/"):
            name = info.key.removeprefix(f"{TEMP_DIR_NAME}/").split("/", 1)[0]
            grouped.setdefault(name, []).append(info)
        return [
            TempEntry(
                path=self.location(TEMP_DIR_NAME, name),
                size_bytes=sum(info.size_bytes for info in keys),
                idle_s=max(now - max(info.last_modified.timestamp() for info in keys), 0.0),
                files=len(keys),
            )
            for name, keys in sorted(grouped.items())
        ]

    def remove_temp_entry(self, entry: TempEntry) -> None:
        """Delete every key of the entry (``.tmp/<name>`` and the keys under ``.tmp/<name>/``)."""
        name = self._key(entry.path).removeprefix(f"{TEMP_DIR_NAME}/")
        if not name or "/" in name:
            raise StorageError(f"{entry.path} is not an entry of the temp area {self.location(TEMP_DIR_NAME)}")
        key = f"{TEMP_DIR_NAME}/{name}"
        self.bucket.delete(key)  # a key of its own (gone already is fine)
        for info in self.bucket.list(key + "/"):
            self.bucket.delete(info.key)


class _ImmediateGroup(PublishGroup):
    """A group over a store whose writes are durable when they return: each object is published at once;
    :meth:`commit` returns those this group created (each ``True``), so a caller treats both kinds of group alike."""

    def __init__(self, store: S3ContentAddressedStore) -> None:
        self.store = store
        self._created: list[tuple[StoredObject, bool]] = []

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
    ) -> tuple[StoredObject, bool]:
        stored, created = self.store.publish(
            source,
            data_source_name=data_source_name,
            sha256=sha256,
            size_bytes=size_bytes,
            filename=filename,
            manifest_json=manifest_json,
            heal=heal,
        )
        if created:
            self._created.append((stored, True))
        return stored, created

    def commit(self) -> list[tuple[StoredObject, bool]]:
        created, self._created = self._created, []
        return created

    def __len__(self) -> int:
        return len(self._created)
