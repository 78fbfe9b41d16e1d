"""Feature/target extraction and the deterministic stratified split."""

from __future__ import annotations

import pandas as pd
import pytest

from airnub_prefect_starter.core.errors import ConfigError
from airnub_prefect_starter.data_science.dataset_store import WrittenDataset, read_dataset
from airnub_prefect_starter.data_science.features import split_features_target, train_test_split_frame
from tests.support.demo_recipes import IRIS_SCHEMA


def test_split_features_target_selects_schema_columns(iris_dataset: WrittenDataset) -> None:
    features, target = split_features_target(read_dataset(iris_dataset.parquet_path), IRIS_SCHEMA)

    assert list(features.columns) == list(IRIS_SCHEMA.feature_names)
    assert features.shape == (150, 4) and str(target.dtype) == "int64" and target.name == "target"


def test_split_features_target_names_missing_columns() -> None:
    with pytest.raises(ConfigError, match=r"dataset: missing columns \['petal_width_cm', 'target'\]"):
        split_features_target(pd.DataFrame({n: [1.0] for n in IRIS_SCHEMA.feature_names[:3]}), IRIS_SCHEMA)


def test_train_test_split_frame_is_deterministic_and_stratified(iris_dataset: WrittenDataset) -> None:
    frame = read_dataset(iris_dataset.parquet_path)

    first = train_test_split_frame(frame, 0.2, seed=7)
    second = train_test_split_frame(frame, 0.2, seed=7)
    other = train_test_split_frame(frame, 0.2, seed=8)

    assert first.train.equals(second.train) and first.test.equals(second.test)
    assert not first.test.equals(other.test)
    assert (len(first.train), len(first.test)) == (120, 30)
    assert first.test["target"].value_counts().to_dict() == {0: 10, 1: 10, 2: 10}
    assert len(pd.concat([first.train, first.test]).drop_duplicates()) == len(frame.drop_duplicates())


@pytest.mark.parametrize("test_size", [0.0, 1.0, -0.1])
def test_train_test_split_frame_rejects_bad_test_size(iris_dataset: WrittenDataset, test_size: float) -> None:
    with pytest.raises(ConfigError, match="test_size: .* must be between 0 and 1"):
        train_test_split_frame(read_dataset(iris_dataset.parquet_path), test_size, seed=1)


def test_train_test_split_frame_rejects_unstratifiable_frame() -> None:
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "target": [0, 0, 0, 1]})

    with pytest.raises(ConfigError, match="cannot be stratified"):
        train_test_split_frame(frame, 0.5, seed=1)
