"""The analysis stage's contract: analysis statuses and its report artifacts; it is the last stage (no event)."""

from __future__ import annotations

from airnub_prefect_starter.analysis.artifacts import stage_artifacts
from airnub_prefect_starter.analysis.outcome import ANALYSIS_STATUSES, AnalysisOutcome
from airnub_prefect_starter.stages.contract import StageContract

__all__ = ["ANALYSIS"]

#: One dataset at a time by default: the figures of a dataset already keep a core busy.
ANALYSIS: StageContract[AnalysisOutcome] = StageContract(
    name="analysis",
    outcome=AnalysisOutcome,
    statuses=ANALYSIS_STATUSES,
    noun="datasets",
    default_concurrency=1,
    stage_artifacts=stage_artifacts,
)
