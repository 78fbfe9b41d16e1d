"""A dataset at any size: statistics of every row computed by streaming scans (equal to pandas' over the whole
frame), a seeded sample for models and figures, and the verification that ties both to the manifest."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pytest

from airnub_prefect_starter.core.errors import IntegrityError
from airnub_prefect_starter.data_science.dataset_profile import draw_sample, profile_dataset, scan_verified_dataset
from airnub_prefect_starter.data_science.dataset_store import WrittenDataset, read_dataset
from airnub_prefect_starter.data_science.describe import (
    MAX_VALUES_IN_MEMORY,
    DatasetDescription,
    describe_dataset,
)
from airnub_prefect_starter.data_science.features import classification_view
from airnub_prefect_starter.data_science.schemas import TableSchema
from tests.support.order_rows import ORDER_ROWS_COUNT, ORDER_ROWS_NO_AMOUNT, write_order_rows


@pytest.fixture(scope="module")
def orders(tmp_path_factory: pytest.TempPathFactory) -> WrittenDataset:
    return write_order_rows(tmp_path_factory.mktemp("order-rows"))


@pytest.fixture(scope="module")
def whole(orders: WrittenDataset) -> pd.DataFrame:
    """Every row in pandas, the way the statistics must come out."""
    return read_dataset(orders.parquet_path)


def assert_equals_pandas(described: DatasetDescription, frame: pd.DataFrame) -> None:
    assert described.rows == len(frame) == ORDER_ROWS_COUNT
    assert [s.column for s in described.numeric] == ["order_id", "items", "distance", "amount"]
    for summary in described.numeric:
        values = frame[summary.column].dropna().astype("float64")
        assert (summary.count, summary.missing) == (len(values), len(frame) - len(values))
        extremes_and_quartiles = tuple(values.quantile([0.0, 0.25, 0.5, 0.75, 1.0]))
        assert (summary.min, summary.q25, summary.median, summary.q75, summary.max) == extremes_and_quartiles
        assert summary.mean == pytest.approx(values.mean(), rel=1e-12)
        assert summary.std == pytest.approx(values.std(), rel=1e-12)
    channel = next(s for s in described.categorical if s.column == "channel")
    counts = frame["channel"].astype("str").value_counts()
    assert (channel.count, channel.missing, channel.distinct) == (ORDER_ROWS_COUNT, 0, 3)
    assert dict(channel.top) == counts.to_dict()
    (ordered_on,) = described.temporal
    assert (ordered_on.earliest, ordered_on.latest) == ("2024-01-01", "2024-12-31")


@pytest.mark.parametrize("max_values", [MAX_VALUES_IN_MEMORY, 100], ids=["in-memory", "bounded"])
def test_statistics_cover_every_row_exactly_as_pandas_computes_them(
    orders: WrittenDataset, whole: pd.DataFrame, max_values: int
) -> None:
    """With 100 values at most in memory, quartiles come from histograms narrowed down: the same floats."""
    described = describe_dataset(
        pl.scan_parquet(orders.parquet_path), orders.manifest.table_schema, max_values=max_values
    )

    assert_equals_pandas(described, whole)
    amount = next(s for s in described.numeric if s.column == "amount")
    assert amount.missing == ORDER_ROWS_NO_AMOUNT == 13


def test_a_column_with_more_distinct_values_than_counted_in_memory_gets_an_estimate(
    orders: WrittenDataset, whole: pd.DataFrame
) -> None:
    exact = describe_dataset(pl.scan_parquet(orders.parquet_path), orders.manifest.table_schema)
    bounded = describe_dataset(pl.scan_parquet(orders.parquet_path), orders.manifest.table_schema, max_values=100)

    city = next(s for s in exact.categorical if s.column == "city")
    ranked = sorted(whole["city"].value_counts().items(), key=lambda item: (-item[1], item[0]))[:5]
    assert (city.distinct, city.top, city.approximate) == (300, tuple(ranked), False)
    estimated = next(s for s in bounded.categorical if s.column == "city")
    assert estimated.approximate and estimated.top == () and 270 <= estimated.distinct <= 330
    assert estimated.count == ORDER_ROWS_COUNT


def test_infinities_and_nan_are_summarised_as_pandas_does() -> None:
    values = [float("-inf"), 1.0, float("nan"), 2.5, None, 4.0, float("inf"), 3.0, 7.5, 0.5]
    frame = pd.DataFrame({"x": values})
    schema = TableSchema.model_validate({"columns": [{"name": "x", "type": "float", "nullable": True}]})

    (summary,) = describe_dataset(pl.from_pandas(frame).lazy(), schema, max_values=2).numeric

    present = frame["x"].dropna()
    assert (summary.count, summary.missing) == (8, 2)
    assert (summary.q25, summary.median, summary.q75) == tuple(present.quantile([0.25, 0.5, 0.75]))
    assert (summary.min, summary.max, summary.mean) == (None, None, None)  # infinite: no finite value to show


def test_a_sample_is_drawn_by_seed_from_the_rows_with_a_target_in_file_order(
    orders: WrittenDataset, whole: pd.DataFrame
) -> None:
    scan = scan_verified_dataset(orders.parquet_path)

    first = draw_sample(scan, 1000, 7, target="amount")
    again = draw_sample(scan, 1000, 7, target="amount")
    other = draw_sample(scan, 1000, 8, target="amount")

    with_target = whole[whole["amount"].notna()].reset_index(drop=True)
    positions = np.sort(np.random.default_rng(7).choice(len(with_target), size=1000, replace=False))
    assert first.dataset.frame["order_id"].tolist() == with_target["order_id"].iloc[positions].tolist()
    assert first.dataset.frame.equals(again.dataset.frame)
    assert set(first.dataset.frame["order_id"]) != set(other.dataset.frame["order_id"])
    assert (first.rows, first.population, first.sampled) == (1000, ORDER_ROWS_COUNT - 13, True)
    assert first.describe("rows with a target") == (
        "1,000 of 4,987 rows with a target (seeded sample: seed 7, sample_rows 1,000)"
    )
    assert first.dataset.manifest == orders.manifest


def test_a_dataset_no_larger_than_the_sample_is_used_whole(orders: WrittenDataset, whole: pd.DataFrame) -> None:
    every = draw_sample(scan_verified_dataset(orders.parquet_path), ORDER_ROWS_COUNT, 7)

    assert (every.rows, every.sampled, every.describe()) == (ORDER_ROWS_COUNT, False, "all 5,000 rows")
    assert every.dataset.frame["order_id"].tolist() == whole["order_id"].tolist()


def test_a_profile_counts_the_target_classes_and_missing_values_over_every_row(
    orders: WrittenDataset, whole: pd.DataFrame
) -> None:
    by_channel = profile_dataset(orders.parquet_path, target="channel", sample_rows=1000, seed=1)
    by_amount = profile_dataset(orders.parquet_path, target="amount", sample_rows=1000, seed=1)

    counts = whole["channel"].astype("str").value_counts()
    assert [(c.name, c.rows) for c in by_channel.classes] == sorted(counts.items())
    assert (by_channel.target, by_channel.target_missing, by_channel.sample.population) == ("channel", 0, 5000)
    assert (by_amount.target, by_amount.target_missing, by_amount.classes) == ("amount", 13, ())
    assert by_amount.sample.population == 4987 and by_amount.sample.dataset.frame["amount"].notna().all()
    assert_equals_pandas(by_amount.description, whole)


def test_a_sample_missing_a_class_still_knows_every_class_of_the_dataset(orders: WrittenDataset) -> None:
    profile = profile_dataset(orders.parquet_path, target="channel", sample_rows=1000, seed=1)
    two_rows = draw_sample(scan_verified_dataset(orders.parquet_path), 2, 1, target="channel")

    view = classification_view(two_rows.dataset, "channel", classes=profile.class_values)

    assert view.manifest.table_schema.target_names == ("phone", "shop", "web")
    assert set(view.frame["channel"]) <= {0, 1, 2} and len(view.frame) == 2


def test_a_dataset_replaced_after_it_was_verified_is_refused(orders: WrittenDataset, tmp_path: Path) -> None:
    """The same bytes in a new file: reading it could mix two files, so the scan refuses to vouch for it."""
    dataset = tmp_path / "order_rows.parquet"
    shutil.copy(orders.parquet_path, dataset)
    shutil.copy(orders.manifest_path, tmp_path / orders.manifest_path.name)
    scan = scan_verified_dataset(dataset)
    scan.confirm()
    replacement = tmp_path / "replacement.parquet"
    replacement.write_bytes(dataset.read_bytes())

    os.replace(replacement, dataset)

    with pytest.raises(IntegrityError, match=r"order_rows\.parquet: dataset replaced while it was read"):
        scan.confirm()
