"""Held-out scores: a classifier's accuracy, macro F1, per-class scores and confusion matrix; a regressor's R²,
MAE and RMSE."""

from __future__ import annotations

import math
from typing import Any

from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    mean_absolute_error,
    mean_squared_error,
    precision_recall_fscore_support,
    r2_score,
)

from airnub_prefect_starter.data_science.modeling.metadata import ClassificationMetrics, ClassScore, RegressionMetrics
from airnub_prefect_starter.data_science.schemas import TableSchema

__all__ = ["evaluate", "evaluate_regression"]


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


def evaluate_regression(y_true: Any, y_pred: Any, *, n_train: int) -> RegressionMetrics:
    """R² (0 when the held-out targets do not vary and are not all predicted exactly), MAE and RMSE."""
    return RegressionMetrics(
        r2=float(r2_score(y_true, y_pred)),
        mae=float(mean_absolute_error(y_true, y_pred)),
        rmse=math.sqrt(float(mean_squared_error(y_true, y_pred))),
        n_train=n_train,
        n_test=len(y_true),
    )
