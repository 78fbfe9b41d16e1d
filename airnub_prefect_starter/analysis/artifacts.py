"""What an analysis run publishes (pure): metrics and lineage per dataset, and a link to each HTML report."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from airnub_prefect_starter.analysis.outcome import AnalysisOutcome
from airnub_prefect_starter.common.settings import AirnubSettings
from airnub_prefect_starter.stages.artifacts import (
    Artifact,
    LinkArtifact,
    MarkdownArtifact,
    artifact_key,
    failures_markdown,
    format_score,
    markdown_cell,
    under_data_dir,
)
from airnub_prefect_starter.stages.results import StageResult

__all__ = ["analysis_summary_markdown", "report_link", "stage_artifacts"]


def analysis_summary_markdown(result: StageResult[AnalysisOutcome], data_dir: Path | None = None) -> str:
    """Metrics per dataset (a classifier's accuracy and macro F1, a regression's R², MAE and RMSE, or no model;
    reports named relative to ``data_dir``), then the lineage of every dataset (dataset
    sha256 -> raw sha256 -> source URL), then the failures."""
    outcomes = result.outcomes
    lines = [
        f"# {result.department}: {result.stage}",
        "",
        result.counts_line() + ".",
        "",
        "| dataset | status | model | accuracy | macro F1 | R² | MAE | RMSE | train / test rows | report |",
        "|---|---|---|---:|---:|---:|---:|---:|---|---|",
    ]
    for o in (o for o in outcomes if not o.failed):
        sizes = f"{o.n_train} / {o.n_test}" if o.n_train is not None else ""
        report = under_data_dir(o.report_html or "", data_dir)
        details = o.display_details()
        lines.append(
            f"| {markdown_cell(o.name)} | {o.status} | {markdown_cell(o.model_label)} | {format_score(o.accuracy)} "
            f"| {format_score(o.f1_macro)} | {format_score(o.r2)} | {details['MAE']} | {details['RMSE']} | {sizes} "
            f"| {markdown_cell(report)} |"
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


def report_link(outcome: AnalysisOutcome, settings: AirnubSettings) -> str | None:
    """The URL of the outcome's HTML report under ``reports_base_url``, or ``None`` (no report, no base URL, or a
    report outside the data dir): people open artifacts from other machines, where a local path means nothing."""
    if not outcome.report_html or not settings.reports_base_url:
        return None
    report = Path(outcome.report_html)
    if not report.is_relative_to(settings.resolved_data_dir):
        return None
    return f"{settings.reports_base_url.rstrip('/')}/{quote(report.relative_to(settings.resolved_data_dir).as_posix())}"


def stage_artifacts(result: StageResult[AnalysisOutcome], settings: AirnubSettings) -> list[Artifact]:
    """The analysis report (metrics and lineage, paths under the run's data dir), then, under
    ``reports_base_url``, a link to each dataset's self-contained HTML report."""
    artifacts: list[Artifact] = [
        MarkdownArtifact(
            key=artifact_key(result.department, result.stage, "report"),
            markdown=analysis_summary_markdown(result, settings.resolved_data_dir),
            description=f"{result.department}: {result.stage}: {result.counts_line()}",
        )
    ]
    for outcome in result.outcomes:
        link = report_link(outcome, settings)
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
