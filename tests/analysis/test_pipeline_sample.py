"""The analysis of a dataset larger than its sample: statistics of every row, a model and figures on a seeded
sample of ``sample_rows`` rows (the same rows every run), and a report that says which rows each part saw."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from airnub_prefect_starter.analysis.config import AnalysedDataset
from airnub_prefect_starter.analysis.pipeline import analyse_dataset, plan_analysis
from airnub_prefect_starter.data_science.dataset_store import read_dataset
from airnub_prefect_starter.data_science.modeling.metadata import load_model_metadata
from tests.analysis.test_pipeline import Processed, process_raw
from tests.support.order_rows import ORDER_ROWS, ORDER_ROWS_DECLARATION

BY_CHANNEL = AnalysedDataset(name="order_rows", target="channel", seed=5, sample_rows=1000)
BY_AMOUNT = AnalysedDataset(name="order_rows", target="amount", model="linear_regression", seed=5, sample_rows=1000)


@pytest.fixture
def processed(tmp_path: Path) -> Processed:
    """order_rows.csv (5,000 orders, primary key order_id, 13 without an amount) stored, indexed and processed."""
    spec = {"name": "order_rows", "input": {"data_source_name": "files", "filename": "order_rows.csv"}}
    return process_raw(tmp_path, {**spec, **ORDER_ROWS_DECLARATION}, ORDER_ROWS)


def report_text(path: str | None) -> str:
    return Path(path or "").read_text(encoding="utf-8")


def test_a_model_is_trained_on_exactly_its_seeded_sample_and_the_report_says_so(processed: Processed) -> None:
    outcome = analyse_dataset(BY_CHANNEL, processed.layout)

    assert outcome.status == "analysed" and (outcome.n_train, outcome.n_test) == (750, 250)
    markdown = report_text(outcome.report_markdown)
    assert (
        "The statistics describe all 5,000 rows of the dataset. The model was trained and scored on 1,000 of 5,000 "
        "rows (seeded sample: seed 5, sample_rows 1,000); the figures are drawn from the same rows."
    ) in markdown
    assert "| order_id | 5000 | 0 | 3500 |" in markdown and "| amount | 4987 | 13 |" in markdown  # every row
    whole = read_dataset(processed.layout.datasets_dir / "order_rows.parquet")
    balance = markdown.split("### Class balance", 1)[1]
    for name, rows in whole["channel"].astype("str").value_counts().items():
        assert f"| {name} | {rows} |" in balance
    metadata = load_model_metadata(Path(outcome.model_path or ""))
    assert metadata.params["sample_rows"] == 1000 and metadata.params["max_leaf_nodes"] == 4096
    assert list(metadata.feature_importances) == ["items", "distance", "amount"]  # no primary key
    assert analyse_dataset(BY_CHANNEL, processed.layout).status == "unchanged"


def test_analysing_again_draws_the_same_sample_and_trains_the_same_model(processed: Processed) -> None:
    first = analyse_dataset(BY_CHANNEL, processed.layout)
    (processed.data_dir / "reports" / "order_rows" / "analysis.json").unlink()

    again = analyse_dataset(BY_CHANNEL, processed.layout)

    assert again.status == "analysed"
    assert (again.model_sha256, again.accuracy, again.n_train) == (first.model_sha256, first.accuracy, first.n_train)
    assert not plan_analysis(BY_CHANNEL.model_copy(update={"sample_rows": 2000}), processed.layout).up_to_date


def test_rows_without_a_target_are_counted_and_left_out_of_the_model(processed: Processed) -> None:
    outcome = analyse_dataset(BY_AMOUNT, processed.layout)

    assert outcome.task == "regression" and (outcome.n_train, outcome.n_test) == (750, 250)
    markdown = report_text(outcome.report_markdown)
    assert "13 rows have no value of the target amount: the model and the figures leave them out." in markdown
    assert "trained and scored on 1,000 of 4,987 rows with a target (seeded sample: seed 5" in markdown
    assert "| amount | 4987 | 13 |" in markdown  # the target is described over every row, its gaps counted
    assert [Path(f).name for f in outcome.figures][:2] == [
        "order_rows_feature_distributions.png",
        "order_rows_correlation.png",
    ]
    metadata = load_model_metadata(Path(outcome.model_path or ""))
    assert list(metadata.feature_importances) == ["items", "distance"]


def test_a_dataset_smaller_than_the_sample_is_analysed_whole(processed: Processed) -> None:
    outcome = analyse_dataset(AnalysedDataset(name="order_rows"), processed.layout)

    markdown = report_text(outcome.report_markdown)
    assert "The figures are drawn from all 5,000 rows." in markdown
    assert "| city | 5000 | 0 | 300 |" in markdown


def test_sample_rows_below_a_thousand_is_refused() -> None:
    with pytest.raises(ValidationError, match="sample_rows"):
        AnalysedDataset(name="order_rows", sample_rows=999)
