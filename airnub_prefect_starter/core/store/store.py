"""The content-addressed store's interface: ``<base>/<data_source_name>/<sha256>/<filename>`` plus
``<filename>.manifest.json`` beside it, wherever ``base`` is.

:class:`Store` names the few operations callers need; a folder on this machine
(:class:`~airnub_prefect_starter.core.store.cas.ContentAddressedStore`) and a bucket prefix
(:class:`~airnub_prefect_starter.core.store.s3_cas.S3ContentAddressedStore`) implement it, and
:func:`~airnub_prefect_starter.core.store.backends.open_store` picks one for a location. Verify, gc, repair and
lineage are written once against it. Every location a store returns is a string: ``<base>/<relative path>``.
"""

from __future__ import annotations

import abc
import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Final, Literal

from airnub_prefect_starter.common.locations import join_location
from airnub_prefect_starter.core.errors import StorageError

__all__ = [
    "MANIFEST_SUFFIX",
    "MAX_MANIFEST_BYTES",
    "QUARANTINE_DIR_NAME",
    "SHA256",
    "TEMP_DIR_NAME",
    "FolderEntry",
    "ObjectFolder",
    "PublishGroup",
    "Store",
    "StoredObject",
    "TempEntry",
    "is_plain_name",
    "object_filename",
    "validate_data_source_name",
    "validate_object_key",
]

MANIFEST_SUFFIX: Final = ".manifest.json"
TEMP_DIR_NAME: Final = ".tmp"
QUARANTINE_DIR_NAME: Final = ".quarantine"
#: A manifest is a few KiB; anything larger is not one (and is not read into memory).
MAX_MANIFEST_BYTES: Final = 4 * 1024 * 1024
_DATA_SOURCE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
SHA256 = re.compile(r"^[0-9a-f]{64}$")


def validate_data_source_name(name: str) -> str:
    """Return ``name`` if it is a safe single path component (letters, digits, ``_.-``), else raise."""
    if not _DATA_SOURCE_NAME.fullmatch(name) or name in {".", ".."}:
        raise StorageError(f"data_source_name {name!r} must match {_DATA_SOURCE_NAME.pattern}")
    return name


def validate_object_key(data_source_name: str, sha256: str) -> str:
    """``<data_source_name>/<sha256>``, the object folder's relative path, once both are checked."""
    validate_data_source_name(data_source_name)
    if not SHA256.fullmatch(sha256):
        raise StorageError(f"not a lowercase hex SHA-256: {sha256!r}")
    return f"{data_source_name}/{sha256}"


def is_plain_name(filename: str) -> bool:
    """A single path component: no separator, not empty, not ``.`` or ``..``."""
    return "/" not in filename and "\\" not in filename and filename not in {"", ".", ".."}


def object_filename(name: str) -> str:
    """``name`` as an object's file name in the store: a name ending like the store's own manifests
    (``x.manifest.json``) would be taken for one and hide the object, so it becomes ``x.manifest_.json``."""
    if name.endswith(MANIFEST_SUFFIX):
        return name.removesuffix(MANIFEST_SUFFIX) + ".manifest_.json"
    return name


@dataclass(frozen=True)
class StoredObject:
    """One object in a store; ``base`` is the store's location (a folder or a bucket URL)."""

    base: str
    data_source_name: str
    sha256: str
    filename: str
    size_bytes: int

    @property
    def relative_path(self) -> str:
        return f"{self.data_source_name}/{self.sha256}/{self.filename}"

    @property
    def location(self) -> str:
        return join_location(self.base, self.relative_path)

    @property
    def manifest_location(self) -> str:
        return self.location + MANIFEST_SUFFIX


#: file: a regular file (an object); link: a symbolic link (never followed); other: anything else.
EntryKind = Literal["file", "link", "other"]


@dataclass(frozen=True)
class FolderEntry:
    """One entry of an object folder: its name, kind and size (0 unless a file)."""

    name: str
    kind: EntryKind
    size_bytes: int


@dataclass(frozen=True)
class ObjectFolder:
    """An object folder as found by :meth:`Store.object_folders`, whatever it holds. ``linked``: the folder (or,
    with ``sha256 == ""``, its whole data-source folder) is a symbolic link, not followed: ``entries`` is empty."""

    data_source_name: str
    sha256: str
    location: str
    entries: tuple[FolderEntry, ...] = ()
    linked: bool = False


@dataclass(frozen=True)
class TempEntry:
    """One entry of a temp area: its location, size and number of the regular files in it (links not followed; on
    object storage: its keys) and its idle time (since the newest change inside it). ``linked``: the temp area
    itself is a symbolic link (this entry is the area; it is never looked or cleaned through)."""

    path: str
    size_bytes: int
    idle_s: float
    files: int = 1
    linked: bool = False


