"""Re-hash every indexed object and compare the store with the index: corrupt, missing and orphaned objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from airnub_prefect_starter.common.utils import sha256_file
from airnub_prefect_starter.core.store.cas import MANIFEST_SUFFIX, ContentAddressedStore
from airnub_prefect_starter.core.store.index import ManifestIndex

__all__ = ["StoreProblem", "VerificationReport", "verify_store"]


@dataclass(frozen=True)
class StoreProblem:
    kind: str  # corrupt | missing | orphaned
    data_source_name: str
    sha256: str
    path: str
    detail: str


@dataclass(frozen=True)
class VerificationReport:
    checked: int
    problems: list[StoreProblem] = field(default_factory=list)

    def of_kind(self, kind: str) -> list[StoreProblem]:
        return [p for p in self.problems if p.kind == kind]

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_store(index: ManifestIndex) -> VerificationReport:
    """Hash every object the index lists (streaming), check each has its manifest, and list object
    directories in the indexed stores that the index does not know."""
    problems: list[StoreProblem] = []
    objects = index.list_objects()
    known = {(o.data_source_name, o.sha256) for o in objects}
    for obj in objects:
        path = Path(obj.storage_base) / obj.relative_path
        manifest = path.with_name(path.name + MANIFEST_SUFFIX)
        if not path.is_file():
            problems.append(StoreProblem("missing", obj.data_source_name, obj.sha256, str(path), "object file is gone"))
            continue
        actual = sha256_file(path)
        if actual != obj.sha256:
            problems.append(
                StoreProblem("corrupt", obj.data_source_name, obj.sha256, str(path), f"bytes hash to {actual}")
            )
        if not manifest.is_file():
            problems.append(
                StoreProblem("missing", obj.data_source_name, obj.sha256, str(manifest), "manifest is gone")
            )
    for base in sorted({o.storage_base for o in objects}):
        for data_source_name, sha256, directory in ContentAddressedStore(Path(base)).iter_object_dirs():
            if (data_source_name, sha256) not in known:
                problems.append(StoreProblem("orphaned", data_source_name, sha256, str(directory), "not in the index"))
    return VerificationReport(checked=len(objects), problems=problems)
