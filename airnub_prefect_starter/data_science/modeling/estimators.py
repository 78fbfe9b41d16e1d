"""The estimators a model is fitted with, per task, and what each says about its features' importance."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from airnub_prefect_starter.core.errors import ConfigError
from airnub_prefect_starter.data_science.modeling.metadata import TASK_MODELS, ModelKind, ModelTask

__all__ = ["MAX_LEAVES", "ParamValue", "build_estimator", "feature_importances"]

ParamValue = str | int | float | bool | None

#: Leaves of one tree of a random forest, at most.
MAX_LEAVES = 4096


def build_estimator(
    model: ModelKind, seed: int, task: ModelTask = "classification"
) -> tuple[Any, dict[str, ParamValue]]:
    """A fresh, seeded estimator for ``task`` and the hyper-parameters worth recording; :class:`ConfigError` when
    ``model`` does not fit the task (a logistic regression does not regress, a linear regression does not
    classify)."""
    if model not in TASK_MODELS[task]:
        raise ConfigError(f"model: {model!r} does not fit a {task}; use {' or '.join(TASK_MODELS[task])}")
    if model == "random_forest":
        # Trees of at most MAX_LEAVES leaves: grown out on 150,000 training rows, a tree has some 100,000 nodes
        # (over 10 MB) and the forest gigabytes; so bounded, the forest stays near 100 MB whatever the rows.
        params: dict[str, ParamValue] = {
            "n_estimators": 200,
            "max_depth": None,
            "max_leaf_nodes": MAX_LEAVES,
            "random_state": seed,
            "n_jobs": 1,
        }
        forest = RandomForestClassifier if task == "classification" else RandomForestRegressor
        return forest(**params), params
    if model == "linear_regression":
        return Pipeline([("scale", StandardScaler()), ("regress", LinearRegression())]), {"scaler": "standard"}
    params = {"C": 1.0, "max_iter": 1000, "random_state": seed, "scaler": "standard"}
    estimator = Pipeline(
        [("scale", StandardScaler()), ("classify", LogisticRegression(C=1.0, max_iter=1000, random_state=seed))]
    )
    return estimator, params


def feature_importances(estimator: Any, feature_names: tuple[str, ...]) -> dict[str, float]:
    """Per feature, shares summing to 1: a forest's impurity importances, or a linear model's mean absolute
    (standardised) coefficient."""
    if hasattr(estimator, "feature_importances_"):
        raw = np.asarray(estimator.feature_importances_, dtype="float64")
    else:
        coefficients = np.abs(np.asarray(estimator[-1].coef_, dtype="float64"))
        raw = coefficients.reshape(-1, len(feature_names)).mean(axis=0)
    total = float(raw.sum()) or 1.0
    return {name: round(float(value) / total, 12) for name, value in zip(feature_names, raw, strict=True)}
