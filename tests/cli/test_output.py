"""How stage results read on a console: paths relative to the data dir, short hashes, one line per outcome when
narrow or piped, a table when wide."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from airnub_prefect_starter.cli.output import readable_path, stage_listing, stage_table
from airnub_prefect_starter.core.errors import PermanentDownloadError
from airnub_prefect_starter.ingestion.contract import INGESTION
from airnub_prefect_starter.ingestion.outcome import ItemOutcome
from airnub_prefect_starter.processing.contract import PROCESSING
from airnub_prefect_starter.processing.outcome import DatasetOutcome

SHA = "f13ffa8fdd56fd8e6c8d16d4081a3fbd3114bcd0aae4256c43205169cd9d1449"
DATA = Path("/srv/data")


def test_readable_path_is_relative_to_the_data_dir_with_a_short_sha_folder() -> None:
    stored = f"/srv/data/downloads/files/{SHA}/iris.csv"

    assert readable_path(stored, DATA) == "downloads/files/f13ffa8f…/iris.csv"
    assert readable_path(f"/elsewhere/{SHA}/x", DATA) == "/elsewhere/f13ffa8f…/x"
    assert readable_path("http://h/x: HTTP 404", DATA) == "http://h/x: HTTP 404"


def test_the_listing_has_one_line_per_outcome_with_labels_and_nothing_cut() -> None:
    stored = ItemOutcome(
        "scheduled_file_downloads", "iris", "http://h/i", "stored", sha256=SHA, size_bytes=2734,
        path=f"/srv/data/downloads/files/{SHA}/iris.csv",
    )  # fmt: skip
    failed = ItemOutcome.failure(
        "scheduled_file_downloads", "gone", PermanentDownloadError("http://h/gone", "HTTP 404"), url="http://h/gone"
    )
    result = INGESTION.result("Project Alpha", {"scheduled_file_downloads": [stored, failed]})

    lines = stage_listing(result, "Project Alpha: ingestion", DATA)

    assert lines == [
        "Project Alpha: ingestion",
        "stored     scheduled_file_downloads/iris  sha256 f13ffa8fdd56  size 2.7 KiB  "
        "downloads/files/f13ffa8f…/iris.csv",
        "failed     scheduled_file_downloads/gone  http://h/gone: HTTP 404",
        "1 stored, 0 unchanged, 0 duplicate, 1 failed",
    ]


def test_the_wide_table_shows_datasets_relative_to_the_data_dir() -> None:
    built = DatasetOutcome("tabular_files", "iris", "built", rows_in=150, rows_out=150, sha256=SHA,
                           path="/srv/data/processed/iris.parquet")  # fmt: skip
    console = Console(width=160, record=True)

    console.print(stage_table(PROCESSING.result("Project Alpha", {"tabular_files": [built]}), "t", DATA))

    text = console.export_text()
    assert "processed/iris.parquet" in text and "/srv/data" not in text


def test_names_that_look_like_console_markup_are_shown_as_they_are() -> None:
    odd = ItemOutcome("files", "q[/]x[bold]", "http://h/q", "stored", path="/srv/data/q")
    console = Console(width=160, record=True)

    console.print(stage_table(INGESTION.result("Project Alpha", {"files": [odd]}), "t", DATA))

    assert "q[/]x[bold]" in console.export_text()
