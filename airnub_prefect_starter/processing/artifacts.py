"""What a processing run publishes (pure): one table row per dataset, with its counts and stopped categories."""

from __future__ import annotations

from collections.abc import Sequence

from airnub_prefect_starter.common.settings import AirnubSettings
from airnub_prefect_starter.processing.outcome import DatasetOutcome
from airnub_prefect_starter.stages.artifacts import Artifact, TableArtifact, artifact_key, format_count
from airnub_prefect_starter.stages.results import StageResult

__all__ = ["processing_summary_table", "stage_artifacts"]


def processing_summary_table(outcomes: Sequence[DatasetOutcome]) -> list[dict[str, str]]:
    """One row per dataset: rows in/out, quarantined (with reasons), the dataset's sha256 and its raw input."""
    return [
        {
            "dataset": o.name,
            "category": o.category,
            "status": o.status,
            "rows in": format_count(o.rows_in),
            "rows out": format_count(o.rows_out),
            "quarantined": format_count(o.rows_quarantined),
            "quarantine reasons": ", ".join(f"{code}: {n}" for code, n in o.quarantine_counts.items()),
            "sha256": o.sha256 or "",
            "raw input": "; ".join(f"{i.data_source_name}/{i.sha256}" for i in o.inputs),
            "path or error": (o.error or "") if o.failed else (o.path or ""),
        }
        for o in outcomes
    ]


def stage_artifacts(result: StageResult[DatasetOutcome], settings: AirnubSettings) -> list[Artifact]:
    """The processing summary table; its description carries the counts and every category that stopped (paths
    as the outcomes give them: ``settings`` is not needed)."""
    return [
        TableArtifact(
            key=artifact_key(result.department, result.stage, "summary"),
            rows=processing_summary_table(result.outcomes),
            description=f"{result.department}: {result.stage}: {result.summary_line()}",
        )
    ]
