"""A local folder kept alike with a bucket prefix: :func:`pull` before a stage computes in the folder, :func:`push`
after it.

Files are compared by size and SHA-256. :func:`push` writes each changed file as one object (one PUT, or a
multipart upload for a large one, which also appears whole when it completes: a reader never sees half a file)
with its SHA-256 in the object's metadata; :func:`pull` downloads an object unless the local file has its size and
the SHA-256 its metadata records (an object without that metadata is downloaded whenever the sizes match too).
A download is written beside its target and renamed into place.

Names starting with ``.`` (temporary files, caches) are neither pulled nor pushed. :func:`pull` deletes nothing
locally; :func:`push` deletes an object only when it was there at the last pull (``since``) and its file is gone
since: a file another writer added in the meantime is left alone. The last writer of a key wins.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Final, TypeVar

from airnub_prefect_starter.common.utils import sha256_file
from airnub_prefect_starter.core.errors import StorageError
from airnub_prefect_starter.core.store.object_store import Bucket, ObjectInfo

__all__ = ["SHA256_METADATA", "SyncResult", "pull", "push"]

#: The user-metadata key holding an object's SHA-256 (``x-amz-meta-sha256``).
SHA256_METADATA: Final = "sha256"
#: Transfers in flight at once.
TRANSFERS: Final = 8

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class SyncResult:
    """What a pull or a push did. ``state``: the SHA-256 of every file both sides held when it ended, by key
    relative to the prefix (what :func:`push` takes as ``since``)."""

    transferred: tuple[str, ...] = ()
    unchanged: int = 0
    deleted: tuple[str, ...] = ()
    state: Mapping[str, str] = field(default_factory=dict)

    def describe(self) -> str:
        text = f"{len(self.transferred)} transferred, {self.unchanged} unchanged"
        return text + (f", {len(self.deleted)} deleted" if self.deleted else "")


def _folder(prefix: str) -> str:
    """``prefix`` as a key folder: ``''`` or ``'a/b/'``."""
    stripped = prefix.strip("/")
    return f"{stripped}/" if stripped else ""


def _skipped(relative: str) -> bool:
    return not relative or relative.endswith("/") or any(part.startswith(".") for part in relative.split("/"))


def _local(local_dir: Path, relative: str, bucket: Bucket, key: str) -> Path:
    parts = PurePosixPath(relative).parts
    if PurePosixPath(relative).is_absolute() or ".." in parts or "\\" in relative:
        raise StorageError(f"{bucket.location(key)}: key does not name a file under {local_dir}")
    return local_dir.joinpath(*parts)


def _local_files(local_dir: Path) -> dict[str, Path]:
    """Every regular file under ``local_dir`` by its ``/``-separated relative name, hidden ones left out."""
    if not local_dir.is_dir():
        return {}
    found: dict[str, Path] = {}
    for root, dirs, files in os.walk(local_dir):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            path = Path(root) / name
            if not name.startswith(".") and path.is_file() and not path.is_symlink():
                found[path.relative_to(local_dir).as_posix()] = path
    return found


def _each(function: Callable[[T], R], items: Iterable[T]) -> list[R]:
    """``function`` over ``items``, :data:`TRANSFERS` at a time; the first error is raised."""
    pending = list(items)
    if len(pending) <= 1:
        return [function(item) for item in pending]
    with ThreadPoolExecutor(max_workers=TRANSFERS) as pool:
        return list(pool.map(function, pending))


def _remote_sha256(bucket: Bucket, key: str) -> str | None:
    return (bucket.metadata(key) or {}).get(SHA256_METADATA)


def pull(bucket: Bucket, prefix: str, local_dir: Path) -> SyncResult:
    """Bring every object under ``prefix`` into ``local_dir`` (same relative names) unless the file there already
    has its size and SHA-256. Local files the bucket does not have are left as they are."""
    folder = _folder(prefix)

    def one(info: ObjectInfo) -> tuple[str, str, bool]:
        relative = info.key.removeprefix(folder)
        target = _local(local_dir, relative, bucket, info.key)
        if target.is_file() and target.stat().st_size == info.size_bytes:
            local_sha256 = sha256_file(target)
            if _remote_sha256(bucket, info.key) == local_sha256:
                return relative, local_sha256, False
        return relative, bucket.download(info.key, target), True

    objects = [i for i in bucket.list(folder) if i.key.startswith(folder) and not _skipped(i.key.removeprefix(folder))]
    done = _each(one, objects)
    return SyncResult(
        transferred=tuple(sorted(relative for relative, _, moved in done if moved)),
        unchanged=sum(1 for _, _, moved in done if not moved),
        state={relative: sha256 for relative, sha256, _ in done},
    )


def push(local_dir: Path, bucket: Bucket, prefix: str, *, since: Mapping[str, str] | None = None) -> SyncResult:
    """Write every file of ``local_dir`` that the bucket does not hold as it is to ``prefix``.

    With ``since`` (the ``state`` of the pull that filled ``local_dir``) a file whose SHA-256 is the one pulled is
    left alone without asking the bucket, and an object pulled then whose file is gone now is deleted. Without it,
    each file is compared with the object's size and recorded SHA-256, and nothing is deleted."""
    folder = _folder(prefix)
    files = _local_files(local_dir)
    remote: dict[str, ObjectInfo] = {}
    if since is None:
        remote = {i.key.removeprefix(folder): i for i in bucket.list(folder) if i.key.startswith(folder)}

    def one(item: tuple[str, Path]) -> tuple[str, str, bool]:
        relative, path = item
        local_sha256 = sha256_file(path)
        if since is not None:
            unchanged = since.get(relative) == local_sha256
        else:
            info = remote.get(relative)
            unchanged = (
                info is not None
                and info.size_bytes == path.stat().st_size
                and _remote_sha256(bucket, folder + relative) == local_sha256
            )
        if not unchanged:
            bucket.put_file(folder + relative, path, metadata={SHA256_METADATA: local_sha256})
        return relative, local_sha256, not unchanged

    done = _each(one, sorted(files.items()))
    gone = sorted(set(since or ()) - set(files))
    for relative in gone:
        bucket.delete(folder + relative)
    return SyncResult(
        transferred=tuple(relative for relative, _, moved in done if moved),
        unchanged=sum(1 for _, _, moved in done if not moved),
        deleted=tuple(gone),
        state={relative: sha256 for relative, sha256, _ in done},
    )
