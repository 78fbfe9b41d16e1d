"""Check the store against the index, reading only: every indexed object re-hashed, its manifest parsed and
compared, its folder listed; object folders the index does not know; and what killed runs left in ``.tmp``.

Nothing is followed through a symlink (a planted link could point anywhere) and nothing is changed: repairs
are :mod:`~airnub_prefect_starter.core.store.repair`'s job, temp debris :mod:`~airnub_prefect_starter.core.store.gc`'s.

A store on object storage (an ``s3://`` storage base) is checked the same way, through its keys: one listing of
the store gives every object folder's keys and sizes (object, manifest, anything stray) and the folders the index
does not know; an object whose listed size is right is then re-hashed as a stream of about a MiB at a time, and
its manifest read. The kinds reported are the same, with two that cannot arise there: ``symlinked`` (object
storage has no links) and, for the machine-local staging files of uploads, ``debris`` (they belong to no store:
``manifest gc`` collects them). Keys under the store's ``.tmp/`` (none of ours; another writer's) are ``debris``.

Temp entries count as ``debris`` only once abandoned: idle for the same time-to-live ``manifest gc`` removes them
after (an hour by default). A run in progress keeps its staging fresh, so verifying during a run reports none of it.
"""

from __future__ import annotations

import os
import re
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal, get_args

from pydantic import ValidationError

from airnub_prefect_starter.common.locations import is_object_url, join_location
from airnub_prefect_starter.common.utils import sha256_file, sha256_stream
from airnub_prefect_starter.core.errors import StorageError
from airnub_prefect_starter.core.store.cas import MANIFEST_SUFFIX, TEMP_DIR_NAME
from airnub_prefect_starter.core.store.gc import DEFAULT_TTL_S, is_abandoned, local_temp_entries, remote_temp_entries
from airnub_prefect_starter.core.store.index import IndexedObject, ManifestIndex
from airnub_prefect_starter.core.store.manifest import ObjectManifest
from airnub_prefect_starter.core.store.object_store import Bucket, ObjectInfo
from airnub_prefect_starter.core.store.s3_cas import S3ContentAddressedStore

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
_MAX_MANIFEST_BYTES = 4 * 1024 * 1024
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


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
    index: ManifestIndex, *, debris_older_than_s: float = DEFAULT_TTL_S, now: float | None = None
) -> VerificationReport:
    """Check every object the index lists, then walk each store the index knows for orphaned object folders
    and temp debris. Hashing streams; an object whose size is already wrong is not hashed. A temp entry is debris
    only once abandoned (idle for ``debris_older_than_s``, the age ``manifest gc`` removes by): a running write's
    staging is not a problem. Raises :class:`StorageError` (one line, naming the URL) when an object-storage store
    cannot be listed or read."""
    aged = _Aged(debris_older_than_s, time.time() if now is None else now)
    problems: list[StoreProblem] = []
    objects = index.list_objects()
    remote: dict[str, list[IndexedObject]] = {}
    for obj in objects:
        if is_object_url(obj.storage_base):
            remote.setdefault(obj.storage_base, []).append(obj)
        else:
            problems.extend(_check_object(obj))
    known = {(o.data_source_name, o.sha256) for o in objects}
    for base in sorted({*index.storage_bases(), *remote}):
        if is_object_url(base):
            problems.extend(_verify_remote_store(base, remote.get(base, []), known, aged))
        else:
            problems.extend(_walk_store(Path(base), known, aged))
    return VerificationReport(checked=len(objects), problems=problems)


def object_location(obj: IndexedObject) -> str:
    """Where an indexed object is: its ``s3://`` URL, or its local path."""
    if is_object_url(obj.storage_base):
        return join_location(obj.storage_base, obj.relative_path)
    return str(Path(obj.storage_base) / obj.relative_path)


def stored_manifest(obj: IndexedObject) -> bytes | None:
    """The bytes of the manifest beside an indexed object, wherever its store is; ``None`` when it is gone, is
    not a regular file (a symlink is not followed) or is larger than a manifest can be. Raises
    :class:`StorageError` when an object-storage store cannot be read."""
    location = object_location(obj) + MANIFEST_SUFFIX
    if is_object_url(obj.storage_base):
        bucket = Bucket(obj.storage_base)
        key = obj.relative_path + MANIFEST_SUFFIX
        found = bucket.head(key)
        if found is None or found.size_bytes > _MAX_MANIFEST_BYTES:
            return None
        return _read_or_none(bucket, key)
    path = Path(location)
    try:
        found_file = path.lstat()
        if not stat.S_ISREG(found_file.st_mode) or found_file.st_size > _MAX_MANIFEST_BYTES:
            return None
        return path.read_bytes()
    except OSError:  # gone or unreadable: as good as missing
        return None


