"""Training: held-out metrics above a sane floor, model + metadata + metrics whose hashes tie them to the data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sklearn

from airnub_prefect_starter.common.utils import generate_sha256_hash, sha256_file
from airnub_prefect_starter.core.errors import ConfigError, IntegrityError
from airnub_prefect_starter.data_science.dataset_processing import RawObject, parse_objects
from airnub_prefect_starter.data_science.dataset_store import WrittenDataset, write_dataset
from airnub_prefect_starter.data_science.modeling.metadata import (
    ClassificationMetrics,
    MetricsFile,
    ModelKind,
    RegressionMetrics,
    load_model_metadata,
)
from airnub_prefect_starter.data_science.modeling.train import train_estimator
from airnub_prefect_starter.data_science.schema_inference import infer_schema


@pytest.mark.parametrize("model", ["random_forest", "logistic_regression"])
def test_train_estimator_scores_iris_above_floor(
    iris_dataset: WrittenDataset, tmp_path: Path, model: ModelKind
) -> None:
    result = train_estimator(iris_dataset.parquet_path, tmp_path / "models", seed=42, test_size=0.25, model=model)

    metrics = result.metrics
    assert isinstance(metrics, ClassificationMetrics) and result.task == "classification"
    assert metrics.accuracy > 0.85 and metrics.f1_macro > 0.85
    assert (metrics.n_train, metrics.n_test) == (112, 38)
    assert metrics.labels == ("setosa", "versicolor", "virginica")
    assert sum(map(sum, metrics.confusion_matrix)) == 38
    assert sum(s.support for s in metrics.per_class.values()) == 38
    assert all(0.0 <= s.precision <= 1.0 and 0.0 <= s.recall <= 1.0 for s in metrics.per_class.values())


def test_train_estimator_saves_model_metadata_and_metrics_with_matching_hashes(
    iris_dataset: WrittenDataset, tmp_path: Path
) -> None:
    result = train_estimator(iris_dataset.parquet_path, tmp_path / "models", seed=3)

    assert sorted(p.name for p in (tmp_path / "models").iterdir()) == [
        "iris_random_forest.joblib",
        "iris_random_forest.metadata.json",
        "metrics.json",
    ]
    metadata = load_model_metadata(result.model_path)
    assert metadata == result.metadata
    assert metadata.model_sha256 == sha256_file(result.model_path)
    assert metadata.dataset_sha256 == sha256_file(iris_dataset.parquet_path) == iris_dataset.manifest.sha256
    assert metadata.input_sha256s == iris_dataset.manifest.input_sha256s
    assert metadata.sklearn_version == sklearn.__version__
    assert metadata.params["seed"] == 3 and metadata.params["n_estimators"] == 200
    assert set(metadata.feature_importances) == set(iris_dataset.manifest.table_schema.feature_names)
    assert sum(metadata.feature_importances.values()) == pytest.approx(1.0)
    metrics_file = MetricsFile.model_validate(json.loads(result.metrics_path.read_text(encoding="utf-8")))
    assert metrics_file.model_sha256 == metadata.model_sha256 and metrics_file.metrics == metadata.metrics


def test_train_estimator_twice_rewrites_nothing(iris_dataset: WrittenDataset, tmp_path: Path) -> None:
    first = train_estimator(iris_dataset.parquet_path, tmp_path / "models")
    paths = (first.model_path, first.metadata_path, first.metrics_path)
    mtimes = [p.stat().st_mtime_ns for p in paths]

    second = train_estimator(iris_dataset.parquet_path, tmp_path / "models")

    assert second.rewritten is False and second.metadata == first.metadata
    assert [p.stat().st_mtime_ns for p in paths] == mtimes


def test_train_estimator_refuses_dataset_that_no_longer_matches_manifest(
    iris_dataset: WrittenDataset, tmp_path: Path
) -> None:
    iris_dataset.parquet_path.write_bytes(iris_dataset.parquet_path.read_bytes() + b"\0")

    with pytest.raises(IntegrityError, match="differs from its manifest"):
        train_estimator(iris_dataset.parquet_path, tmp_path / "models")

    assert not (tmp_path / "models").exists()


def test_train_estimator_needs_dataset_manifest(iris_dataset: WrittenDataset, tmp_path: Path) -> None:
    iris_dataset.manifest_path.unlink()

    with pytest.raises(ConfigError, match=r"iris\.dataset\.json: cannot read dataset manifest"):
        train_estimator(iris_dataset.parquet_path, tmp_path / "models")


def test_train_estimator_rejects_unknown_model(iris_dataset: WrittenDataset, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="model: 'svm' does not fit a classification; use random_forest or"):
        train_estimator(iris_dataset.parquet_path, tmp_path / "models", model="svm")  # type: ignore[arg-type]


def test_train_estimator_replaces_corrupt_metadata(iris_dataset: WrittenDataset, tmp_path: Path) -> None:
    first = train_estimator(iris_dataset.parquet_path, tmp_path / "models")
    first.metadata_path.write_text("{broken", encoding="utf-8")

    second = train_estimator(iris_dataset.parquet_path, tmp_path / "models")

    assert second.rewritten is True and load_model_metadata(second.model_path).model_sha256 == first.model_sha256


#: 60 deliveries: cost = 2 * weight + 0.75 * distance + 4 exactly, a float target a linear model recovers.
DELIVERIES = b"weight,distance,cost\n" + b"".join(
    f"{w},{d}.5,{2 * w + 0.75 * (d + 0.5) + 4:.4f}\n".encode()
    for w, d in ((i % 9 + 1, (i * 7) % 23) for i in range(60))
)


@pytest.fixture
def deliveries(tmp_path: Path) -> WrittenDataset:
    """A float-target dataset declared by schema inference and written by the processing code path."""
    raw = tmp_path / "deliveries.csv"
    raw.write_bytes(DELIVERIES)
    recipe = infer_schema(DELIVERIES, "csv", where=raw.name, target="cost").recipe()
    sha256 = generate_sha256_hash(DELIVERIES)
    table = parse_objects([RawObject(raw, sha256, raw.name)], recipe, dataset="deliveries")
    return write_dataset(table, tmp_path / "processed", "deliveries", [sha256], recipe_sha256=recipe.recipe_sha256())


@pytest.mark.parametrize(("model", "r2_floor"), [("linear_regression", 0.999), ("random_forest", 0.8)])
def test_train_estimator_fits_a_regressor_of_a_float_target(
    deliveries: WrittenDataset, tmp_path: Path, model: ModelKind, r2_floor: float
) -> None:
    result = train_estimator(deliveries.parquet_path, tmp_path / "models", seed=5, model=model)

    metrics = result.metrics
    assert isinstance(metrics, RegressionMetrics) and result.task == "regression"
    assert metrics.r2 >= r2_floor and (metrics.n_train, metrics.n_test) == (45, 15)
    assert 0.0 <= metrics.mae <= metrics.rmse
    if model == "linear_regression":
        assert metrics.mae < 1e-9
    assert result.held_out is not None and len(result.held_out.actual) == len(result.held_out.predicted) == 15
    saved = MetricsFile.model_validate_json(result.metrics_path.read_bytes())
    assert saved.metrics == metrics and saved.model_sha256 == sha256_file(result.model_path)
    metadata = load_model_metadata(result.model_path)
    assert metadata.task == "regression" and set(metadata.feature_importances) == {"weight", "distance"}
    assert sum(metadata.feature_importances.values()) == pytest.approx(1.0)


def test_train_estimator_refuses_a_classifier_for_a_float_target(deliveries: WrittenDataset, tmp_path: Path) -> None:
    with pytest.raises(
        ConfigError, match="model: 'logistic_regression' does not fit a regression; use random_forest or linear"
    ):
        train_estimator(deliveries.parquet_path, tmp_path / "models", model="logistic_regression")

    assert not (tmp_path / "models").exists()
