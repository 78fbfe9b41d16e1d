"""Descriptive statistics of a dataset, per column and by its declared type: count, missing, mean, std, min,
quartiles and max of int and float columns; distinct count and most frequent values of str, category and bool
columns; earliest and latest value of date and datetime columns.

Pure and deterministic: the same rows give the same statistics (ties among frequent values are broken by value).
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass

import pandas as pd

from airnub_prefect_starter.data_science.schemas import NUMERIC_TYPES, TableSchema

__all__ = [
    "CategoricalSummary",
    "DatasetDescription",
    "NumericSummary",
    "TemporalSummary",
    "describe_dataset",
]

#: How many of a column's most frequent values are listed.
TOP_VALUES = 5


@dataclass(frozen=True)
class NumericSummary:
    """An int or float column; every statistic is ``None`` when the column has no value (std: fewer than two)."""

    column: str
    count: int
    missing: int
    mean: float | None
    std: float | None
    min: float | None
    q25: float | None
    median: float | None
    q75: float | None
    max: float | None


@dataclass(frozen=True)
class CategoricalSummary:
    """A str, category or bool column: its distinct values and the most frequent ones with their counts."""

    column: str
    count: int
    missing: int
    distinct: int
    top: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class TemporalSummary:
    """A date or datetime column: earliest and latest value (ISO 8601), ``None`` when it has none."""

    column: str
    count: int
    missing: int
    earliest: str | None
    latest: str | None


@dataclass(frozen=True)
class DatasetDescription:
    """The columns of a dataset summarised by type, each list in schema order."""

    rows: int
    numeric: tuple[NumericSummary, ...]
    categorical: tuple[CategoricalSummary, ...]
    temporal: tuple[TemporalSummary, ...]


def _finite(value: object) -> float | None:
    number = float(value)  # type: ignore[arg-type]  # a pandas scalar
    return number if math.isfinite(number) else None


def _numeric(name: str, values: pd.Series) -> NumericSummary:
    present = values.dropna().astype("float64")
    quartiles = present.quantile([0.25, 0.5, 0.75]).tolist() if len(present) else [None, None, None]
    return NumericSummary(
        column=name,
        count=len(present),
        missing=len(values) - len(present),
        mean=_finite(present.mean()) if len(present) else None,
        std=_finite(present.std()) if len(present) > 1 else None,
        min=_finite(present.min()) if len(present) else None,
        q25=quartiles[0],
        median=quartiles[1],
        q75=quartiles[2],
        max=_finite(present.max()) if len(present) else None,
    )


def _text(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _categorical(name: str, values: pd.Series) -> CategoricalSummary:
    present = values.dropna().map(_text)
    counts = present.value_counts()
    ranked = sorted(((str(v), int(n)) for v, n in counts.items()), key=lambda item: (-item[1], item[0]))
    return CategoricalSummary(name, len(present), len(values) - len(present), len(counts), tuple(ranked[:TOP_VALUES]))


def _temporal(name: str, values: pd.Series) -> TemporalSummary:
    present = values.dropna()
    earliest = present.min().isoformat() if len(present) else None
    latest = present.max().isoformat() if len(present) else None
    return TemporalSummary(name, len(present), len(values) - len(present), earliest, latest)


def describe_dataset(frame: pd.DataFrame, schema: TableSchema, *, exclude: Collection[str] = ()) -> DatasetDescription:
    """Summarise every declared column of ``frame`` but those in ``exclude`` (a classifier's encoded target, say),
    by the type the schema declares for it."""
    numeric: list[NumericSummary] = []
    categorical: list[CategoricalSummary] = []
    temporal: list[TemporalSummary] = []
    for spec in schema.columns:
        if spec.name in exclude or spec.name not in frame.columns:
            continue
        values = frame[spec.name]
        if spec.type in NUMERIC_TYPES:
            numeric.append(_numeric(spec.name, values))
        elif spec.type in ("date", "datetime"):
            temporal.append(_temporal(spec.name, values))
        else:
            categorical.append(_categorical(spec.name, values))
    return DatasetDescription(len(frame), tuple(numeric), tuple(categorical), tuple(temporal))
