"""Load a saved model (after checking its hash: a joblib file is a pickle) and predict a dataset.

Run as a script::

    python -m airnub_prefect_starter.data_science.modeling.predict --model data/models/iris_random_forest.joblib \\
        --dataset data/processed/iris.parquet --min-accuracy 0.9
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Any

import joblib
import numpy as np
import pandas as pd
import typer

from airnub_prefect_starter.common.utils import sha256_file
from airnub_prefect_starter.core.errors import AirnubError, ConfigError, IntegrityError, StorageError
from airnub_prefect_starter.data_science.dataset_store import atomic_write_bytes, read_dataset
from airnub_prefect_starter.data_science.modeling.metadata import ModelMetadata, load_model_metadata

__all__ = ["accuracy", "app", "load_model", "predict"]

logger = logging.getLogger(__name__)


def load_model(model_path: Path) -> tuple[Any, ModelMetadata]:
    """The estimator and its metadata. The file must hash to the metadata's ``model_sha256`` before unpickling."""
    metadata = load_model_metadata(model_path)
    try:
        actual = sha256_file(model_path)
    except OSError as exc:
        raise StorageError(f"{model_path}: cannot read model: {exc.strerror or exc}") from exc
    if actual != metadata.model_sha256:
        raise IntegrityError(f"{model_path}: sha256 {actual} differs from its metadata's {metadata.model_sha256}")
    return joblib.load(model_path), metadata


def predict(model_path: Path, dataset_path: Path) -> pd.DataFrame:
    """One row per dataset row: a classifier's ``prediction`` and ``prediction_name``, plus ``target`` and
    ``correct`` if known; a regressor's ``prediction``, plus ``target`` and ``error`` (prediction - target)."""
    estimator, metadata = load_model(model_path)
    schema = metadata.table_schema
    frame = read_dataset(dataset_path)
    missing = [name for name in schema.feature_names if name not in frame.columns]
    if missing:
        raise ConfigError(f"{dataset_path}: missing feature columns {missing} of its schema")
    features = frame.loc[:, list(schema.feature_names)].astype("float64")
    known = schema.target is not None and schema.target in frame.columns
    if metadata.task == "regression":
        values = np.asarray(estimator.predict(features), dtype="float64")
        regressed = pd.DataFrame({"prediction": values})
        if known:
            regressed["target"] = frame[schema.require_target().name].to_numpy(dtype="float64")
            regressed["error"] = regressed["prediction"] - regressed["target"]
        logger.info("predicted %d rows of %s with %s", len(regressed), dataset_path.name, model_path.name)
        return regressed
    predicted = np.asarray(estimator.predict(features), dtype="int64")
    result = pd.DataFrame(
        {
            "prediction": predicted,
            "prediction_name": pd.Series([schema.label_name(int(p)) for p in predicted], dtype="str"),
        }
    )
    if known:
        result["target"] = frame[schema.require_target().name].to_numpy(dtype="int64")
        result["correct"] = result["prediction"] == result["target"]
    logger.info("predicted %d rows of %s with %s", len(result), dataset_path.name, model_path.name)
    return result


def accuracy(predictions: pd.DataFrame) -> float:
    """Share of correct rows in a :func:`predict` result; :class:`ConfigError` when it has no ``target``."""
    if "correct" not in predictions.columns:
        raise ConfigError("predictions: no class labels to compare (unlabelled, or a regression): no accuracy")
    if predictions.empty:
        raise ConfigError("predictions: no rows, accuracy is undefined")
    return float(predictions["correct"].mean())


app = typer.Typer(add_completion=False, help="Predict a dataset with a saved model and check its accuracy.")


@app.command()
def main(
    model: Annotated[Path, typer.Option(help="A <stem>.joblib with its <stem>.metadata.json beside it.")],
    dataset: Annotated[Path, typer.Option(help="A dataset written by dataset_processing.")],
    out: Annotated[Path | None, typer.Option(help="Write the predictions here as CSV.")] = None,
    min_accuracy: Annotated[float | None, typer.Option(help="Exit 1 when accuracy is below this.")] = None,
) -> None:
    """Predict DATASET with MODEL; print accuracy when the dataset is labelled."""
    try:
        predictions = predict(model, dataset)
        if out is not None:
            atomic_write_bytes(out, predictions.to_csv(index=False, lineterminator="\n").encode("utf-8"))
        score = accuracy(predictions) if "correct" in predictions.columns else None
    except AirnubError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    if "error" in predictions.columns:
        mae = float(predictions["error"].abs().mean()) if len(predictions) else float("nan")
        typer.echo(f"{len(predictions)} rows predicted (a regression: MAE {mae:.4g}, no accuracy)")
        if min_accuracy is not None:
            typer.echo(f"error: --min-accuracy does not apply to the regressor {model.name}", err=True)
            raise typer.Exit(2)
        return
    if score is None:
        typer.echo(f"{len(predictions)} rows predicted (unlabelled, no accuracy)")
        return
    typer.echo(f"{len(predictions)} rows predicted, accuracy {score:.4f}")
    if min_accuracy is not None and score < min_accuracy:
        typer.echo(f"accuracy {score:.4f} is below the floor {min_accuracy:.4f}", err=True)
        raise typer.Exit(1)


if __name__ == "__main__":
    app()
