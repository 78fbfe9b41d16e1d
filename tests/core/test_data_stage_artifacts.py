"""Artifact content of the processing and analysis stages (pure functions of their results)."""

from __future__ import annotations

from airnub_prefect_starter.analysis.outcome import ANALYSIS_STATUSES, AnalysisOutcome
from airnub_prefect_starter.core.errors import ConfigError
from airnub_prefect_starter.processing.artifacts import (
    analysis_summary_markdown,
    processing_summary_table,
    report_link,
)
from airnub_prefect_starter.processing.outcome import DatasetOutcome, RawInputRef
from airnub_prefect_starter.stages.results import DataStageResult

DATASET, MODEL, RAW = "d" * 64, "e" * 64, "f" * 64


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


def test_analysis_markdown_has_metrics_lineage_and_failures() -> None:
    analysed = AnalysisOutcome(
        category="classification_reports",
        name="iris",
        status="analysed",
        dataset_sha256=DATASET,
        sources=((RAW, "http://h/iris.csv"), (RAW, "http://mirror/a|b.csv")),
        model_kind="random_forest",
        model_sha256=MODEL,
        accuracy=0.97368,
        f1_macro=0.9733,
        n_train=112,
        n_test=38,
        report_html="/d/reports/iris/report.html",
    )
    failed = AnalysisOutcome.failure("classification_reports", "wine", ConfigError("dataset 'wine': missing"))
    result = DataStageResult(
        "Project Alpha", "analysis", ANALYSIS_STATUSES, {"classification_reports": [analysed, failed]}
    )

    markdown = analysis_summary_markdown(result)

    assert markdown.startswith("# Project Alpha: analysis\n\n1 analysed, 0 unchanged, 1 failed.\n")
    assert "| iris | analysed | random_forest | 0.9737 | 0.9733 | 112 / 38 | /d/reports/iris/report.html |" in markdown
    assert f"| iris | {DATASET} | {MODEL} | {RAW} | http://h/iris.csv |" in markdown
    assert f"| iris | {DATASET} | {MODEL} | {RAW} | http://mirror/a\\|b.csv |" in markdown  # pipes escaped
    assert "- **classification_reports / wine**: dataset 'wine': missing" in markdown
    assert report_link(analysed) == "file:///d/reports/iris/report.html" and report_link(failed) is None
