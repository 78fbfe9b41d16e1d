"""Console output and exit codes for the CLI: results on stdout, messages and logs on stderr."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from airnub_prefect_starter.common.progress import ProgressEvent, listening
from airnub_prefect_starter.stages.artifacts import under_data_dir
from airnub_prefect_starter.stages.results import StageResult

__all__ = [
    "EXIT_FAILED",
    "EXIT_OK",
    "EXIT_USAGE",
    "err",
    "fail",
    "live_progress",
    "out",
    "print_json",
    "print_stage",
    "readable_path",
    "stage_listing",
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


_SHA256_SEGMENT = re.compile(r"(?<![0-9a-f])([0-9a-f]{8})[0-9a-f]{56}(?![0-9a-f])")


def readable_path(text: str, data_dir: Path | None) -> str:
    """``text`` as people read it in a table: a path under ``data_dir`` relative to it, and a 64-hex folder (an
    object's sha256) cut to its first 8 characters and ``…``; anything else unchanged."""
    return _SHA256_SEGMENT.sub(r"\1…", under_data_dir(text, data_dir))


#: Below this many columns (80 when piped) a stage result is a listing, one line per outcome, not a table.
TABLE_MIN_WIDTH = 120


def stage_table(result: StageResult[Any], title: str, data_dir: Path | None = None) -> Table:
    """One row per outcome of a stage run (the outcome's own columns, status coloured, paths relative to
    ``data_dir``); the counts and any stopped categories in the caption."""
    table = Table(title=title, caption=result.summary_line())
    rows = [{k: readable_path(v, data_dir) for k, v in o.display_row().items()} for o in result.outcomes]
    for column in rows[0] if rows else ("category", "name", "status"):
        table.add_column(column, overflow="fold")
    for row in rows:  # cells are Text, never markup: an item named "[bold]" is shown as it is
        style = _STATUS_STYLE.get(row["status"], "")
        table.add_row(*(Text(text, style=style if column == "status" else "") for column, text in row.items()))
    return table


def stage_listing(result: StageResult[Any], title: str, data_dir: Path | None = None) -> list[str]:
    """The same as :func:`stage_table` for narrow consoles and pipes: the title, one line per outcome
    (``status  category/name  label value ...  path or error``, nothing cut; ``--json`` has every field), then the
    counts."""
    lines = [title]
    for outcome in result.outcomes:
        row = {k: readable_path(v, data_dir) for k, v in outcome.display_row().items()}
        category, name, status = (row.pop(key) for key in ("category", outcome.NAME_COLUMN, "status"))
        *labelled, (_, where) = row.items()  # the last column (path, report or error) speaks for itself
        details = [f"{label} {value}" for label, value in labelled if value]
        lines.append("  ".join([f"{status:<9}", f"{category}/{name}", *details, *([where] if where else [])]))
    return [*lines, result.summary_line()]


def print_stage(result: StageResult[Any], title: str, data_dir: Path | None = None) -> None:
    """A stage result on stdout: a table on a wide console, a listing (one line per outcome) otherwise."""
    if out.width >= TABLE_MIN_WIDTH:
        out.print(stage_table(result, title, data_dir))
        return
    for line in stage_listing(result, title, data_dir):
        out.print(line, highlight=False, markup=False, soft_wrap=True)


class _LiveProgress:
    """Rich progress bars fed by the flows' in-process progress events."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.tasks: dict[str, TaskID] = {}

    def __call__(self, event: ProgressEvent) -> None:
        if event.scope not in self.tasks:
            self.tasks[event.scope] = self.progress.add_task(event.scope, total=event.total)
        self.progress.update(self.tasks[event.scope], completed=event.done)


@contextmanager
def live_progress(enabled: bool = True) -> Iterator[None]:
    """Progress bars on stderr, one per category run, while the block runs flows in this process (rich draws them
    only on a terminal); ``enabled=False`` shows none."""
    if not enabled:
        yield
        return
    progress = Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err
    )
    with progress, listening(_LiveProgress(progress)):
        yield
