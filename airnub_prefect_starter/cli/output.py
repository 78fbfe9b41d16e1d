"""Console output and exit codes for the CLI: results on stdout, messages and logs on stderr."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.cells import cell_len
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
    "aligned_lines",
    "column_widths",
    "err",
    "fail",
    "fitted_table",
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


#: Below this many columns a stage result is a listing, one line per outcome, not a table; piped, always a listing.
TABLE_MIN_WIDTH = 120

#: A column shortened to fit the console keeps at least this many characters (its last one an ellipsis).
_SHORTEST_CUT = 10


def column_widths(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    width: int | None,
    *,
    shorten: Sequence[int] = (),
    tail: int | None = None,
    loose: Sequence[tuple[int, int]] = (),
) -> list[int]:
    """The width of each column of a boxed table of ``rows`` on a console ``width`` wide (``None``: unlimited):
    every cell whole, when the columns fit; when they do not, the columns ``shorten`` lose characters first, in
    that order, down to a few; then the column ``tail`` is narrowed. A ``loose`` ``(row, column)`` cell (an error
    message in the path column) claims no width of its own: it gets what is left."""
    skip = set(loose)
    widths = [
        max([cell_len(name), *(cell_len(row[i]) for r, row in enumerate(rows) if (r, i) not in skip)])
        for i, name in enumerate(header)
    ]
    if width is None:
        return [max([w, *(cell_len(row[i]) for row in rows)]) for i, w in enumerate(widths)]
    available = width - (3 * len(header) + 1)  # a box edge, and a separator and one space each side per column
    excess = sum(widths) - available
    for i in shorten:
        cut = max(0, min(excess, widths[i] - _SHORTEST_CUT))
        widths[i] -= cut
        excess -= cut
    if tail is not None:
        longest = max([widths[tail], *(cell_len(rows[r][c]) for r, c in skip if c == tail)])
        widths[tail] = max(_SHORTEST_CUT, min(longest, widths[tail] - excess))
    return widths


def aligned_lines(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """``header`` and ``rows`` as plain text, one line each, columns two spaces apart and padded to align, nothing
    cut (for a pipe: ``grep``, ``awk`` and ``sort`` read one row per line)."""
    widths = column_widths(header, rows, None)
    return [
        "  ".join(cell.ljust(widths[i]) if i < len(widths) - 1 else cell for i, cell in enumerate(line)).rstrip()
        for line in (header, *rows)
    ]


def _tail(text: Text, width: int) -> Text:
    """``text`` cut to its last ``width - 1`` characters after an ellipsis (a path keeps its file name)."""
    if cell_len(text.plain) <= width:
        return text
    return Text("…" + text.plain[-(width - 1) :], style=text.style)


def fitted_table(
    header: Sequence[str],
    rows: Sequence[Sequence[Text]],
    width: int | None,
    *,
    shorten: Sequence[int] = (),
    tail: int | None = None,
    loose: Sequence[tuple[int, int]] = (),
    **table_options: Any,
) -> Table:
    """A table of ``rows`` sized by :func:`column_widths`, one line per row: a ``shorten`` column is cut at its
    end with an ellipsis, the ``tail`` column (a path) at its start, keeping the file name; only a ``loose`` cell
    (an error message) longer than its column folds onto more lines. Any other column is shown whole."""
    plain = [[cell.plain for cell in row] for row in rows]
    widths = column_widths(header, plain, width, shorten=shorten, tail=tail, loose=loose)
    skip = set(loose)
    if tail is not None:
        rows = [
            [_tail(cell, widths[i]) if i == tail and (r, i) not in skip else cell for i, cell in enumerate(row)]
            for r, row in enumerate(rows)
        ]
    table = Table(**table_options)
    for i, (name, column_width) in enumerate(zip(header, widths, strict=True)):
        cut = i in shorten
        folds = any(cell_len(plain[r][c]) > column_width for r, c in skip if c == i)
        table.add_column(
            name,
            max_width=column_width,
            min_width=None if cut else column_width,
            no_wrap=not folds,
            overflow="ellipsis" if cut else "fold",
        )
    for row in rows:
        table.add_row(*row)
    return table


def stage_table(result: StageResult[Any], title: str, data_dir: Path | None = None, width: int | None = None) -> Table:
    """One row per outcome of a stage run (the outcome's own columns, status coloured, paths relative to
    ``data_dir``); the counts and any stopped categories in the caption. Each outcome is one line on a console
    ``width`` wide: the category, then the name, are cut short first, then the path at its start (keeping the file
    name); the status never is; only an error message folds, within the width the paths leave it."""
    rows = [{k: readable_path(v, data_dir) for k, v in o.display_row().items()} for o in result.outcomes]
    header = list(rows[0]) if rows else ["category", "name", "status"]
    cells = [  # Text, never markup: an item named "[bold]" is shown as it is
        [
            Text(text, style=_STATUS_STYLE.get(row["status"], "") if column == "status" else "")
            for column, text in row.items()
        ]
        for row in rows
    ]
    last = len(header) - 1
    loose = [(r, last) for r, outcome in enumerate(result.outcomes) if outcome.failed]
    return fitted_table(
        header, cells, width, shorten=(0, 1), tail=last, loose=loose, title=title, caption=result.summary_line()
    )


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
    """A stage result on stdout: a table on a wide terminal, a listing (one line per outcome) when narrow or
    piped."""
    if out.is_terminal and out.width >= TABLE_MIN_WIDTH:
        out.print(stage_table(result, title, data_dir, out.width))
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
