"""Tables on a console: one line per row, piped or on a terminal of 120-160 columns; the less important columns
give way first, a path keeps its file name, and only an error message folds."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from click.testing import Result
from rich.console import Console

from airnub_prefect_starter.cli.output import aligned_lines, stage_table
from airnub_prefect_starter.core.errors import PermanentDownloadError
from airnub_prefect_starter.ingestion.contract import INGESTION
from airnub_prefect_starter.ingestion.outcome import ItemOutcome
from tests.support.demo_recipes import demo_dataset
from tests.support.http_server import LoopbackHTTPServer
from tests.support.raw_inputs import FLOWERS_CSV, ingest_raw

SHA = "f13ffa8fdd56fd8e6c8d16d4081a3fbd3114bcd0aae4256c43205169cd9d1449"
DATA = Path("/srv/data")
STORE = "project_alpha_demo_outputs/downloads/project_alpha_demo_files"  # the demo's store base
#: Title, top border, header, header rule, bottom border, caption.
TABLE_LINES = 6


def stored(name: str) -> ItemOutcome:
    return ItemOutcome(
        "web_page_link_scraping", name, f"http://h/{name}", "stored", sha256=SHA, size_bytes=27340,
        path=f"{DATA}/{STORE}/{SHA}/{name}",
    )  # fmt: skip


def shown(table: object, width: int) -> list[str]:
    console = Console(width=width, file=io.StringIO(), record=True)
    console.print(table)
    return console.export_text().splitlines()


@pytest.mark.parametrize("width", [120, 140, 160])
def test_stage_table_shows_each_outcome_on_one_line_when_120_to_160_columns_wide(width: int) -> None:
    names = ["iris.csv", "wine_quality_red_dataset.csv", "datasets_index.html"]
    result = INGESTION.result("Project Alpha", {"web_page_link_scraping": [stored(n) for n in names]})

    lines = shown(stage_table(result, "Project Alpha: ingestion", DATA, width), width)

    assert len(lines) == TABLE_LINES + len(names)
    assert max(len(line) for line in lines) <= width
    rows = lines[4:-2]
    for name, row in zip(names, rows, strict=True):
        assert f"│ stored │ {SHA[:12]} │ 26.7 KiB │" in row
        assert f"f13ffa8f…/{name} " in row  # the path keeps its sha256 folder and file name


def test_stage_table_folds_only_an_error_longer_than_the_paths() -> None:
    error = PermanentDownloadError("http://127.0.0.1:18765/files/gone.csv", "HTTP 404 Not Found " + "x" * 80)
    failed = ItemOutcome.failure("scheduled_file_downloads", "gone", error, url="http://h/gone")
    result = INGESTION.result("Project Alpha", {"files": [stored("iris.csv"), failed]})

    lines = shown(stage_table(result, "t", DATA, 140), 140)

    assert len(lines) > TABLE_LINES + 2  # the error folds onto more lines
    assert "f13ffa8f…/iris.csv" in lines[4] and "│ failed │" in lines[5]
    folded = "".join(line.split("│")[-2] for line in lines[5:-2])
    assert folded.replace(" ", "") == str(error).replace(" ", "")  # nothing of it lost


def test_aligned_lines_are_one_per_row_and_cut_nothing() -> None:
    lines = aligned_lines(("data source", "file"), [("files", "a" * 300), ("pages", "b.csv")])

    assert lines == ["data source  file", f"files        {'a' * 300}", "pages        b.csv"]


def test_run_processing_piped_lists_one_line_per_dataset_when_columns_are_wide(
    airnub: Callable[..., Result],
    http_server: LoopbackHTTPServer,
    tmp_path: Path,
    data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # a pipe from a wide terminal: still no table
    ingest_raw(http_server, "/flowers.csv", FLOWERS_CSV, data_source_name="cli_files", name="flowers")
    spec = demo_dataset("iris", name="flowers", input={"data_source_name": "cli_files", "filename": "flowers.csv"})
    config = tmp_path / "p.yaml"
    config.write_text(yaml.safe_dump({"tabular_files": {"datasets": [spec]}}))

    result = airnub("run", "project_alpha", "processing", "--config", str(config))

    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        "Project Alpha: processing",
        "built      tabular_files/flowers  rows in 12  rows out 6  quarantined 6  "
        f"sha256 {result.stdout.split('sha256 ')[1][:12]}  processed/flowers.parquet",
        "1 built, 0 unchanged, 0 failed",
    ]


def test_manifest_list_piped_prints_one_line_per_object(
    airnub: Callable[..., Result], http_server: LoopbackHTTPServer, data_dir: Path
) -> None:
    long_name = "a_rather_long_file_name_that_a_table_would_wrap_" * 3 + ".csv"
    ingest_raw(http_server, f"/{long_name}", b"x,y\n1,2\n", data_source_name="project_alpha_demo_files", name="n")
    ingest_raw(http_server, "/b.csv", b"x,y\n3,4\n", data_source_name="project_alpha_demo_files", name="b")

    result = airnub("manifest", "list")

    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1 + 2  # the header, then one line per object
    assert lines[0].split() == ["data", "source", "sha256", "file", "size", "kind", "stored", "at"]
    assert lines[1].startswith("project_alpha_demo_files  ") and f"  {long_name}  " in lines[1]
    assert "  b.csv  " in lines[2]
