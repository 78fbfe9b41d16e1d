"""Feature matrix / target extraction, the model's view of a dataset's target (classes for a classifier, values
for a regressor, none for a descriptive report) and a deterministic train/test split."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import pandas as pd

from airnub_prefect_starter.core.errors import ConfigError
from airnub_prefect_starter.data_science.dataset_store import VerifiedDataset
from airnub_prefect_starter.data_science.describe import value_text
from airnub_prefect_starter.data_science.modeling.metadata import ModelTask
from airnub_prefect_starter.data_science.schemas import ColumnSpec, TableSchema

__all__ = [
    "FeaturesTarget",
    "ModelView",
    "TrainTestFrames",
    "class_names",
    "classification_view",
    "model_task",
    "model_view",
    "regression_view",
    "split_features_target",
    "train_test_split_frame",
]


class FeaturesTarget(NamedTuple):
    """``X`` (float64 feature columns in schema order) and ``y`` (int64 class labels, or float64 values)."""

    features: pd.DataFrame
    target: pd.Series


class ModelView(NamedTuple):
    """The dataset as the model sees it, and which model that is (``None``: no target, statistics only)."""

    task: ModelTask | None
    dataset: VerifiedDataset


class TrainTestFrames(NamedTuple):
    """Two disjoint frames whose union is the input; indexes are reset."""

    train: pd.DataFrame
    test: pd.DataFrame


def split_features_target(df: pd.DataFrame, schema: TableSchema) -> FeaturesTarget:
    """The schema's numeric feature columns and its target of ``df``: int class labels 0, 1, ... or float values;
    :class:`ConfigError` naming a missing column, a schema without a target or a target of another type."""
    target_spec = schema.require_target()
    if target_spec.type not in ("int", "float"):
        raise ConfigError(
            f"schema: target column '{target_spec.name}' is {target_spec.type}; a model needs int labels or float "
            "values"
        )
    wanted = [*schema.feature_names, target_spec.name]
    missing = [name for name in wanted if name not in df.columns]
    if missing:
        raise ConfigError(f"dataset: missing columns {missing}")
    features = df.loc[:, list(schema.feature_names)].astype("float64")
    target = df[target_spec.name].astype("int64" if target_spec.type == "int" else "float64")
    return FeaturesTarget(features, target)


def model_task(schema: TableSchema, target: str | None = None, *, dataset: str = "dataset") -> ModelTask | None:
    """Which model ``target`` (default: the schema's) calls for: none without a target, a regression for a float
    target, a classification for an int, str, category or bool one. :class:`ConfigError` names ``dataset`` and the
    column when the target is not a column or is a date or datetime."""
    column = target or schema.target
    if column is None:
        return None
    if column not in schema.column_names:
        raise ConfigError(f"dataset '{dataset}': target '{column}' is not a column ({', '.join(schema.column_names)})")
    kind = schema.column(column).type
    if kind in ("date", "datetime"):
        raise ConfigError(
            f"dataset '{dataset}': target '{column}' is {kind}; a model predicts an int, str, category or bool "
            "target (classification) or a float target (regression)"
        )
    return "regression" if kind == "float" else "classification"


def model_view(
    dataset: VerifiedDataset, target: str | None = None, *, classes: Sequence[object] | None = None
) -> ModelView:
    """The dataset as its model sees it (:func:`classification_view`, given the target's ``classes`` when the
    rows are a sample of it, or :func:`regression_view`), or as it is when there is no target (default: the
    schema's) to predict."""
    task = model_task(dataset.manifest.table_schema, target, dataset=dataset.manifest.dataset_name)
    if task is None:
        return ModelView(None, dataset)
    if task == "regression":
        return ModelView(task, regression_view(dataset, target))
    return ModelView(task, classification_view(dataset, target, classes=classes))


def regression_view(dataset: VerifiedDataset, target: str | None = None) -> VerifiedDataset:
    """The dataset as a regressor sees it: the float column ``target`` (default: the schema's) as the schema's
    target, rows with an empty target left out. :class:`ConfigError` names the dataset and the column when the
    target is not a float, takes fewer than two distinct values, or there is no numeric feature to learn from."""
    manifest, frame = dataset.manifest, dataset.frame
    schema, name = manifest.table_schema, manifest.dataset_name
    column = target or schema.target
    if model_task(schema, column, dataset=name) != "regression":
        kind = schema.column(column).type if column else "missing"
        raise ConfigError(f"dataset '{name}': target '{column}' is {kind}; a regression needs a float target")
    assert column is not None  # a regression has a target
    kept = frame[frame[column].notna()].reset_index(drop=True)
    chosen = TableSchema.model_validate({**schema.model_dump(), "target": column, "target_labels": None})
    if not chosen.feature_names:
        raise ConfigError(_NO_FEATURE.format(name=name, column=column))
    if kept[column].nunique() < 2:
        raise ConfigError(
            f"dataset '{name}': target '{column}' has {kept[column].nunique()} distinct value(s); a regression "
            "needs it to vary"
        )
    return VerifiedDataset(manifest if chosen == schema else manifest.model_copy(update={"table_schema": chosen}), kept)


_NO_FEATURE = (
    "dataset '{name}': no int, float or bool column besides the target '{column}' to learn from (primary key and "
    "unique columns are no features)"
)


def _declares_classes(schema: TableSchema) -> bool:
    target = schema.require_target()
    return target.type == "int" and (schema.target_labels is not None or bool(target.checks.allowed))


def _targeting(schema: TableSchema, column: str) -> TableSchema:
    """``schema`` with ``column`` as its target (its class names kept only when it already was the target)."""
    labels = schema.target_labels if column == schema.target else None
    return TableSchema.model_validate({**schema.model_dump(), "target": column, "target_labels": labels})


def class_names(schema: TableSchema, column: str, values: Sequence[object]) -> tuple[str, ...]:
    """What a classifier of ``column`` calls each of ``values``: the declared name of an int target's class
    (``target_labels``, or the ``allowed`` int itself), else the value as text (``true``/``false``)."""
    chosen = _targeting(schema, column)
    if chosen.column(column).type == "int" and _declares_classes(chosen):
        return tuple(chosen.label_name(int(v)) for v in values)  # type: ignore[call-overload]  # an int class
    return tuple(value_text(v) for v in values)


def classification_view(
    dataset: VerifiedDataset, target: str | None = None, *, classes: Sequence[object] | None = None
) -> VerifiedDataset:
    """The dataset as a classifier sees it: ``target`` (default: the schema's) as int class labels 0, 1, ...

    An int target whose schema names its classes (``target_labels``, or ``allowed`` ints) is taken as it is. Any
    other int, str, category or bool target is encoded: its distinct values (``classes``, given when the rows are
    a sample of a dataset with more values; else the rows'), sorted, become classes 0, 1, ..., named by the value,
    and the schema says so (an int target with ``target_labels``). Rows with an empty target are left out.
    :class:`ConfigError` names the dataset and the column when there is no target, the target is a float
    (:func:`regression_view`), it has fewer than two classes, or there is no numeric feature to learn from."""
    manifest, frame = dataset.manifest, dataset.frame
    schema, name = manifest.table_schema, manifest.dataset_name
    column = target or schema.target
    if column is None:
        raise ConfigError(
            f"dataset '{name}': no target column (declare schema.target in the processing config, or give the "
            "analysis a target)"
        )
    if column not in schema.column_names:
        raise ConfigError(f"dataset '{name}': target '{column}' is not a column ({', '.join(schema.column_names)})")
    spec = schema.column(column)
    if spec.type in ("float", "date", "datetime"):
        raise ConfigError(
            f"dataset '{name}': target '{column}' is {spec.type}; a classifier needs an int, str, category or bool "
            "target (a float target is a regression)"
        )
    kept = frame[frame[column].notna()].reset_index(drop=True)
    chosen = _targeting(schema, column)
    if not chosen.feature_names:
        raise ConfigError(_NO_FEATURE.format(name=name, column=column))
    if _declares_classes(chosen):
        return VerifiedDataset(
            manifest if chosen == schema else manifest.model_copy(update={"table_schema": chosen}), kept
        )
    values = sorted(kept[column].unique().tolist() if classes is None else classes)
    if len(values) < 2:
        raise ConfigError(f"dataset '{name}': target '{column}' has {len(values)} class(es); a classifier needs two")
    codes = {value: code for code, value in enumerate(values)}
    encoded = kept.assign(**{column: kept[column].map(codes).astype("int64")})
    names = class_names(chosen, column, values)
    columns = [ColumnSpec(name=c.name, type="int") if c.name == column else c for c in chosen.columns]
    encoded_schema = TableSchema.model_validate({**chosen.model_dump(), "columns": columns, "target_labels": names})
    return VerifiedDataset(manifest.model_copy(update={"table_schema": encoded_schema}), encoded)


def train_test_split_frame(
    df: pd.DataFrame, test_size: float, seed: int, *, stratify_by: str | None = "target"
) -> TrainTestFrames:
    """Split ``df`` stratified on ``stratify_by`` (``None``: a plain shuffled split, as a regression's); the same
    frame, size and seed always give the same rows.

    Raises :class:`ConfigError` when ``test_size`` is not in (0, 1) or a class is too small to appear on both
    sides.
    """
    if not 0.0 < test_size < 1.0:
        raise ConfigError(f"test_size: {test_size} must be between 0 and 1 (exclusive)")
    if stratify_by is not None and stratify_by not in df.columns:
        raise ConfigError(f"stratify_by: no column {stratify_by!r} (have: {list(df.columns)})")
    # Imported here: scikit-learn takes seconds to import and prediction/plotting never split.
    from sklearn.model_selection import train_test_split

    try:
        strata = df[stratify_by] if stratify_by is not None else None
        train, test = train_test_split(df, test_size=test_size, random_state=seed, stratify=strata)
    except ValueError as exc:  # a class with one member, or too few rows for the requested test size
        how = "stratified" if stratify_by is not None else "split"
        raise ConfigError(f"test_size {test_size} with {len(df)} rows cannot be {how}: {exc}") from exc
    return TrainTestFrames(train.reset_index(drop=True), test.reset_index(drop=True))