def _lstat(path: Path) -> os.stat_result | None:
    try:
        return path.lstat()
    except FileNotFoundError:
        return None


_Problem = Callable[[ProblemKind, Path | str, str], StoreProblem]


def _check_object(obj: IndexedObject) -> list[StoreProblem]:
    problem = _problem_of(obj)
    base = Path(obj.storage_base)
    directory = base / obj.data_source_name / obj.sha256
    path = base / obj.relative_path
    manifest = path.with_name(path.name + MANIFEST_SUFFIX)
    for folder in (directory.parent, directory):
        found = _lstat(folder)
        if found is None:
            return [problem("missing", folder, "folder is gone")]
        if stat.S_ISLNK(found.st_mode):
            return [problem("symlinked", folder, "is a symlink (not followed)")]
    problems = [_check_payload(obj, path, problem), *_check_manifest(obj, manifest, problem)]
    for entry in sorted(os.listdir(directory)):
        if entry not in (path.name, manifest.name):
            problems.append(problem("stray", directory / entry, "unexpected entry in the object folder"))
    return [p for p in problems if p is not None]


def _check_payload(obj: IndexedObject, path: Path, problem: _Problem) -> StoreProblem | None:
    found = _lstat(path)
    if found is None:
        return problem("missing", path, "object file is gone")
    if stat.S_ISLNK(found.st_mode):
        return problem("symlinked", path, "object file is a symlink (not followed)")
    if not stat.S_ISREG(found.st_mode):
        return problem("corrupt", path, "not a regular file")
    if found.st_size != obj.size_bytes:
        return problem("corrupt", path, f"{found.st_size} bytes, the index says {obj.size_bytes}")
    actual = sha256_file(path)
    return None if actual == obj.sha256 else problem("corrupt", path, f"bytes hash to {actual}")


def _problem_of(obj: IndexedObject) -> _Problem:
    def problem(kind: ProblemKind, path: Path | str, detail: str) -> StoreProblem:
        return StoreProblem(kind, obj.data_source_name, obj.sha256, str(path), detail)

    return problem


def _check_manifest(obj: IndexedObject, path: Path, problem: _Problem) -> list[StoreProblem]:
    found = _lstat(path)
    if found is None:
        return [problem("missing", path, "manifest is gone")]
    if stat.S_ISLNK(found.st_mode):
        return [problem("symlinked", path, "manifest is a symlink (not followed)")]
    if not stat.S_ISREG(found.st_mode) or found.st_size > _MAX_MANIFEST_BYTES:
        return [problem("malformed", path, f"not a regular file of at most {_MAX_MANIFEST_BYTES} bytes")]
    return _compare_manifest(obj, path.read_bytes(), str(path), problem)


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


def _walk_store(base: Path, known: set[tuple[str, str]], aged: _Aged) -> list[StoreProblem]:
    """Orphaned and symlinked object folders under ``base``, and its temp debris; never through a symlink."""
    problems: list[StoreProblem] = []
    if not base.is_dir():
        return problems
    for source_dir in sorted(base.iterdir()):
        if source_dir.name.startswith("."):
            continue
        if source_dir.is_symlink():
            problems.append(
                StoreProblem("symlinked", source_dir.name, "", str(source_dir), "is a symlink (not followed)")
            )
            continue
        if not source_dir.is_dir():
            continue
        for object_dir in sorted(source_dir.iterdir()):
            key = (source_dir.name, object_dir.name)
            if key in known or not _SHA256.fullmatch(object_dir.name):
                continue
            if object_dir.is_symlink():
                problems.append(StoreProblem("symlinked", *key, str(object_dir), "is a symlink (not followed)"))
            elif object_dir.is_dir():
                problems.append(StoreProblem("orphaned", *key, str(object_dir), "not in the index"))
    temp_dir = base / TEMP_DIR_NAME
    if temp_dir.is_symlink():
        problems.append(StoreProblem("symlinked", "", "", str(temp_dir), "temp area is a symlink (not followed)"))
    else:
        for entry in local_temp_entries(temp_dir, aged.now):
            if is_abandoned(entry, aged.older_than_s):
                detail = f"left in the temp area, idle for {entry.idle_s:.0f} s"
                problems.append(StoreProblem("debris", "", "", str(entry.path), detail))
    return problems


