"""Train a scikit-learn classifier on a dataset, evaluate it on a held-out split, save model + metadata.

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
from typing import Annotated, Any

import joblib
import numpy as np
import sklearn
import typer
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from airnub_prefect_starter import __version__
from airnub_prefect_starter.common.utils import generate_sha256_hash
from airnub_prefect_starter.core.errors import AirnubError, ConfigError
from airnub_prefect_starter.data_science.config_ds import data_paths
from airnub_prefect_starter.data_science.dataset_store import (
    VerifiedDataset,
    atomic_write_bytes,
    read_verified_dataset,
)
from airnub_prefect_starter.data_science.features import split_features_target, train_test_split_frame
from airnub_prefect_starter.data_science.modeling.metadata import (
    ClassificationMetrics,
    ClassScore,
    MetricsFile,
    ModelKind,
    ModelMetadata,
    load_model_metadata,
    model_metadata_path,
)
from airnub_prefect_starter.data_science.schemas import TableSchema

__all__ = ["TrainResult", "app", "build_estimator", "evaluate", "train_classifier"]

logger = logging.getLogger(__name__)

ParamValue = str | int | float | bool | None


@dataclass(frozen=True)
class TrainResult:
    """Where the model went and how it scored. ``rewritten`` is False when identical files were already there."""

    model_path: Path
    metadata_path: Path
    metrics_path: Path
    metadata: ModelMetadata
    rewritten: bool

    @property
    def metrics(self) -> ClassificationMetrics:
        return self.metadata.metrics

    @property
    def model_sha256(self) -> str:
        return self.metadata.model_sha256


def build_estimator(model: ModelKind, seed: int) -> tuple[Any, dict[str, ParamValue]]:
    """A fresh, seeded estimator and the hyper-parameters worth recording."""
    if model not in ("random_forest", "logistic_regression"):
        raise ConfigError(f"model: {model!r} is not random_forest or logistic_regression")
    if model == "random_forest":
        params: dict[str, ParamValue] = {"n_estimators": 200, "max_depth": None, "random_state": seed, "n_jobs": 1}
        return RandomForestClassifier(**params), params
    params = {"C": 1.0, "max_iter": 1000, "random_state": seed, "scaler": "standard"}
    estimator = Pipeline(
        [("scale", StandardScaler()), ("classify", LogisticRegression(C=1.0, max_iter=1000, random_state=seed))]
    )
    return estimator, params


def evaluate(y_true: Any, y_pred: Any, schema: TableSchema, *, n_train: int) -> ClassificationMetrics:
    """Accuracy, macro F1, per-class precision/recall/F1 and the confusion matrix over every declared label."""
    labels = list(range(len(schema.target_names)))
    precision, recall, f1, support = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0.0)
    per_class = {
        schema.target_names[i]: ClassScore(
            precision=float(precision[i]), recall=float(recall[i]), f1=float(f1[i]), support=int(support[i])
        )
        for i in labels
    }
    matrix = confusion_matrix(y_true, y_pred, labels=labels)
    return ClassificationMetrics(
        accuracy=float(accuracy_score(y_true, y_pred)),
        f1_macro=float(f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0.0)),
        labels=schema.target_names,
        per_class=per_class,
        confusion_matrix=tuple(tuple(int(v) for v in row) for row in matrix),
        n_train=n_train,
        n_test=len(y_true),
    )


def _importances(estimator: Any, feature_names: tuple[str, ...]) -> dict[str, float]:
    if hasattr(estimator, "feature_importances_"):
        raw = np.asarray(estimator.feature_importances_, dtype="float64")
    else:  # a linear model: mean absolute (standardised) coefficient per feature
        raw = np.abs(np.asarray(estimator[-1].coef_, dtype="float64")).mean(axis=0)
    total = float(raw.sum()) or 1.0
    return {name: round(float(value) / total, 12) for name, value in zip(feature_names, raw, strict=True)}


def _previous_metadata(model_path: Path) -> ModelMetadata | None:
    try:
        return load_model_metadata(model_path)
    except ConfigError:  # absent or unreadable: this run writes a fresh one
        return None


def train_classifier(
    dataset_path: Path,
    model_dir: Path,
    *,
    seed: int = 42,
    test_size: float = 0.25,
    model: ModelKind = "random_forest",
    verified: VerifiedDataset | None = None,
) -> TrainResult:
    """Fit ``model`` on a stratified train split of the dataset, score it on the rest, save it in ``model_dir``.

    The dataset's manifest must sit beside it and match its hash (:class:`IntegrityError` otherwise); the
    metadata carries the dataset sha256 and the raw input sha256s from that manifest. A caller that has
    verified and read the dataset at ``dataset_path`` already passes it as ``verified``, so it is not hashed
    and parsed a second time.
    """
    if verified is None:
        verified = read_verified_dataset(dataset_path)
    manifest = verified.manifest
    schema = manifest.table_schema
    split = train_test_split_frame(verified.frame, test_size, seed, stratify_by=schema.require_target().name)
    x_train, y_train = split_features_target(split.train, schema)
    x_test, y_test = split_features_target(split.test, schema)

    estimator, params = build_estimator(model, seed)
    estimator.fit(x_train, y_train)
    metrics = evaluate(y_test.to_numpy(), estimator.predict(x_test), schema, n_train=len(x_train))
    logger.info(
        "trained %s on %s: accuracy %.3f, macro F1 %.3f",
        model,
        manifest.dataset_name,
        metrics.accuracy,
        metrics.f1_macro,
    )

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
        params={"model": model, "seed": seed, "test_size": test_size, **params},
        metrics=metrics,
        feature_importances=_importances(estimator, schema.feature_names),
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
    )


class _ModelChoice(StrEnum):
    random_forest = "random_forest"
    logistic_regression = "logistic_regression"


app = typer.Typer(add_completion=False, help="Train a classifier on a dataset and save model, metadata, metrics.")


@app.command()
def main(
    dataset: Annotated[Path, typer.Option(help="A <name>.parquet with its <name>.dataset.json beside it.")],
    model_dir: Annotated[Path | None, typer.Option(help="Default: <data dir>/models.")] = None,
    model: Annotated[_ModelChoice, typer.Option(help="Estimator to fit.")] = _ModelChoice.random_forest,
    seed: Annotated[int, typer.Option(help="Seed for the split and the estimator.")] = 42,
    test_size: Annotated[float, typer.Option(help="Held-out fraction, stratified.")] = 0.25,
) -> None:
    """Train MODEL on DATASET and print its held-out scores."""
    try:
        result = train_classifier(
            dataset,
            model_dir if model_dir is not None else data_paths().models,
            seed=seed,
            test_size=test_size,
            model=model.value,
        )
    except AirnubError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    metrics = result.metrics
    typer.echo(f"{result.model_path}: accuracy {metrics.accuracy:.4f}, macro F1 {metrics.f1_macro:.4f}")


if __name__ == "__main__":
    app()
