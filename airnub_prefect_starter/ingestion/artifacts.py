"""What an ingestion run publishes (pure): a table per category, and the stage's counts and failures."""

from __future__ import annotations

from collections.abc import Sequence

from airnub_prefect_starter.common.settings import AirnubSettings
from airnub_prefect_starter.ingestion.outcome import ItemOutcome
from airnub_prefect_starter.stages.artifacts import (
    Artifact,
    MarkdownArtifact,
    TableArtifact,
    artifact_key,
    counts_by_category_markdown,
    format_size,
    listed_outcomes,
)
from airnub_prefect_starter.stages.results import StageResult

__all__ = ["category_artifacts", "outcome_table", "stage_artifacts"]


def outcome_table(outcomes: Sequence[ItemOutcome]) -> list[dict[str, str]]:
    """Rows for a table artifact: name, URL, status, sha256, size, and the path or the error."""
    return [
        {
            "name": o.name,
            "url": o.url,
            "status": o.status,
            "sha256": o.sha256 or "",
            "size": format_size(o.size_bytes),
            "path or error": (o.error or "") if o.failed else (o.path or ""),
            "detail": o.detail or "",
        }
        for o in outcomes
    ]


def category_artifacts(category: str, result: StageResult[ItemOutcome]) -> list[Artifact]:
    """One table artifact per category run (at most ``MAX_LISTED_OUTCOMES`` rows, failures first), its
    counts in the description."""
    listed, left_out = listed_outcomes(result.outcomes)
    return [
        TableArtifact(
            key=artifact_key(result.department, category),
            rows=outcome_table(listed),
            description=f"{result.department}: {category}: {result.counts_line()}"
            + (f" ({left_out})" if left_out else ""),
        )
    ]


def stage_artifacts(result: StageResult[ItemOutcome], settings: AirnubSettings) -> list[Artifact]:
    """The stage summary: counts per category, then every failure with its reason (``settings`` is not needed)."""
    return [
        MarkdownArtifact(
            key=artifact_key(result.department, result.stage, "summary"),
            markdown=counts_by_category_markdown(result),
            description=f"{result.department}: {result.stage} stage summary",
        )
    ]