# -- object storage ------------------------------------------------------------------------------------------
def _verify_remote_store(
    base: str, objects: list[IndexedObject], known: set[tuple[str, str]], aged: _Aged
) -> list[StoreProblem]:
    """The indexed ``objects`` of the object-storage store at ``base``, its orphaned object folders and its
    ``.tmp/`` keys. One listing of the store (every key, its size) answers which keys each folder holds; there
    are no symlinks on object storage, so ``symlinked`` cannot arise."""
    store = S3ContentAddressedStore(base)
    folders = {(source, sha256): keys for source, sha256, keys in store.iter_object_folders()}
    problems: list[StoreProblem] = []
    for obj in objects:
        problems.extend(_check_remote_object(store, obj, folders.get((obj.data_source_name, obj.sha256), [])))
    for (source, sha256), _keys in sorted(folders.items()):
        if (source, sha256) not in known:
            location = join_location(store.base, source, sha256)
            problems.append(StoreProblem("orphaned", source, sha256, location, "not in the index"))
    for remote in remote_temp_entries(store.bucket, aged.now):
        entry = remote.entry
        if not is_abandoned(entry, aged.older_than_s):
            continue
        detail = f"left under .tmp/, idle for {entry.idle_s:.0f} s ({len(remote.keys)} keys)"
        problems.append(StoreProblem("debris", "", "", str(entry.path), detail))
    return problems


def _check_remote_object(
    store: S3ContentAddressedStore, obj: IndexedObject, keys: list[ObjectInfo]
) -> list[StoreProblem]:
    """One indexed object against the keys listed in its folder: the object (size first, then its hash), the
    manifest (read and compared) and any other key (stray)."""
    problem = _problem_of(obj)
    bucket = store.bucket
    if not keys:
        return [problem("missing", join_location(store.base, obj.data_source_name, obj.sha256), "folder is gone")]
    by_key = {info.key: info for info in keys}
    manifest_key = obj.relative_path + MANIFEST_SUFFIX
    problems: list[StoreProblem] = []
    payload = _check_remote_payload(bucket, obj, by_key.get(obj.relative_path), problem)
    if payload is not None:
        problems.append(payload)
    manifest = by_key.get(manifest_key)
    if manifest is None:
        problems.append(problem("missing", bucket.location(manifest_key), "manifest is gone"))
    elif manifest.size_bytes > _MAX_MANIFEST_BYTES:
        detail = f"{manifest.size_bytes} bytes, more than a manifest's {_MAX_MANIFEST_BYTES}"
        problems.append(problem("malformed", bucket.location(manifest_key), detail))
    else:
        data = _read_or_none(bucket, manifest_key)
        if data is None:
            problems.append(problem("missing", bucket.location(manifest_key), "manifest is gone"))
        else:
            problems.extend(_compare_manifest(obj, data, bucket.location(manifest_key), problem))
    for key in sorted(by_key):
        if key not in (obj.relative_path, manifest_key):
            problems.append(problem("stray", bucket.location(key), "unexpected key in the object folder"))
    return problems


def _check_remote_payload(
    bucket: Bucket, obj: IndexedObject, info: ObjectInfo | None, problem: _Problem
) -> StoreProblem | None:
    location = bucket.location(obj.relative_path)
    if info is None:
        return problem("missing", location, "object is gone")
    if info.size_bytes != obj.size_bytes:
        return problem("corrupt", location, f"{info.size_bytes} bytes, the index says {obj.size_bytes}")
    try:
        actual, size = sha256_stream(bucket.iter_chunks(obj.relative_path))
    except StorageError as exc:
        if isinstance(exc.__cause__, FileNotFoundError):  # deleted since the listing
            return problem("missing", location, "object is gone")
        raise
    if size != obj.size_bytes:  # replaced since the listing
        return problem("corrupt", location, f"{size} bytes, the index says {obj.size_bytes}")
    return None if actual == obj.sha256 else problem("corrupt", location, f"bytes hash to {actual}")


def _read_or_none(bucket: Bucket, key: str) -> bytes | None:
    try:
        return bucket.read_bytes(key)
    except StorageError as exc:
        if isinstance(exc.__cause__, FileNotFoundError):  # deleted since it was listed
            return None
        raise
