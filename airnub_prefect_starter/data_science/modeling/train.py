"""Train a scikit-learn model on a dataset, evaluate it on a held-out split, save model + metadata.

The target's type picks the task: int class labels (see
:func:`~airnub_prefect_starter.data_science.features.classification_view`) a classifier scored by accuracy and
macro F1 on a stratified split; float values a regressor scored by R², MAE and RMSE on a shuffled split. The model
sees a seeded sample of at most ``sample_rows`` rows with a target (all of them when there are no more: see
:func:`~airnub_prefect_starter.data_science.dataset_profile.draw_sample`), so training holds that sample in
memory, never the whole dataset.

Run as a script::

    python -m airnub_prefect_starter.data_science.modeling.train --dataset data/processed/iris.parquet
"""

from __future__ import annotations

import io
import logging
import platform
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import joblib
import numpy as np
import sklearn
import typer

from airnub_prefect_starter import __version__
from airnub_prefect_starter.common.utils import generate_sha256_hash
from airnub_prefect_starter.core.errors import AirnubError, ConfigError
from airnub_prefect_starter.data_science.config_ds import data_paths
from airnub_prefect_starter.data_science.dataset_profile import (
    DEFAULT_SAMPLE_ROWS,
    DatasetSample,
    draw_sample,
    scan_verified_dataset,
)
from airnub_prefect_starter.data_science.dataset_store import atomic_write_bytes
from airnub_prefect_starter.data_science.features import split_features_target, train_test_split_frame
from airnub_prefect_starter.data_science.modeling.estimators import build_estimator, feature_importances
from airnub_prefect_starter.data_science.modeling.evaluation import evaluate, evaluate_regression
from airnub_prefect_starter.data_science.modeling.metadata import (
    ClassificationMetrics,
    MetricsFile,
    ModelKind,
    ModelMetadata,
    ModelMetrics,
    ModelTask,
    RegressionMetrics,
    load_model_metadata,
    model_metadata_path,
)

