"""What the analysis stage did with one dataset (``analysed``, ``unchanged`` or ``failed``): its model, scores,
figures and report, and their lineage."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from airnub_prefect_starter.stages.artifacts import format_score
from airnub_prefect_starter.stages.outcomes import Outcome

__all__ = ["ANALYSIS_STATUSES", "AnalysisOutcome", "AnalysisStatus"]

AnalysisStatus = Literal["analysed", "unchanged", "failed"]
ANALYSIS_STATUSES: tuple[AnalysisStatus, ...] = ("analysed", "unchanged", "failed")


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

    NAME_COLUMN: ClassVar[str] = "dataset"

    def display_details(self) -> dict[str, str]:
        return {
            "model": self.model_kind or "",
            "accuracy": format_score(self.accuracy),
            "macro F1": format_score(self.f1_macro),
            "report or error": (self.error or "") if self.failed else (self.report_html or ""),
        }
