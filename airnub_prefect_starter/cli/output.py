"""Console output and exit codes for the CLI: results on stdout, messages and logs on stderr."""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from airnub_prefect_starter.core.artifact_creators import count_statuses
from airnub_prefect_starter.core.batch_ingest import ItemOutcome
from airnub_prefect_starter.core.data_stage_results import AnalysisOutcome, DatasetOutcome, DataStageResult

__all__ = [
    "EXIT_FAILED",
    "EXIT_OK",
    "EXIT_USAGE",
    "data_stage_table",
    "err",
    "fail",
    "out",
    "outcomes_table",
    "print_json",
]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

_STATUS_STYLE = {
    "stored": "green",
    "built": "green",
    "analysed": "green",
    "unchanged": "cyan",
    "duplicate": "blue",
    "failed": "bold red",
}


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    """Print ``error: message`` on stderr and exit with ``code``."""
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def print_json(payload: Any) -> None:
    """Write one JSON object to stdout, nothing else."""
    sys.stdout.write(json.dumps(payload, indent=2, default=str) + "\n")
    sys.stdout.flush()


def outcomes_table(title: str, outcomes: list[ItemOutcome]) -> Table:
    counts = count_statuses(outcomes)
    caption = ", ".join(f"{counts[s]} {s}" for s in ("stored", "unchanged", "duplicate", "failed"))
    table = Table(title=title, caption=caption, show_lines=False)
    for column in ("category", "name", "status", "sha256", "size", "path or error"):
        table.add_column(column, overflow="fold")
    for o in outcomes:
        style = _STATUS_STYLE.get(o.status, "")
        table.add_row(
            o.category,
            o.name,
            f"[{style}]{o.status}[/]",
            (o.sha256 or "")[:12],
            "" if o.size_bytes is None else f"{o.size_bytes:,}",
            (o.error or "") if o.failed else (o.path or ""),
        )
    return table


def _status(status: str) -> str:
    return f"[{_STATUS_STYLE.get(status, '')}]{status}[/]"


def _int(value: int | None) -> str:
    return "" if value is None else f"{value:,}"


def _score(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


def _row(outcome: DatasetOutcome | AnalysisOutcome) -> tuple[str, ...]:
    if isinstance(outcome, DatasetOutcome):
        return (
            outcome.category,
            outcome.name,
            _status(outcome.status),
            _int(outcome.rows_in),
            _int(outcome.rows_out),
            _int(outcome.rows_quarantined),
            (outcome.sha256 or "")[:12],
            (outcome.error or "") if outcome.failed else (outcome.path or ""),
        )
    return (
        outcome.category,
        outcome.name,
        _status(outcome.status),
        outcome.model_kind or "",
        _score(outcome.accuracy),
        _score(outcome.f1_macro),
        (outcome.error or "") if outcome.failed else (outcome.report_html or ""),
    )


def data_stage_table(result: DataStageResult[DatasetOutcome] | DataStageResult[AnalysisOutcome], title: str) -> Table:
    """One row per dataset of a processing or analysis run; stopped categories in the caption."""
    stopped = "".join(f"; category {name} stopped: {error}" for name, error in result.crashed.items())
    table = Table(title=title, caption=result.counts_line() + stopped)
    if result.stage == "analysis":
        columns: tuple[str, ...] = ("category", "dataset", "status", "model", "accuracy", "macro F1", "report or error")
    else:
        columns = ("category", "dataset", "status", "rows in", "rows out", "quarantined", "sha256", "path or error")
    for column in columns:
        table.add_column(column, overflow="fold")
    for outcome in result.outcomes:
        table.add_row(*_row(outcome))
    return table
