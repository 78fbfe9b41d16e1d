"""Check the store against the index, reading only: every indexed object re-hashed, its manifest parsed and
compared, its folder listed; object folders the index does not know; and what killed runs left in ``.tmp``.

Written once against the :class:`~airnub_prefect_starter.core.store.store.Store` interface, so a store on disk
and one on object storage (an ``s3://`` storage base) are checked alike: one walk of the store's object folders
gives what each holds (names, kinds, sizes) and the folders the index does not know; an object whose size is
right is then re-hashed as a stream, and its manifest read. Nothing is followed through a symlink (a planted link
could point anywhere; object storage has none, so ``symlinked`` cannot arise there) and nothing is changed:
repairs are :mod:`~airnub_prefect_starter.ingestion.repair`'s job, temp debris
:mod:`~airnub_prefect_starter.core.store.gc`'s. The machine-local staging files of uploads to object storage belong
to no store and are not reported (``manifest gc`` collects them).

Temp entries count as ``debris`` only once abandoned: idle for the same time-to-live ``manifest gc`` removes them
after (an hour by default). A run in progress keeps its staging fresh, so verifying during a run reports none of it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Final, Literal, get_args

from pydantic import ValidationError

from airnub_prefect_starter.common.locations import join_location
from airnub_prefect_starter.common.utils import sha256_stream
from airnub_prefect_starter.core.errors import StorageError
from airnub_prefect_starter.core.store.backends import open_store
from airnub_prefect_starter.core.store.gc import DEFAULT_TTL_S, is_abandoned
from airnub_prefect_starter.core.store.index import IndexedObject, ManifestIndex
from airnub_prefect_starter.core.store.manifest import ObjectManifest
from airnub_prefect_starter.core.store.object_store import S3Credentials
from airnub_prefect_starter.core.store.store import (
    MANIFEST_SUFFIX,
    MAX_MANIFEST_BYTES,
    FolderEntry,
    ObjectFolder,
    Store,
)

__all__ = [
    "PROBLEM_KINDS",
    "ProblemKind",
    "StoreProblem",
    "VerificationReport",
    "object_location",
    "stored_manifest",
    "verify_store",
]

#: corrupt: the bytes do not hash to their sha256 (or have the wrong size). missing: an indexed object file,
#: its manifest or its folder is gone. orphaned: an object folder the index does not know. malformed: a
#: manifest that does not parse. mismatched: a manifest that parses but disagrees with its object (sha256,
#: size, file name, data source). stray: an extra entry in an object folder. symlinked: a symlink where the
#: store keeps real files or folders (not followed). debris: an entry left in ``<base>/.tmp`` (killed runs).
ProblemKind = Literal["corrupt", "missing", "orphaned", "malformed", "mismatched", "stray", "symlinked", "debris"]
PROBLEM_KINDS: Final[tuple[ProblemKind, ...]] = get_args(ProblemKind)
_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class StoreProblem:
    kind: ProblemKind
    data_source_name: str
    sha256: str
    path: str
    detail: str


@dataclass(frozen=True)
class VerificationReport:
    checked: int
    problems: list[StoreProblem] = field(default_factory=list)

    def of_kind(self, kind: ProblemKind) -> list[StoreProblem]:
        return [p for p in self.problems if p.kind == kind]

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_store(
    index: ManifestIndex,
    *,
    debris_older_than_s: float = DEFAULT_TTL_S,
    now: float | None = None,
    credentials: S3Credentials | None = None,
) -> VerificationReport:
    """Check every object the index lists, then walk each store the index knows for orphaned object folders
    and temp debris. Hashing streams; an object whose size is already wrong is not hashed. A temp entry is debris
    only once abandoned (idle for ``debris_older_than_s``, the age ``manifest gc`` removes by): a running write's
    staging is not a problem. ``credentials`` open stores on object storage (default: the AWS variables). Raises
    :class:`StorageError` (one line, naming the URL) when an object-storage store cannot be listed or read."""
    aged = _Aged(debris_older_than_s, time.time() if now is None else now)
    problems: list[StoreProblem] = []
    objects = index.list_objects()
    by_base: dict[str, list[IndexedObject]] = {}
    for obj in objects:
        by_base.setdefault(obj.storage_base, []).append(obj)
    known = {(o.data_source_name, o.sha256) for o in objects}
    for base in sorted({*index.storage_bases(), *by_base}):
        store = open_store(base, credentials)
        folders = list(store.object_folders())
        found = {(f.data_source_name, f.sha256): f for f in folders}
        linked_sources = {f.data_source_name: f for f in folders if f.linked and not f.sha256}
        for obj in by_base.get(base, []):
            folder = linked_sources.get(obj.data_source_name) or found.get((obj.data_source_name, obj.sha256))
            problems.extend(_check_object(store, obj, folder))
        problems.extend(_walk(store, folders, known, aged))
    return VerificationReport(checked=len(objects), problems=problems)


def object_location(obj: IndexedObject) -> str:
    """Where an indexed object is: ``<storage base>/<relative path>`` (a URL or a local path)."""
    return join_location(obj.storage_base, obj.relative_path)


def stored_manifest(obj: IndexedObject, credentials: S3Credentials | None = None) -> bytes | None:
    """The bytes of the manifest beside an indexed object, wherever its store is; ``None`` when it is gone, is
    not a regular file (a symlink is not followed) or is larger than a manifest can be. Raises
    :class:`StorageError` when its store cannot be read."""
    return open_store(obj.storage_base, credentials).read_manifest(obj.relative_path)


_Problem = Callable[[ProblemKind, str, str], StoreProblem]


def _check_object(store: Store, obj: IndexedObject, folder: ObjectFolder | None) -> list[StoreProblem]:
    """One indexed object against what its folder holds: the object (size first, then its hash), the manifest
    (read and compared) and any other entry (stray)."""
    problem = _problem_of(obj)
    if folder is None:
        return [problem("missing", store.location(obj.data_source_name, obj.sha256), "folder is gone")]
    if folder.linked:
        return [problem("symlinked", folder.location, "is a symlink (not followed)")]
    entries = {entry.name: entry for entry in folder.entries}
    manifest_name = obj.filename + MANIFEST_SUFFIX
    payload = _check_payload(store, obj, entries.get(obj.filename), problem)
    problems = [payload] if payload is not None else []
    problems.extend(_check_manifest(store, obj, entries.get(manifest_name), problem))
    for name in sorted(entries):
        if name not in (obj.filename, manifest_name):
            location = store.location(obj.data_source_name, obj.sha256, name)
            problems.append(problem("stray", location, "unexpected entry in the object folder"))
    return problems


def _check_payload(
    store: Store, obj: IndexedObject, entry: FolderEntry | None, problem: _Problem
) -> StoreProblem | None:
    location = store.location(obj.relative_path)
    if entry is None:
        return problem("missing", location, "object file is gone")
    if entry.kind == "link":
        return problem("symlinked", location, "object file is a symlink (not followed)")
    if entry.kind != "file":
        return problem("corrupt", location, "not a regular file")
    if entry.size_bytes != obj.size_bytes:
        return problem("corrupt", location, f"{entry.size_bytes} bytes, the index says {obj.size_bytes}")
    try:
        with store.open_stored(location) as stream:
            actual, size = sha256_stream(iter(lambda: stream.read(_CHUNK), b""))
    except StorageError as exc:
        if isinstance(exc.__cause__, FileNotFoundError):  # deleted since the walk
            return problem("missing", location, "object file is gone")
        raise
    if size != obj.size_bytes:  # replaced since the walk
        return problem("corrupt", location, f"{size} bytes, the index says {obj.size_bytes}")
    return None if actual == obj.sha256 else problem("corrupt", location, f"bytes hash to {actual}")


def _problem_of(obj: IndexedObject) -> _Problem:
    def problem(kind: ProblemKind, path: str, detail: str) -> StoreProblem:
        return StoreProblem(kind, obj.data_source_name, obj.sha256, path, detail)

    return problem


def _check_manifest(
    store: Store, obj: IndexedObject, entry: FolderEntry | None, problem: _Problem
) -> list[StoreProblem]:
    location = store.location(obj.relative_path) + MANIFEST_SUFFIX
    if entry is None:
        return [problem("missing", location, "manifest is gone")]
    if entry.kind == "link":
        return [problem("symlinked", location, "manifest is a symlink (not followed)")]
    if entry.kind != "file" or entry.size_bytes > MAX_MANIFEST_BYTES:
        return [problem("malformed", location, f"not a regular file of at most {MAX_MANIFEST_BYTES} bytes")]
    data = store.read_manifest(obj.relative_path)
    if data is None:  # removed since the walk
        return [problem("missing", location, "manifest is gone")]
    return _compare_manifest(obj, data, location, problem)


def _compare_manifest(obj: IndexedObject, data: bytes, location: str, problem: _Problem) -> list[StoreProblem]:
    """``malformed`` when ``data`` does not parse as a manifest, ``mismatched`` when it describes another object."""
    try:
        manifest = ObjectManifest.model_validate_json(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "document"
        return [problem("malformed", location, f"{where}: {first['msg']}")]
    expected = {
        "sha256": obj.sha256,
        "size_bytes": obj.size_bytes,
        "filename": obj.filename,
        "data_source_name": obj.data_source_name,
    }
    differing = [
        f"{key} {getattr(manifest, key)!r} (object: {value!r})"
        for key, value in expected.items()
        if getattr(manifest, key) != value
    ]
    return [problem("mismatched", location, "manifest says " + ", ".join(differing))] if differing else []


@dataclass(frozen=True)
class _Aged:
    """When a temp entry is abandoned debris: idle for ``older_than_s`` at ``now``."""

    older_than_s: float
    now: float


def _walk(
    store: Store, folders: Iterable[ObjectFolder], known: set[tuple[str, str]], aged: _Aged
) -> list[StoreProblem]:
    """The store's object folders the index does not know (orphaned, or symlinked) and its temp debris."""
    problems: list[StoreProblem] = []
    for folder in folders:
        key = (folder.data_source_name, folder.sha256)
        if not folder.sha256:  # a whole data-source folder that is a link
            problems.append(StoreProblem("symlinked", *key, folder.location, "is a symlink (not followed)"))
        elif key not in known:
            kind: ProblemKind = "symlinked" if folder.linked else "orphaned"
            detail = "is a symlink (not followed)" if folder.linked else "not in the index"
            problems.append(StoreProblem(kind, *key, folder.location, detail))
    for entry in store.temp_entries(aged.now):
        if entry.linked:
            problems.append(StoreProblem("symlinked", "", "", entry.path, "temp area is a symlink (not followed)"))
        elif is_abandoned(entry, aged.older_than_s):
            detail = f"left in the temp area, idle for {entry.idle_s:.0f} s ({entry.files} files)"
            problems.append(StoreProblem("debris", "", "", entry.path, detail))
    return problems
