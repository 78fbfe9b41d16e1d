"""Check the store against the index, reading only: every indexed object re-hashed, its manifest parsed and
compared, its folder listed; object folders the index does not know; and what killed runs left in ``.tmp``.

Nothing is followed through a symlink (a planted link could point anywhere) and nothing is changed: repairs
are :mod:`~airnub_prefect_starter.core.store.repair`'s job, temp debris :mod:`~airnub_prefect_starter.core.store.gc`'s.
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

from airnub_prefect_starter.common.utils import sha256_file
from airnub_prefect_starter.core.store.cas import MANIFEST_SUFFIX, TEMP_DIR_NAME
from airnub_prefect_starter.core.store.index import IndexedObject, ManifestIndex
from airnub_prefect_starter.core.store.manifest import ObjectManifest

__all__ = ["PROBLEM_KINDS", "ProblemKind", "StoreProblem", "VerificationReport", "verify_store"]

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


def verify_store(index: ManifestIndex) -> VerificationReport:
    """Check every object the index lists, then walk each store the index knows for orphaned object folders
    and temp debris. Hashing streams; an object whose size is already wrong is not hashed."""
    problems: list[StoreProblem] = []
    objects = index.list_objects()
    for obj in objects:
        problems.extend(_check_object(obj))
    known = {(o.data_source_name, o.sha256) for o in objects}
    for base in index.storage_bases():
        problems.extend(_walk_store(Path(base), known))
    return VerificationReport(checked=len(objects), problems=problems)


def _lstat(path: Path) -> os.stat_result | None:
    try:
        return path.lstat()
    except FileNotFoundError:
        return None


_Problem = Callable[[ProblemKind, Path, str], StoreProblem]


def _check_object(obj: IndexedObject) -> list[StoreProblem]:
    def problem(kind: ProblemKind, path: Path, detail: str) -> StoreProblem:
        return StoreProblem(kind, obj.data_source_name, obj.sha256, str(path), detail)

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


def _check_manifest(obj: IndexedObject, path: Path, problem: _Problem) -> list[StoreProblem]:
    found = _lstat(path)
    if found is None:
        return [problem("missing", path, "manifest is gone")]
    if stat.S_ISLNK(found.st_mode):
        return [problem("symlinked", path, "manifest is a symlink (not followed)")]
    if not stat.S_ISREG(found.st_mode) or found.st_size > _MAX_MANIFEST_BYTES:
        return [problem("malformed", path, f"not a regular file of at most {_MAX_MANIFEST_BYTES} bytes")]
    try:
        manifest = ObjectManifest.model_validate_json(path.read_bytes())
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "document"
        return [problem("malformed", path, f"{where}: {first['msg']}")]
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
    return [problem("mismatched", path, "manifest says " + ", ".join(differing))] if differing else []


def _walk_store(base: Path, known: set[tuple[str, str]]) -> list[StoreProblem]:
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
    elif temp_dir.is_dir():
        now = time.time()
        for entry in sorted(temp_dir.iterdir()):
            found = _lstat(entry)
            if found is None:  # a running writer finished with it meanwhile
                continue
            age = now - found.st_mtime
            problems.append(StoreProblem("debris", "", "", str(entry), f"left in the temp area {age:.0f} s ago"))
    return problems