class PublishGroup(abc.ABC):
    """Objects published together: :meth:`publish` stages one, :meth:`commit` makes every staged one appear (in
    order) and says, for each, whether this group created it. A store whose every write is durable when it returns
    publishes at once and commits nothing more."""

    @abc.abstractmethod
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
        """As :meth:`Store.publish`; ``True`` means "staged to be created"."""

    @abc.abstractmethod
    def commit(self) -> list[tuple[StoredObject, bool]]:
        """Every object staged to be created since the last commit, in order, and whether this group created it
        (``False``: the same content was published first). Raises :class:`StorageError` when it cannot."""

    @abc.abstractmethod
    def __len__(self) -> int: ...


class Store(abc.ABC):
    """A content-addressed store at :attr:`base` (see the module docstring)."""

    #: The store's location: an absolute folder or a bucket URL, without a trailing ``/``.
    base: str
    #: A folder on this machine where bodies bound for the store are staged outside it (``None``: staged in the
    #: store's own temp area); ``manifest gc`` collects what killed runs left there too.
    staging_dir: Path | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.base!r})"

    def location(self, *parts: str) -> str:
        """``<base>/<parts...>``: where a relative path of the store is."""
        return join_location(self.base, *parts)

    @abc.abstractmethod
    def check(self) -> None:
        """Raise :class:`StorageError` in one line unless the store can be reached (nothing to ask on a disk)."""

    @abc.abstractmethod
    def find(self, data_source_name: str, sha256: str, filename: str | None = None) -> StoredObject | None:
        """The stored object with this hash, or ``None``; a folder without exactly one object raises
        :class:`~airnub_prefect_starter.core.errors.IntegrityError`. With ``filename`` (the index knows it) one
        look-up answers when the object is there."""

    @abc.abstractmethod
    def open_stored(self, location: str) -> contextlib.AbstractContextManager[BinaryIO]:
        """Read a stored object (its :attr:`StoredObject.location`) as a stream, bounded memory whatever its size;
        :class:`StorageError` naming the location when it is not in this store or cannot be read."""

    @abc.abstractmethod
    def temp_file(self) -> contextlib.AbstractContextManager[tuple[Path, BinaryIO]]:
        """A new local file for one body (in the temp area or :attr:`staging_dir`), removed when the block exits."""

    @abc.abstractmethod
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
        """Publish the fully written file ``source`` with its manifest: the object and ``True`` if this call created
        it, ``False`` if it existed already (verified by size). A damaged existing object raises
        :class:`~airnub_prefect_starter.core.errors.IntegrityError`; with ``heal`` (``source`` was hashed as it was
        written, so it is the good copy) it is quarantined instead and ``source`` published in its place."""

    @abc.abstractmethod
    def publish_group(self) -> PublishGroup:
        """A group to publish many objects through (see :class:`PublishGroup`)."""

    @abc.abstractmethod
    def quarantine(self, data_source_name: str, sha256: str) -> str | None:
        """Move an object's folder aside into ``<base>/.quarantine/`` (kept for inspection, never deleted); where
        it went, or ``None`` when there was nothing to move."""

    @abc.abstractmethod
    def object_folders(self) -> Iterator[ObjectFolder]:
        """Every object folder (``<data_source_name>/<sha256>/``), sorted, whatever it holds; links not followed."""

    @abc.abstractmethod
    def read_manifest(self, relative_path: str) -> bytes | None:
        """The manifest beside the object at ``relative_path``; ``None`` when it is gone, is not a regular file (a
        link is not followed) or is larger than :data:`MAX_MANIFEST_BYTES`."""

    @abc.abstractmethod
    def local_path(self, location: str) -> Path | None:
        """The stored object's file on this machine, when the store keeps it on a local disk; else ``None``."""

    @abc.abstractmethod
    def temp_files(self) -> list[Path]:
        """The local files and folders unfinished writes left where :meth:`temp_file` makes them (empty after every
        completed or failed write; a killed process leaves them)."""

    @abc.abstractmethod
    def temp_entries(self, now: float) -> list[TempEntry]:
        """The entries of the store's own temp area, each with its idle time at ``now``."""

    @abc.abstractmethod
    def remove_temp_entry(self, entry: TempEntry) -> None:
        """Remove a temp entry (links removed as links, never followed); gone already is fine."""

    def iter_objects(self) -> Iterator[StoredObject]:
        """Every well-formed object (a malformed folder raises :class:`IntegrityError`)."""
        for folder in self.object_folders():
            if folder.sha256 and not folder.linked:
                found = self.find(folder.data_source_name, folder.sha256)
                if found is not None:
                    yield found