__all__ = ["HeldOut", "TrainResult", "app", "train_estimator"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class HeldOut:
    """A regressor's held-out targets and its predictions of them, in split order (for the predicted-vs-actual
    figure; not saved: the model and the split reproduce them)."""

    actual: tuple[float, ...]
    predicted: tuple[float, ...]


@dataclass(frozen=True)
class TrainResult:
    """Where the model went and how it scored. ``rewritten`` is False when identical files were already there."""

    model_path: Path
    metadata_path: Path
    metrics_path: Path
    metadata: ModelMetadata
    rewritten: bool
    held_out: HeldOut | None = None

    @property
    def metrics(self) -> ModelMetrics:
        return self.metadata.metrics

    @property
    def task(self) -> ModelTask:
        return self.metadata.task

    @property
    def model_sha256(self) -> str:
        return self.metadata.model_sha256


def _previous_metadata(model_path: Path) -> ModelMetadata | None:
    try:
        return load_model_metadata(model_path)
    except ConfigError:  # absent or unreadable: this run writes a fresh one
        return None


def _summary(metrics: ModelMetrics) -> str:
    if isinstance(metrics, RegressionMetrics):
        return f"R² {metrics.r2:.4f}, MAE {metrics.mae:.4g}, RMSE {metrics.rmse:.4g}"
    return f"accuracy {metrics.accuracy:.4f}, macro F1 {metrics.f1_macro:.4f}"


def train_estimator(
    dataset_path: Path,
    model_dir: Path,
    *,
    seed: int = 42,
    test_size: float = 0.25,
    model: ModelKind = "random_forest",
    sample_rows: int = DEFAULT_SAMPLE_ROWS,
    sample: DatasetSample | None = None,
) -> TrainResult:
    """Fit ``model`` on a train split of the dataset's sample, score it on the rest, save it in ``model_dir``: a
    classifier of an int target on a stratified split, a regressor of a float target on a shuffled one.

    The dataset's manifest must sit beside it and match its hash (:class:`IntegrityError` otherwise); the
    metadata carries the dataset sha256 and the raw input sha256s from that manifest, and ``sample_rows``. The
    sample is at most ``sample_rows`` rows with a target, drawn with ``seed``; a caller that has verified and
    sampled the dataset at ``dataset_path`` already passes that ``sample``, so it is not hashed and read again.
    """
    if sample is None:
        scan = scan_verified_dataset(dataset_path)
        sample = draw_sample(scan, sample_rows, seed, target=scan.manifest.table_schema.require_target().name)
        scan.confirm()
    verified = sample.dataset
    manifest = verified.manifest
    schema = manifest.table_schema
    target = schema.require_target()
    task: ModelTask = "regression" if target.type == "float" else "classification"
    estimator, params = build_estimator(model, seed, task)
    strata = target.name if task == "classification" else None
    split = train_test_split_frame(verified.frame, test_size, seed, stratify_by=strata)
    x_train, y_train = split_features_target(split.train, schema)
    x_test, y_test = split_features_target(split.test, schema)

    estimator.fit(x_train, y_train)
    predicted = estimator.predict(x_test)
    held_out: HeldOut | None = None
    metrics: ClassificationMetrics | RegressionMetrics
    if task == "regression":
        metrics = evaluate_regression(y_test.to_numpy(), predicted, n_train=len(x_train))
        held_out = HeldOut(tuple(map(float, y_test)), tuple(float(v) for v in np.asarray(predicted)))
    else:
        metrics = evaluate(y_test.to_numpy(), predicted, schema, n_train=len(x_train))
    logger.info("trained %s on %s of %s: %s", model, sample.describe(), manifest.dataset_name, _summary(metrics))

    model_dir.mkdir(parents=True, exist_ok=True)
    model_path = model_dir / f"{manifest.dataset_name}_{model}.joblib"
    buffer = io.BytesIO()
    joblib.dump(estimator, buffer)
    model_written = atomic_write_bytes(model_path, buffer.getvalue())
    model_sha256 = generate_sha256_hash(buffer.getvalue())
    metadata = ModelMetadata(
        model_file=model_path.name,
        model_sha256=model_sha256,
        dataset_name=manifest.dataset_name,
        dataset_sha256=manifest.sha256,
        input_sha256s=manifest.input_sha256s,
        model_kind=model,
        table_schema=schema,
        params={"model": model, "seed": seed, "test_size": test_size, "sample_rows": sample.limit, **params},
        metrics=metrics,
        feature_importances=feature_importances(estimator, schema.feature_names),
        sklearn_version=sklearn.__version__,
        python_version=platform.python_version(),
        tool_version=__version__,
        created_at=datetime.now(UTC),
    )
    metadata_path = model_metadata_path(model_path)
    previous = _previous_metadata(model_path)
    if previous is not None and previous.same_content(metadata):
        metadata, metadata_written = previous, False
    else:
        metadata_written = atomic_write_bytes(metadata_path, metadata.to_json_bytes())
    metrics_file = MetricsFile(
        model_file=model_path.name,
        model_sha256=model_sha256,
        dataset_name=manifest.dataset_name,
        dataset_sha256=manifest.sha256,
        input_sha256s=manifest.input_sha256s,
        metrics=metrics,
    )
    metrics_path = model_dir / "metrics.json"
    metrics_written = atomic_write_bytes(metrics_path, metrics_file.model_dump_json(indent=2).encode() + b"\n")
    return TrainResult(
        model_path=model_path,
        metadata_path=metadata_path,
        metrics_path=metrics_path,
        metadata=metadata,
        rewritten=model_written or metadata_written or metrics_written,
        held_out=held_out,
    )


class _ModelChoice(StrEnum):
    random_forest = "random_forest"
    logistic_regression = "logistic_regression"
    linear_regression = "linear_regression"


app = typer.Typer(add_completion=False, help="Train a model of a dataset's target and save model, metadata, metrics.")


@app.command()
def main(
    dataset: Annotated[Path, typer.Option(help="A <name>.parquet with its <name>.dataset.json beside it.")],
    model_dir: Annotated[Path | None, typer.Option(help="Default: <data dir>/models.")] = None,
    model: Annotated[_ModelChoice, typer.Option(help="Estimator to fit.")] = _ModelChoice.random_forest,
    seed: Annotated[int, typer.Option(help="Seed of the sample, the split and the estimator.")] = 42,
    test_size: Annotated[float, typer.Option(help="Held-out fraction (stratified for a classifier).")] = 0.25,
    sample_rows: Annotated[
        int, typer.Option(min=1, help="Rows the model sees at most (a seeded sample of a larger dataset).")
    ] = DEFAULT_SAMPLE_ROWS,
) -> None:
    """Train MODEL on DATASET and print its held-out scores."""
    try:
        result = train_estimator(
            dataset,
            model_dir if model_dir is not None else data_paths().models,
            seed=seed,
            test_size=test_size,
            model=model.value,
            sample_rows=sample_rows,
        )
    except AirnubError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"{result.model_path}: {_summary(result.metrics)}")


if __name__ == "__main__":
    app()
