"""What training leaves beside a model: metrics and a metadata record tying the model to its data.

::

    <stem>.joblib               the fitted estimator (a pickle: load it only after checking its sha256)
    <stem>.metadata.json        ModelMetadata: model sha256, dataset sha256, raw input sha256s, params, metrics
    metrics.json                MetricsFile: the latest evaluation in the folder, with the same identifiers

A classifier's metrics are :class:`ClassificationMetrics`, a regressor's :class:`RegressionMetrics`; the type of
the metrics says which task a model solves (:attr:`ModelMetadata.task`).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from airnub_prefect_starter.core.errors import ConfigError
from airnub_prefect_starter.data_science.schemas import TableSchema

__all__ = [
    "MODEL_METADATA_SCHEMA_VERSION",
    "ClassScore",
    "ClassificationMetrics",
    "MetricsFile",
    "ModelKind",
    "ModelMetadata",
    "ModelMetrics",
    "ModelTask",
    "RegressionMetrics",
    "TASK_MODELS",
    "load_model_metadata",
    "model_metadata_path",
]

MODEL_METADATA_SCHEMA_VERSION: Final = 1

#: ``random_forest`` fits either task; ``logistic_regression`` only classifies, ``linear_regression`` only regresses.
ModelKind = Literal["random_forest", "logistic_regression", "linear_regression"]
#: What a model predicts: classes of an int, str, category or bool target, or the values of a float target.
ModelTask = Literal["classification", "regression"]
#: The estimators that fit each task.
TASK_MODELS: Final[dict[ModelTask, tuple[ModelKind, ...]]] = {
    "classification": ("random_forest", "logistic_regression"),
    "regression": ("random_forest", "linear_regression"),
}
ParamValue = str | int | float | bool | None


class ClassScore(BaseModel):
    """Precision, recall and F1 of one class on the held-out split."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    precision: float
    recall: float
    f1: float
    support: int


class ClassificationMetrics(BaseModel):
    """Held-out evaluation. ``confusion_matrix[i][j]``: rows of true ``labels[i]`` predicted as ``labels[j]``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    accuracy: float = Field(ge=0.0, le=1.0)
    f1_macro: float = Field(ge=0.0, le=1.0)
    labels: tuple[str, ...]
    per_class: dict[str, ClassScore]
    confusion_matrix: tuple[tuple[int, ...], ...]
    n_train: int
    n_test: int


class RegressionMetrics(BaseModel):
    """Held-out evaluation of a regressor: R² (1 is perfect, 0 is the mean's score, below 0 worse than the mean),
    mean absolute error and root mean squared error (in the target's unit)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    r2: float
    mae: float = Field(ge=0.0)
    rmse: float = Field(ge=0.0)
    n_train: int
    n_test: int


#: Either evaluation; the two share no required field name, so a stored file parses as exactly one of them.
ModelMetrics = ClassificationMetrics | RegressionMetrics


class _Identified(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", protected_namespaces=())

    model_file: str
    model_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    dataset_name: str
    dataset_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    input_sha256s: tuple[str, ...]


class MetricsFile(_Identified):
    """``metrics.json``: the evaluation and the identities of the model and data it was computed on."""

    schema_version: Literal[1] = MODEL_METADATA_SCHEMA_VERSION
    metrics: ModelMetrics


class ModelMetadata(_Identified):
    """``<stem>.metadata.json``. Everything but ``created_at`` is a function of dataset, params and library."""

    schema_version: Literal[1] = MODEL_METADATA_SCHEMA_VERSION
    model_kind: ModelKind
    table_schema: TableSchema
    params: dict[str, ParamValue]
    metrics: ModelMetrics
    feature_importances: dict[str, float] = Field(description="Per feature, in schema order; sums to 1.")
    sklearn_version: str
    python_version: str
    tool_version: str
    created_at: datetime

    @property
    def task(self) -> ModelTask:
        return "regression" if isinstance(self.metrics, RegressionMetrics) else "classification"

    def same_content(self, other: ModelMetadata) -> bool:
        return self.model_dump(exclude={"created_at"}) == other.model_dump(exclude={"created_at"})

    def to_json_bytes(self) -> bytes:
        return self.model_dump_json(indent=2).encode("utf-8") + b"\n"


def model_metadata_path(model_path: Path) -> Path:
    """``<dir>/<stem>.joblib`` -> ``<dir>/<stem>.metadata.json``."""
    return model_path.with_name(f"{model_path.stem}.metadata.json")


def load_model_metadata(model_path: Path) -> ModelMetadata:
    """The metadata beside ``model_path``; :class:`ConfigError` naming the file when absent or invalid."""
    path = model_metadata_path(model_path)
    try:
        return ModelMetadata.model_validate_json(path.read_bytes())
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read model metadata: {exc.strerror or exc}") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(map(str, first["loc"])) or "(top level)"
        raise ConfigError(f"{path}: {where}: {first['msg']}") from exc
