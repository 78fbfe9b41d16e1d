"""The artifact helpers every stage shares: keys, one Markdown cell escaper, sizes, the counts summary."""

from __future__ import annotations

import pytest

from airnub_prefect_starter.core.errors import ConfigError
from airnub_prefect_starter.ingestion.contract import INGESTION
from airnub_prefect_starter.ingestion.outcome import ItemOutcome
from airnub_prefect_starter.stages.artifacts import (
    artifact_key,
    counts_by_category_markdown,
    format_size,
    markdown_cell,
)


def test_artifact_key_is_lower_case_letters_digits_and_dashes() -> None:
    assert artifact_key("Project Alpha", "public_api_data", "progress") == "project-alpha-public-api-data-progress"
    assert artifact_key("!!!") == "airnub" and len(artifact_key("x" * 300)) == 100


def test_markdown_cell_escapes_pipes_and_keeps_one_line() -> None:
    assert markdown_cell("a|b\nc") == "a\\|b c"


@pytest.mark.parametrize(
    ("size", "shown"),
    [
        (None, ""),
        (0, "0 B"),
        (1023, "1023 B"),
        (1536, "1.5 KiB"),
        (5 * 1024**2, "5.0 MiB"),
        (3 * 1024**4, "3072.0 GiB"),
    ],
)
def test_format_size_picks_the_unit(size: int | None, shown: str) -> None:
    assert format_size(size) == shown


def test_counts_summary_has_a_row_per_category_a_crashed_row_and_every_failure() -> None:
    stored = ItemOutcome("files", "iris", "http://h/iris.csv", "stored")
    failed = ItemOutcome.failure("files", "wine|red", ConfigError("bad\nthing"), url="http://h/w")
    result = INGESTION.result("Project Alpha", {"files": [stored, failed]}, {"pages": "KeyError: 'x'"})

    markdown = counts_by_category_markdown(result)

    assert markdown.splitlines()[:6] == [
        "# Project Alpha: ingestion",
        "",
        "| category | stored | unchanged | duplicate | failed | total |",
        "|---|---:|---:|---:|---:|---:|",
        "| files | 1 | 0 | 0 | 1 | 2 |",
        "| pages | - | - | - | crashed | - |",
    ]
    assert "- **files / wine\\|red**: bad thing" in markdown
    assert "- **pages** (category stopped): KeyError: 'x'" in markdown


def test_counts_summary_says_when_everything_succeeded() -> None:
    result = INGESTION.result("Project Alpha", {"files": [ItemOutcome("files", "iris", "http://h/i", "unchanged")]})

    assert counts_by_category_markdown(result).endswith("\nAll ingestion outcomes succeeded.\n")
