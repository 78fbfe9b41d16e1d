"""Artifact content of the processing stage (pure functions of its results)."""

from __future__ import annotations

from airnub_prefect_starter.common.settings import AirnubSettings
from airnub_prefect_starter.core.errors import ConfigError
from airnub_prefect_starter.processing.artifacts import processing_summary_table, stage_artifacts
from airnub_prefect_starter.processing.contract import PROCESSING
from airnub_prefect_starter.processing.outcome import DatasetOutcome, RawInputRef
from airnub_prefect_starter.stages.artifacts import TableArtifact

DATASET, RAW = "d" * 64, "f" * 64


def test_processing_summary_table_has_counts_hash_and_raw_input() -> None:
    outcome = DatasetOutcome(
        category="tabular_files",
        name="iris",
        status="built",
        inputs=(RawInputRef("files", RAW),),
        rows_in=12,
        rows_out=6,
        rows_quarantined=6,
        quarantine_counts={"missing": 4, "non_numeric": 2},
        sha256=DATASET,
        path="/d/processed/iris.parquet",
    )
    failed = DatasetOutcome.failure("api_records", "wine", ConfigError("x.json: not valid JSON"))

    rows = processing_summary_table([outcome, failed])

    assert rows[0] == {
        "dataset": "iris",
        "category": "tabular_files",
        "status": "built",
        "rows in": "12",
        "rows out": "6",
        "quarantined": "6",
        "quarantine reasons": "missing: 4, non_numeric: 2",
        "sha256": DATASET,
        "raw input": f"files/{RAW}",
        "path or error": "/d/processed/iris.parquet",
    }
    assert (rows[1]["status"], rows[1]["rows in"], rows[1]["path or error"]) == ("failed", "", "x.json: not valid JSON")


def test_processing_summary_names_the_counts_and_every_stopped_category() -> None:
    built = DatasetOutcome("tabular_files", "iris", "built", sha256=DATASET)
    result = PROCESSING.result("Project Alpha", {"tabular_files": [built]}, {"api_records": "KeyError: 'x'"})

    (table,) = stage_artifacts(result, AirnubSettings())

    assert isinstance(table, TableArtifact) and table.key == "project-alpha-processing-summary"
    assert table.description == (
        "Project Alpha: processing: 1 built, 0 unchanged, 0 failed; category api_records stopped: KeyError: 'x'"
    )
    assert [row["dataset"] for row in table.rows] == ["iris"]
