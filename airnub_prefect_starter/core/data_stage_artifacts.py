"""Artifact content for the processing and analysis stages, built from their results (pure); flows publish it."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from airnub_prefect_starter.core.data_stage_results import AnalysisOutcome, DatasetOutcome, DataStageResult

__all__ = ["analysis_summary_markdown", "processing_summary_table", "report_link"]


def _number(value: int | None) -> str:
    return "" if value is None else str(value)


def processing_summary_table(outcomes: Sequence[DatasetOutcome]) -> list[dict[str, str]]:
    """One row per dataset: rows in/out, quarantined (with reasons), the dataset's sha256 and its raw input."""
    return [
        {
            "dataset": o.name,
            "category": o.category,
            "status": o.status,
            "rows in": _number(o.rows_in),
            "rows out": _number(o.rows_out),
            "quarantined": _number(o.rows_quarantined),
            "quarantine reasons": ", ".join(f"{code}: {n}" for code, n in o.quarantine_counts.items()),
            "sha256": o.sha256 or "",
            "raw input": "; ".join(f"{i.data_source_name}/{i.sha256}" for i in o.inputs),
            "path or error": (o.error or "") if o.failed else (o.path or ""),
        }
        for o in outcomes
    ]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _score(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


def analysis_summary_markdown(result: DataStageResult[AnalysisOutcome]) -> str:
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
            f"| {_cell(o.name)} | {o.status} | {o.model_kind or ''} | {_score(o.accuracy)} | {_score(o.f1_macro)} "
            f"| {sizes} | {_cell(o.report_html or '')} |"
        )
    lines += ["", "## Lineage", "", "| dataset | dataset sha256 | model sha256 | raw sha256 | source URL |"]
    lines.append("|---|---|---|---|---|")
    for o in (o for o in outcomes if not o.failed):
        for sha256, url in o.sources or (("(unknown)", "(unknown)"),):
            lines.append(
                f"| {_cell(o.name)} | {o.dataset_sha256 or ''} | {o.model_sha256 or ''} | {sha256} | {_cell(url)} |"
            )
    failed = [o for o in outcomes if o.failed]
    if failed or result.crashed:
        lines += ["", "## Failures", ""]
        lines += [f"- **{_cell(o.category)} / {_cell(o.name)}**: {_cell(o.error or '')}" for o in failed]
        lines += [f"- **{_cell(name)}** (category stopped): {_cell(error)}" for name, error in result.crashed.items()]
    return "\n".join(lines) + "\n"


def report_link(outcome: AnalysisOutcome) -> str | None:
    """The ``file://`` URL of the outcome's HTML report, if it has one."""
    return Path(outcome.report_html).as_uri() if outcome.report_html else None
