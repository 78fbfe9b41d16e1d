"""What the processing stage did with one dataset (``built``, ``unchanged`` or ``failed``), and its raw inputs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from airnub_prefect_starter.stages.artifacts import format_count
from airnub_prefect_starter.stages.outcomes import Outcome

__all__ = ["PROCESSING_STATUSES", "DatasetOutcome", "DatasetStatus", "RawInputRef"]

DatasetStatus = Literal["built", "unchanged", "failed"]
PROCESSING_STATUSES: tuple[DatasetStatus, ...] = ("built", "unchanged", "failed")


@dataclass(frozen=True)
class RawInputRef:
    """A raw object a dataset was built from: its data source, sha256 and every (redacted) URL that served it."""

    data_source_name: str
    sha256: str
    urls: tuple[str, ...] = ()

    def as_summary(self) -> dict[str, Any]:
        return {"data_source_name": self.data_source_name, "sha256": self.sha256, "urls": list(self.urls)}


@dataclass(frozen=True)
class DatasetOutcome(Outcome):
    """What the processing stage did with one dataset. ``sha256`` is the Parquet file's (the dataset's identity)."""

    category: str
    name: str
    status: DatasetStatus
    inputs: tuple[RawInputRef, ...] = ()
    rows_in: int | None = None
    rows_out: int | None = None
    rows_quarantined: int | None = None
    quarantine_counts: Mapping[str, int] = field(default_factory=dict)
    sha256: str | None = None
    path: str | None = None
    manifest_path: str | None = None
    quarantine_path: str | None = None
    error_type: str | None = None
    error: str | None = None

    def summary_details(self) -> dict[str, Any]:
        return {
            "rows_in": self.rows_in,
            "rows_out": self.rows_out,
            "quarantined": self.rows_quarantined,
            "quarantine_counts": dict(self.quarantine_counts),
            "sha256": self.sha256,
            "path": self.path,
            "manifest_path": self.manifest_path,
            "quarantine_path": self.quarantine_path,
            "inputs": [i.as_summary() for i in self.inputs],
        }

    NAME_COLUMN: ClassVar[str] = "dataset"

    def display_details(self) -> dict[str, str]:
        return {
            "rows in": format_count(self.rows_in),
            "rows out": format_count(self.rows_out),
            "quarantined": format_count(self.rows_quarantined),
            "sha256": (self.sha256 or "")[:12],
            "path or error": (self.error or "") if self.failed else (self.path or ""),
        }
