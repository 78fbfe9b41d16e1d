"""What an analysis run publishes (pure): metrics and lineage per dataset, and a link to each HTML report."""

from __future__ import annotations

from pathlib import Path

from airnub_prefect_starter.analysis.outcome import AnalysisOutcome
from airnub_prefect_starter.stages.artifacts import (
    Artifact,
    LinkArtifact,
    MarkdownArtifact,
    artifact_key,
    failures_markdown,
    markdown_cell,
)
from airnub_prefect_starter.stages.results import StageResult

__all__ = ["analysis_summary_markdown", "report_link", "stage_artifacts"]


def _score(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


def analysis_summary_markdown(result: StageResult[AnalysisOutcome]) -> str:
    """Metrics per dataset, then the lineage of every dataset (dataset sha256 -> raw sha256 -> source URL),
    then the failures."""
    outcomes = result.outcomes
    lines = [
        f"# {result.department}: {result.stage}",
        "",
        result.counts_line() + ".",
        "",
        "| dataset | status | model | accuracy | macro F1 | train / test rows | report |",
        "|---|---|---|---:|---:|---|---|",
    ]
    for o in (o for o in outcomes if not o.failed):
        sizes = f"{o.n_train} / {o.n_test}" if o.n_train is not None else ""
        lines.append(
            f"| {markdown_cell(o.name)} | {o.status} | {o.model_kind or ''} | {_score(o.accuracy)} "
            f"| {_score(o.f1_macro)} | {sizes} | {markdown_cell(o.report_html or '')} |"
        )
    lines += ["", "## Lineage", "", "| dataset | dataset sha256 | model sha256 | raw sha256 | source URL |"]
    lines.append("|---|---|---|---|---|")
    for o in (o for o in outcomes if not o.failed):
        for sha256, url in o.sources or (("(unknown)", "(unknown)"),):
            lines.append(
                f"| {markdown_cell(o.name)} | {o.dataset_sha256 or ''} | {o.model_sha256 or ''} | {sha256} "
                f"| {markdown_cell(url)} |"
            )
    lines += failures_markdown(result)
    return "\n".join(lines) + "\n"


def report_link(outcome: AnalysisOutcome) -> str | None:
    """The ``file://`` URL of the outcome's HTML report, if it has one."""
    return Path(outcome.report_html).as_uri() if outcome.report_html else None


def stage_artifacts(result: StageResult[AnalysisOutcome]) -> list[Artifact]:
    """The analysis report (metrics and lineage), then a link to each dataset's self-contained HTML report."""
    artifacts: list[Artifact] = [
        MarkdownArtifact(
            key=artifact_key(result.department, result.stage, "report"),
            markdown=analysis_summary_markdown(result),
            description=f"{result.department}: {result.stage}: {result.counts_line()}",
        )
    ]
    for outcome in result.outcomes:
        link = report_link(outcome)
        if link is not None:
            artifacts.append(
                LinkArtifact(
                    key=artifact_key(result.department, result.stage, outcome.name, "report"),
                    link=link,
                    link_text=f"{outcome.name}: HTML report",
                    description=f"{result.department}: self-contained HTML report of {outcome.name} (figures embedded)",
                )
            )
    return artifacts
