"""What the analysis stage did with one dataset (``analysed``, ``unchanged`` or ``failed``): its model (a
classifier, a regression, or none without a target), scores, figures and report, and their lineage."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from airnub_prefect_starter.stages.artifacts import format_score
from airnub_prefect_starter.stages.outcomes import Outcome

__all__ = ["ANALYSIS_STATUSES", "NO_MODEL", "AnalysisOutcome", "AnalysisStatus"]

AnalysisStatus = Literal["analysed", "unchanged", "failed"]
ANALYSIS_STATUSES: tuple[AnalysisStatus, ...] = ("analysed", "unchanged", "failed")

#: What the model column says of an analysis without a target.
NO_MODEL = "none (statistics only)"


@dataclass(frozen=True)
class AnalysisOutcome(Outcome):
    """What the analysis stage did with one dataset: its model, scores, figures and report, and their lineage.

    ``task`` is ``classification`` (``accuracy``, ``f1_macro``), ``regression`` (``r2``, ``mae``, ``rmse``) or
    ``None``: no target, no model, statistics and figures only. ``sources`` pairs each raw sha256 of the dataset
    with a URL that served it."""

    category: str
    name: str
    status: AnalysisStatus
    dataset_sha256: str | None = None
    sources: tuple[tuple[str, str], ...] = ()
    task: str | None = None
    model_kind: str | None = None
    model_path: str | None = None
    model_sha256: str | None = None
    metrics_path: str | None = None
    accuracy: float | None = None
    f1_macro: float | None = None
    r2: float | None = None
    mae: float | None = None
    rmse: float | None = None
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
            "task": self.task,
            "model": self.model_kind,
            "accuracy": self.accuracy,
            "f1_macro": self.f1_macro,
            "r2": self.r2,
            "mae": self.mae,
            "rmse": self.rmse,
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

    @property
    def model_label(self) -> str:
        """The estimator, :data:`NO_MODEL` for an analysis without a target, nothing for a failed one."""
        if self.failed:
            return self.model_kind or ""
        return self.model_kind or NO_MODEL

    def display_details(self) -> dict[str, str]:
        return {
            "model": self.model_label,
            "accuracy": format_score(self.accuracy),
            "macro F1": format_score(self.f1_macro),
            "R²": format_score(self.r2),
            "MAE": _measure(self.mae),
            "RMSE": _measure(self.rmse),
            "report or error": (self.error or "") if self.failed else (self.report_html or ""),
        }


def _measure(value: float | None) -> str:
    """An error in the target's unit: four significant digits, nothing when there is none."""
    return "" if value is None else f"{value:.4g}"
