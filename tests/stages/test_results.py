"""The one StageResult and the stage contract's failure errors: the --json summary, counts, messages, pickling."""

from __future__ import annotations

import pickle

from airnub_prefect_starter.analysis.contract import ANALYSIS
from airnub_prefect_starter.analysis.outcome import AnalysisOutcome
from airnub_prefect_starter.core.errors import CategoryFailedError, ConfigError, StageFailedError
from airnub_prefect_starter.processing.contract import PROCESSING
from airnub_prefect_starter.processing.outcome import DatasetOutcome, RawInputRef
from airnub_prefect_starter.stages.results import StageResult

SHA, RAW = "a" * 64, "b" * 64


def built(name: str = "iris") -> DatasetOutcome:
    return DatasetOutcome(
        category="tabular_files",
        name=name,
        status="built",
        inputs=(RawInputRef("files", RAW, ("http://h/iris.csv",)),),
        rows_in=12,
        rows_out=6,
        rows_quarantined=6,
        quarantine_counts={"missing": 4, "non_numeric": 2},
        sha256=SHA,
        path="/d/processed/iris.parquet",
    )


def test_processing_result_summary_lists_datasets_and_counts_every_status() -> None:
    failed = DatasetOutcome.failure("api_records", "wine", ConfigError("x.json: not valid JSON"))
    result = PROCESSING.result("Project Alpha", {"tabular_files": [built()], "api_records": [failed]})

    summary = result.as_summary()

    assert summary["counts"] == {"built": 1, "unchanged": 0, "failed": 1, "total": 2}
    assert summary["items"][0] == {
        "category": "tabular_files",
        "name": "iris",
        "status": "built",
        "rows_in": 12,
        "rows_out": 6,
        "quarantined": 6,
        "quarantine_counts": {"missing": 4, "non_numeric": 2},
        "sha256": SHA,
        "path": "/d/processed/iris.parquet",
        "manifest_path": None,
        "quarantine_path": None,
        "inputs": [{"data_source_name": "files", "sha256": RAW, "urls": ["http://h/iris.csv"]}],
        "error": None,
    }
    assert (summary["items"][1]["status"], summary["items"][1]["error"]) == ("failed", "x.json: not valid JSON")
    assert result.failed and result.counts_line() == "1 built, 0 unchanged, 1 failed"


def test_analysis_result_counts_zeros_when_empty_and_fails_when_a_category_crashed() -> None:
    result: StageResult[AnalysisOutcome] = ANALYSIS.result(
        "Project Alpha", {}, {"classification_reports": "KeyError: 'x'"}
    )

    assert result.counts() == {"analysed": 0, "unchanged": 0, "failed": 0, "total": 0}
    assert result.failed
    assert str(ANALYSIS.stage_error(result)) == (
        "Project Alpha analysis: category classification_reports crashed: KeyError: 'x'"
    )


def test_stage_errors_name_failed_datasets_and_survive_pickling() -> None:
    outcomes = [built(), DatasetOutcome.failure("tabular_files", "wine", ConfigError("wine.csv: line 1: bad header"))]
    category_error = PROCESSING.category_error("Project Alpha", "tabular_files", outcomes)
    stage_error = PROCESSING.stage_error(PROCESSING.result("Project Alpha", {"tabular_files": outcomes}))

    assert str(category_error) == (
        "Project Alpha / processing / tabular_files: 1 of 2 datasets failed: wine: wine.csv: line 1: bad header"
    )
    assert str(stage_error) == (
        "Project Alpha processing: 1 of 2 datasets failed: tabular_files/wine: wine.csv: line 1: bad header"
    )
    assert isinstance(category_error, CategoryFailedError) and isinstance(stage_error, StageFailedError)
    for error in (category_error, stage_error):
        copy = pickle.loads(pickle.dumps(error))
        assert type(copy) is type(error) and str(copy) == str(error)
    assert pickle.loads(pickle.dumps(stage_error)).result == stage_error.result
    assert pickle.loads(pickle.dumps(category_error)).outcomes == outcomes
