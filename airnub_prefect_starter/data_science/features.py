"""Feature matrix / target extraction and a deterministic stratified train/test split."""

from __future__ import annotations

from typing import NamedTuple

import pandas as pd

from airnub_prefect_starter.core.errors import ConfigError
from airnub_prefect_starter.data_science.schemas import TableSchema

__all__ = ["FeaturesTarget", "TrainTestFrames", "split_features_target", "train_test_split_frame"]


class FeaturesTarget(NamedTuple):
    """``X`` (float64 feature columns in schema order) and ``y`` (the integer target)."""

    features: pd.DataFrame
    target: pd.Series


class TrainTestFrames(NamedTuple):
    """Two disjoint frames whose union is the input; indexes are reset."""

    train: pd.DataFrame
    test: pd.DataFrame


def split_features_target(df: pd.DataFrame, schema: TableSchema) -> FeaturesTarget:
    """The schema's numeric feature columns and its int target of ``df``; :class:`ConfigError` naming a missing
    column, a schema without a target or a target that is not an int (class labels 0, 1, ...)."""
    target_spec = schema.require_target()
    if target_spec.type != "int":
        raise ConfigError(f"schema: target column '{target_spec.name}' is {target_spec.type}; a model needs int labels")
    wanted = [*schema.feature_names, target_spec.name]
    missing = [name for name in wanted if name not in df.columns]
    if missing:
        raise ConfigError(f"dataset: missing columns {missing}")
    features = df.loc[:, list(schema.feature_names)].astype("float64")
    target = df[target_spec.name].astype("int64")
    return FeaturesTarget(features, target)


def train_test_split_frame(
    df: pd.DataFrame, test_size: float, seed: int, *, stratify_by: str = "target"
) -> TrainTestFrames:
    """Split ``df`` stratified on ``stratify_by``; the same frame, size and seed always give the same rows.

    Raises :class:`ConfigError` when ``test_size`` is not in (0, 1) or a class is too small to appear on both
    sides.
    """
    if not 0.0 < test_size < 1.0:
        raise ConfigError(f"test_size: {test_size} must be between 0 and 1 (exclusive)")
    if stratify_by not in df.columns:
        raise ConfigError(f"stratify_by: no column {stratify_by!r} (have: {list(df.columns)})")
    # Imported here: scikit-learn takes seconds to import and prediction/plotting never split.
    from sklearn.model_selection import train_test_split

    try:
        train, test = train_test_split(df, test_size=test_size, random_state=seed, stratify=df[stratify_by])
    except ValueError as exc:  # a class with one member, or too few rows for the requested test size
        raise ConfigError(f"test_size {test_size} with {len(df)} rows cannot be stratified: {exc}") from exc
    return TrainTestFrames(train.reset_index(drop=True), test.reset_index(drop=True))
