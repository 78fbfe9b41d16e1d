"""The outcome mixin: failed outcomes, the --json item frame, console rows, failure summaries."""

from __future__ import annotations

from airnub_prefect_starter.analysis.outcome import AnalysisOutcome
from airnub_prefect_starter.core.errors import ConfigError
from airnub_prefect_starter.ingestion.outcome import ItemOutcome
from airnub_prefect_starter.processing.outcome import DatasetOutcome
from airnub_prefect_starter.stages.outcomes import failure_summary, unexpected_error_text


def test_failure_names_the_error_type_and_message() -> None:
    outcome = DatasetOutcome.failure("tabular_files", "iris", ConfigError("iris.csv: line 2: bad"))

    assert (outcome.status, outcome.error_type, outcome.error, outcome.failed) == (
        "failed",
        "ConfigError",
        "iris.csv: line 2: bad",
        True,
    )


def test_every_outcome_renders_a_console_row_starting_with_who_and_what() -> None:
    rows = [
        ItemOutcome("files", "iris", "http://h/iris.csv", "stored", sha256="a" * 64, size_bytes=2048, path="/s/i"),
        DatasetOutcome("tabular_files", "iris", "built", rows_in=1500, rows_out=1499, sha256="b" * 64, path="/p"),
        AnalysisOutcome("classification_reports", "iris", "analysed", accuracy=0.97368, report_html="/r.html"),
    ]

    shown = [outcome.display_row() for outcome in rows]

    headings = [list(row)[:3] for row in shown]
    assert headings == [["category", "name", "status"]] + [["category", "dataset", "status"]] * 2
    assert shown[0] == {
        "category": "files",
        "name": "iris",
        "status": "stored",
        "sha256": "a" * 12,
        "size": "2.0 KiB",
        "path or error": "/s/i",
    }
    assert (shown[1]["rows in"], shown[1]["rows out"], shown[1]["path or error"]) == ("1,500", "1,499", "/p")
    assert (shown[2]["accuracy"], shown[2]["report or error"]) == ("0.9737", "/r.html")


def test_failure_summary_names_at_most_the_limit_with_or_without_the_category() -> None:
    outcomes = [DatasetOutcome.failure("c", f"d{i}", ConfigError(f"e{i}")) for i in range(4)]
    outcomes.append(DatasetOutcome("c", "ok", "built"))

    assert failure_summary(outcomes, "datasets", 2) == "4 of 5 datasets failed: d0: e0; d1: e1 (+2 more)"
    assert failure_summary(outcomes[:1], "datasets", 2, with_category=True) == "1 of 1 datasets failed: c/d0: e0"


def test_unexpected_error_text_names_the_type_and_keeps_one_bounded_line() -> None:
    assert unexpected_error_text(RecursionError("too deep\nsecond line")) == "unexpected RecursionError: too deep"
    assert unexpected_error_text(AssertionError()) == "unexpected AssertionError"
    assert unexpected_error_text(ValueError("x" * 1000)) == "unexpected ValueError: " + "x" * 300 + "..."
