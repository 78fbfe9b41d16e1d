"""Prediction with a saved model: hash-checked loading, labelled and unlabelled data, accuracy."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from airnub_prefect_starter.core.errors import ConfigError, IntegrityError
from airnub_prefect_starter.data_science.dataset_store import WrittenDataset, read_dataset
from airnub_prefect_starter.data_science.modeling.predict import accuracy, load_model, predict
from airnub_prefect_starter.data_science.modeling.train import TrainResult, train_estimator


@pytest.fixture
def trained(iris_dataset: WrittenDataset, tmp_path: Path) -> TrainResult:
    return train_estimator(iris_dataset.parquet_path, tmp_path / "models")


def test_predict_labels_every_row_and_scores_high(trained: TrainResult, iris_dataset: WrittenDataset) -> None:
    predictions = predict(trained.model_path, iris_dataset.parquet_path)

    assert list(predictions.columns) == ["prediction", "prediction_name", "target", "correct"]
    assert len(predictions) == 150
    assert set(predictions["prediction_name"]) <= {"setosa", "versicolor", "virginica"}
    assert accuracy(predictions) > 0.9


def test_predict_unlabelled_dataset_has_no_accuracy(trained: TrainResult, iris_dataset: WrittenDataset) -> None:
    features = read_dataset(iris_dataset.parquet_path).drop(columns=["target"])
    unlabelled = iris_dataset.parquet_path.with_name("unlabelled.parquet")
    pq.write_table(pa.Table.from_pandas(features, preserve_index=False), unlabelled)

    predictions = predict(trained.model_path, unlabelled)

    assert list(predictions.columns) == ["prediction", "prediction_name"] and len(predictions) == 150
    with pytest.raises(ConfigError, match="no class labels to compare"):
        accuracy(predictions)


def test_load_model_refuses_tampered_file_before_unpickling(trained: TrainResult) -> None:
    trained.model_path.write_bytes(b"not a pickle at all")

    with pytest.raises(IntegrityError, match=r"iris_random_forest\.joblib: sha256 [0-9a-f]{64} differs"):
        load_model(trained.model_path)


def test_accuracy_of_empty_predictions_is_an_error() -> None:
    with pytest.raises(ConfigError, match="no rows"):
        accuracy(pd.DataFrame({"correct": pd.Series([], dtype=bool)}))


def test_predict_names_missing_feature_columns(trained: TrainResult, iris_dataset: WrittenDataset) -> None:
    frame = read_dataset(iris_dataset.parquet_path).drop(columns=["petal_width_cm"])
    partial = iris_dataset.parquet_path.with_name("partial.parquet")
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), partial)

    with pytest.raises(ConfigError, match=r"partial\.parquet: missing feature columns \['petal_width_cm'\]"):
        predict(trained.model_path, partial)
