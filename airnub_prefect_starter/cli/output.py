"""Console output and exit codes for the CLI: results on stdout, messages and logs on stderr."""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from airnub_prefect_starter.stages.results import StageResult

__all__ = [
    "EXIT_FAILED",
    "EXIT_OK",
    "EXIT_USAGE",
    "err",
    "fail",
    "out",
    "print_json",
    "stage_table",
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
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def print_json(payload: Any) -> None:
    """Write one JSON object to stdout, nothing else."""
    sys.stdout.write(json.dumps(payload, indent=2, default=str) + "\n")
    sys.stdout.flush()


def stage_table(result: StageResult[Any], title: str) -> Table:
    """One row per outcome of a stage run (the outcome's own columns, status coloured); the counts and any
    stopped categories in the caption."""
    stopped = "".join(f"; category {name} stopped: {error}" for name, error in result.crashed.items())
    table = Table(title=title, caption=result.counts_line() + stopped)
    rows = [o.display_row() for o in result.outcomes]
    for column in rows[0] if rows else ("category", "name", "status"):
        table.add_column(column, overflow="fold")
    for row in rows:
        style = _STATUS_STYLE.get(row["status"], "")
        table.add_row(*(f"[{style}]{text}[/]" if column == "status" else text for column, text in row.items()))
    return table
