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

__all__ = ["EXIT_FAILED", "EXIT_OK", "EXIT_USAGE", "err", "fail", "out", "outcomes_table", "print_json"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

_STATUS_STYLE = {"stored": "green", "unchanged": "cyan", "duplicate": "blue", "failed": "bold red"}


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
