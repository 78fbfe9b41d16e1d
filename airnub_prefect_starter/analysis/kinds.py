"""The analysis stage's category kinds: ``report`` (per processed dataset: statistics, figures, a model of its
target and an HTML report)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from airnub_prefect_starter.analysis.config import AnalysedDataset, ReportConfig
from airnub_prefect_starter.analysis.outcome import AnalysisOutcome
from airnub_prefect_starter.core.store.manifest import RunIds
from airnub_prefect_starter.stages.kinds import CategoryKind, KindRegistry

if TYPE_CHECKING:  # the pipeline needs the `ds` extra: the registry must import without it
    from airnub_prefect_starter.analysis.pipeline import AnalysisLayout

__all__ = ["ANALYSIS_KINDS", "REPORT", "AnalysisKind", "analyse_report_dataset"]


def analyse_report_dataset(spec: AnalysedDataset, layout: AnalysisLayout, run_ids: RunIds) -> AnalysisOutcome:
    """Analyse one processed dataset (plan, train, draw, report), or leave it untouched when nothing changed."""
    from airnub_prefect_starter.analysis.pipeline import analyse_dataset

    return analyse_dataset(spec, layout, run_ids)


@dataclass(frozen=True)
class AnalysisKind(CategoryKind):
    """An analysis kind: one task per item, each built by ``build(item, layout, run_ids)``."""

    build: Callable[[AnalysedDataset, AnalysisLayout, RunIds], AnalysisOutcome] = analyse_report_dataset


REPORT = AnalysisKind(
    "report",
    "analysis",
    ReportConfig,
    "datasets",
    "report",
    "per processed dataset: statistics, figures, a model of its target and an HTML report",
)

#: The analysis kinds.
ANALYSIS_KINDS: KindRegistry[AnalysisKind] = KindRegistry("analysis", [REPORT])
