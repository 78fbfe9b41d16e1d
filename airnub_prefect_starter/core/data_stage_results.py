"""Typed results of the processing and analysis stages, and the errors that end their runs Failed.

One :class:`DatasetOutcome` per processed dataset (``built``, ``unchanged`` or ``failed``), one
:class:`AnalysisOutcome` per analysed dataset (``analysed``, ``unchanged`` or ``failed``), gathered per category in
a :class:`DataStageResult`, whose :meth:`~DataStageResult.as_summary` is what ``airnub run --json`` prints.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, Literal, TypeVar

from airnub_prefect_starter.core.errors import AirnubError
from airnub_prefect_starter.core.outcomes import CategoryFailedError, Outcome, failure_summary

__all__ = [
    "ANALYSIS_STATUSES",
    "PROCESSING_STATUSES",
    "AnalysisOutcome",
    "DataCategoryFailedError",
    "DataStageFailedError",
    "DataStageResult",
    "DatasetOutcome",
    "RawInputRef",
]

DatasetStatus = Literal["built", "unchanged", "failed"]
AnalysisStatus = Literal["analysed", "unchanged", "failed"]
PROCESSING_STATUSES: tuple[str, ...] = ("built", "unchanged", "failed")
ANALYSIS_STATUSES: tuple[str, ...] = ("analysed", "unchanged", "failed")


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

    STATUSES: ClassVar[tuple[str, ...]] = PROCESSING_STATUSES

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


@dataclass(frozen=True)
class AnalysisOutcome(Outcome):
    """What the analysis stage did with one dataset: its model, scores, figures and report, and their lineage.

    ``sources`` pairs each raw sha256 of the dataset with a URL that served it."""

    category: str
    name: str
    status: AnalysisStatus
    dataset_sha256: str | None = None
    sources: tuple[tuple[str, str], ...] = ()
    model_kind: str | None = None
    model_path: str | None = None
    model_sha256: str | None = None
    metrics_path: str | None = None
    accuracy: float | None = None
    f1_macro: float | None = None
    n_train: int | None = None
    n_test: int | None = None
    figures: tuple[str, ...] = ()
    report_markdown: str | None = None
    report_html: str | None = None
    error_type: str | None = None
    error: str | None = None

    STATUSES: ClassVar[tuple[str, ...]] = ANALYSIS_STATUSES

    def summary_details(self) -> dict[str, Any]:
        return {
            "dataset_sha256": self.dataset_sha256,
            "model": self.model_kind,
            "accuracy": self.accuracy,
            "f1_macro": self.f1_macro,
            "n_train": self.n_train,
            "n_test": self.n_test,
            "model_path": self.model_path,
            "model_sha256": self.model_sha256,
            "metrics_path": self.metrics_path,
            "figures": list(self.figures),
            "report_markdown": self.report_markdown,
            "report_html": self.report_html,
            "sources": [{"sha256": sha, "url": url} for sha, url in self.sources],
        }


OutcomeT = TypeVar("OutcomeT", bound=Outcome)


@dataclass(frozen=True)
class DataStageResult(Generic[OutcomeT]):
    """Every outcome of one processing or analysis run, by category; ``crashed`` holds categories that stopped
    before producing outcomes (category -> error). ``statuses`` are the statuses its counts always show."""

    department: str
    stage: str
    statuses: tuple[str, ...]
    by_category: Mapping[str, Sequence[OutcomeT]]
    crashed: Mapping[str, str] = field(default_factory=dict)

    @property
    def outcomes(self) -> list[OutcomeT]:
        return [o for outcomes in self.by_category.values() for o in outcomes]

    @property
    def failed(self) -> bool:
        return bool(self.crashed) or any(o.failed for o in self.outcomes)

    def counts(self) -> dict[str, int]:
        """Outcomes per status (zeros included) plus ``total``."""
        counted = Counter(o.status for o in self.outcomes)
        return {**{s: counted.get(s, 0) for s in self.statuses}, "total": len(self.outcomes)}

    def counts_line(self) -> str:
        counts = self.counts()
        return ", ".join(f"{counts[s]} {s}" for s in self.statuses)

    def as_summary(self) -> dict[str, Any]:
        """The CLI's ``--json`` object: ``{"department", "stage", "items": [...], "counts": {...}, "crashed"}``."""
        return {
            "department": self.department,
            "stage": self.stage,
            "items": [o.as_summary() for o in self.outcomes],
            "counts": self.counts(),
            "crashed": dict(self.crashed),
        }


class DataCategoryFailedError(CategoryFailedError):
    """Some datasets of a processing or analysis category failed; ``outcomes`` holds every dataset's outcome."""

    noun = "datasets"


class DataStageFailedError(AirnubError):
    """A processing or analysis run had failed datasets or crashed categories; ``result`` has all of it."""

    def __init__(self, result: DataStageResult[Any]) -> None:
        parts = [failure_summary(result.outcomes, "datasets", 3)] if any(o.failed for o in result.outcomes) else []
        parts += [f"category {name} crashed: {error}" for name, error in result.crashed.items()]
        super().__init__(f"{result.department} {result.stage}: " + "; ".join(parts))
        self.result = result
