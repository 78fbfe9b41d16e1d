"""What an ingestion run publishes: a table per category, a counts summary per stage run."""

from __future__ import annotations

from airnub_prefect_starter.common.settings import AirnubSettings
from airnub_prefect_starter.core.errors import PermanentDownloadError
from airnub_prefect_starter.ingestion.artifacts import category_artifacts, stage_artifacts
from airnub_prefect_starter.ingestion.contract import INGESTION
from airnub_prefect_starter.ingestion.outcome import ItemOutcome
from airnub_prefect_starter.stages.artifacts import MAX_LISTED_OUTCOMES, MarkdownArtifact, TableArtifact


def test_a_category_run_publishes_one_table_with_its_counts() -> None:
    stored = ItemOutcome("files", "iris", "http://h/iris.csv", "stored", sha256="a" * 64, size_bytes=10, path="/s/i")
    failed = ItemOutcome.failure(
        "files", "gone", PermanentDownloadError("http://h/gone", "HTTP 404"), url="http://h/gone", detail="x"
    )

    (table,) = category_artifacts("files", INGESTION.result("Project Alpha", {"files": [stored, failed]}))

    assert isinstance(table, TableArtifact) and table.key == "project-alpha-files"
    assert table.description == "Project Alpha: files: 1 stored, 0 unchanged, 0 duplicate, 1 failed"
    assert table.rows == [
        {
            "name": "iris",
            "url": "http://h/iris.csv",
            "status": "stored",
            "sha256": "a" * 64,
            "size": "10 B",
            "path or error": "/s/i",
            "detail": "",
        },
        {
            "name": "gone",
            "url": "http://h/gone",
            "status": "failed",
            "sha256": "",
            "size": "",
            "path or error": "http://h/gone: HTTP 404",
            "detail": "x",
        },
    ]


def test_a_stage_run_publishes_its_counts_summary() -> None:
    result = INGESTION.result("Project Alpha", {"files": []})

    (summary,) = stage_artifacts(result, AirnubSettings())

    assert isinstance(summary, MarkdownArtifact) and summary.key == "project-alpha-ingestion-summary"
    assert summary.markdown.startswith("# Project Alpha: ingestion\n")


def test_a_category_run_of_many_items_lists_failures_first_up_to_the_cap_and_says_how_many_are_left_out() -> None:
    count = MAX_LISTED_OUTCOMES + 500
    stored = [ItemOutcome("files", f"f{i}", f"http://h/f{i}", "stored", sha256="a" * 64) for i in range(count)]
    failed = [
        ItemOutcome.failure(
            "files", f"bad{i}", PermanentDownloadError(f"http://h/bad{i}", "HTTP 404"), url=f"http://h/bad{i}"
        )
        for i in range(3)
    ]
    result = INGESTION.result("Project Alpha", {"files": [*stored, *failed]})

    (table,) = category_artifacts("files", result)
    (summary,) = stage_artifacts(result, AirnubSettings())

    assert len(table.rows) == MAX_LISTED_OUTCOMES
    assert [row["name"] for row in table.rows[:4]] == ["bad0", "bad1", "bad2", "f0"]
    assert table.description.endswith(
        f"({MAX_LISTED_OUTCOMES:,} of {count + 3:,} listed (failures first); "
        "`airnub run ... --json` and `airnub manifest list` show all)"
    )
    assert summary.markdown.count("HTTP 404") == 3 and "listed" not in summary.markdown
    assert len(table.rows[0]) == 7 and len(str(table.rows)) < 1_500_000  # under Prefect's event size limit
