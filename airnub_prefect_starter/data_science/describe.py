"""Descriptive statistics of a whole dataset, per column and by its declared type: count, missing, mean, std, min,
quartiles and max of int and float columns; distinct count and most frequent values of str, category and bool
columns; earliest and latest value of date and datetime columns.

Computed by polars from a lazy frame (a Parquet scan, read in streaming batches), in memory that does not grow with
the rows, and exactly as pandas computes them (NaN is missing, std has one degree of freedom, quartiles are
interpolated linearly between the two nearest values):

* one pass over every column for the counts, means, stds, extremes and distinct estimates (HyperLogLog);
* quartiles by selection: a histogram of the column narrows each quartile to one bucket, refined until a bucket
  holds at most ``max_values`` values; only those are sorted;
* one grouped count per str, category and bool column, unless its estimate is above ``max_values`` distinct
  values: then the summary gives the estimate and counts no value (``approximate``).

Deterministic: the same rows give the same statistics (ties among frequent values are broken by value).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from airnub_prefect_starter.data_science.schemas import NUMERIC_TYPES, TableSchema

__all__ = [
    "MAX_VALUES_IN_MEMORY",
    "CategoricalSummary",
    "DatasetDescription",
    "NumericSummary",
    "TemporalSummary",
    "describe_dataset",
    "value_text",
]

#: How many of a column's most frequent values are listed.
TOP_VALUES = 5
#: How many values of one column statistics hold in memory at once (sorted for quartiles, or distinct values
#: counted): about 8 MB of floats.
MAX_VALUES_IN_MEMORY = 1_000_000
_QUARTILES = (0.25, 0.5, 0.75)
#: Buckets of one histogram pass of the quartile selection.
_BUCKETS = 1024
_VALUE = "value"


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
    """A str, category or bool column: its distinct values and the most frequent ones with their counts.
    ``approximate``: more distinct values than statistics count in memory; ``distinct`` is an estimate and
    ``top`` is empty."""

    column: str
    count: int
    missing: int
    distinct: int
    top: tuple[tuple[str, int], ...]
    approximate: bool = False


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

    def missing(self, column: str) -> int:
        """Rows without a value of ``column`` (:class:`KeyError` when it was not described)."""
        summaries: tuple[NumericSummary | CategoricalSummary | TemporalSummary, ...] = (
            *self.numeric,
            *self.categorical,
            *self.temporal,
        )
        for summary in summaries:
            if summary.column == column:
                return summary.missing
        raise KeyError(column)


def value_text(value: object) -> str:
    """A value as reports name it: ``true``/``false`` for a bool, else its text."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def _collect(frame: pl.LazyFrame) -> pl.DataFrame:
    return frame.collect(engine="streaming")


def _finite(value: object) -> float | None:
    if value is None:
        return None
    number = float(value)  # type: ignore[arg-type]  # a polars scalar: int or float
    return number if math.isfinite(number) else None


def _present(name: str) -> pl.Expr:
    """The column as float64 with NaN as missing (as pandas' ``dropna`` sees it)."""
    return pl.col(name).cast(pl.Float64).fill_nan(None)


def _lerp(low: float, high: float, weight: float) -> float:
    """numpy's linear interpolation (and so pandas'): the same float as ``Series.quantile``."""
    step = high - low
    return high - step * (1 - weight) if weight >= 0.5 else low + step * weight


def _bucket(low: float, high: float) -> pl.Expr:
    """The histogram bucket (0 .. _BUCKETS - 1) of each value between ``low`` and ``high`` (exclusive of equal)."""
    value = pl.col(_VALUE)
    if math.isfinite(high - low):
        scaled = (value - low) / (high - low)
    else:  # a span beyond the largest float: halve everything first
        scaled = (value * 0.5 - low * 0.5) / (high * 0.5 - low * 0.5)
    return (scaled * _BUCKETS).floor().clip(0, _BUCKETS - 1).cast(pl.Int64)


@dataclass(frozen=True)
class _Window:
    """Values of the column that satisfy ``where``: ``size`` of them, from ``low`` to ``high``, preceded in sorted
    order by ``below`` values; the ranks sought among them."""

    where: pl.Expr
    below: int
    size: int
    low: float
    high: float
    ranks: tuple[int, ...]


def _values_at_ranks(
    values: pl.LazyFrame, ranks: Sequence[int], count: int, low: float, high: float, max_values: int
) -> dict[int, float]:
    """The values at 0-based ``ranks`` of the sorted column ``value`` of ``values`` (``count`` values, no
    missing one, from ``low`` to ``high``), never holding more than ``max_values`` of them."""
    value = pl.col(_VALUE)
    negative = positive = 0
    if not (math.isfinite(low) and math.isfinite(high)):  # infinities sort first and last; search the rest
        finite = pl.when(value.is_finite()).then(value)
        negative, positive, low, high = _collect(
            values.select(
                (value == -math.inf).sum().alias("negative"),
                (value == math.inf).sum().alias("positive"),
                finite.min().alias("low"),
                finite.max().alias("high"),
            )
        ).row(0)
    found = {rank: -math.inf for rank in ranks if rank < negative}
    found |= {rank: math.inf for rank in ranks if rank >= count - positive}
    searched = tuple(rank for rank in ranks if rank not in found)
    finite_count = count - negative - positive
    windows = [_Window(value.is_finite(), negative, finite_count, low, high, searched)] if searched else []
    while windows:
        for window in (w for w in windows if w.low == w.high):
            found.update(dict.fromkeys(window.ranks, window.low))
        varied = [w for w in windows if w.low != w.high]
        for batch in _batches([w for w in varied if w.size <= max_values], max_values):
            found.update(_sorted_ranks(values, batch))
        windows = [child for w in varied if w.size > max_values for child in _narrowed(values, w)]
    return found


def _batches(windows: list[_Window], max_values: int) -> list[list[_Window]]:
    """Windows grouped so that each group holds at most ``max_values`` values (read in one pass)."""
    batches: list[list[_Window]] = []
    held = max_values
    for window in windows:
        if held + window.size > max_values:
            batches.append([])
            held = 0
        batches[-1].append(window)
        held += window.size
    return batches


def _sorted_ranks(values: pl.LazyFrame, windows: list[_Window]) -> dict[int, float]:
    """The ranks sought in ``windows`` (disjoint), from their values read in one pass and sorted per window."""
    label = pl.coalesce([pl.when(window.where).then(number) for number, window in enumerate(windows)])
    read = _collect(values.select(label.alias("window"), _VALUE).filter(pl.col("window").is_not_null()))
    found: dict[int, float] = {}
    for number, window in enumerate(windows):
        ordered = np.sort(read.filter(pl.col("window") == number)[_VALUE].to_numpy())
        found.update((rank, float(ordered[rank - window.below])) for rank in window.ranks)
    return found


def _narrowed(values: pl.LazyFrame, window: _Window) -> list[_Window]:
    """The buckets of ``window``'s histogram that hold a rank it seeks, as windows."""
    bucket = _bucket(window.low, window.high)
    histogram = _collect(
        values.filter(window.where)
        .group_by(bucket.alias("bucket"))
        .agg(pl.len().alias("n"), pl.col(_VALUE).min().alias("low"), pl.col(_VALUE).max().alias("high"))
        .sort("bucket")
    )
    children: list[_Window] = []
    below = window.below
    for number, size, low, high in histogram.iter_rows():
        inside = tuple(rank for rank in window.ranks if below <= rank < below + size)
        if inside:
            children.append(_Window(window.where & (bucket == number), below, size, float(low), float(high), inside))
        below += size
    return children


def _quartiles(
    source: pl.LazyFrame, name: str, count: int, low: float, high: float, max_values: int
) -> tuple[float, float, float]:
    """The column's 25%, 50% and 75% quantiles, linearly interpolated (pandas' default)."""
    values = source.select(_present(name).alias(_VALUE)).filter(pl.col(_VALUE).is_not_null())
    positions = [(count - 1) * q for q in _QUARTILES]
    pairs = [(math.floor(h), min(math.floor(h) + 1, count - 1), h - math.floor(h)) for h in positions]
    ranks = sorted({rank for below, above, _ in pairs for rank in (below, above)})
    found = _values_at_ranks(values, ranks, count, low, high, max_values)
    q25, median, q75 = (_lerp(found[below], found[above], weight) for below, above, weight in pairs)
    return q25, median, q75


def _numeric_aggregates(name: str) -> list[pl.Expr]:
    present = _present(name)
    return [
        present.count().alias(f"{name}:count"),
        present.mean().alias(f"{name}:mean"),
        present.std().alias(f"{name}:std"),
        present.min().alias(f"{name}:min"),
        present.max().alias(f"{name}:max"),
    ]


def _numeric(source: pl.LazyFrame, name: str, rows: int, totals: dict[str, object], max_values: int) -> NumericSummary:
    count = int(totals[f"{name}:count"])  # type: ignore[call-overload]  # a polars count
    low, high = _finite(totals[f"{name}:min"]), _finite(totals[f"{name}:max"])
    quartiles: tuple[float | None, ...] = (None, None, None)
    if count:
        extremes = (float(totals[f"{name}:min"]), float(totals[f"{name}:max"]))  # type: ignore[arg-type]
        quartiles = tuple(map(_finite, _quartiles(source, name, count, *extremes, max_values)))
    return NumericSummary(
        column=name,
        count=count,
        missing=rows - count,
        mean=_finite(totals[f"{name}:mean"]) if count else None,
        std=_finite(totals[f"{name}:std"]) if count > 1 else None,
        min=low,
        q25=quartiles[0],
        median=quartiles[1],
        q75=quartiles[2],
        max=high,
    )


def _categorical(
    source: pl.LazyFrame, name: str, rows: int, totals: dict[str, object], max_values: int
) -> CategoricalSummary:
    count = int(totals[f"{name}:count"])  # type: ignore[call-overload]  # a polars count
    estimate = int(totals[f"{name}:distinct"])  # type: ignore[call-overload]
    if estimate > max_values:
        return CategoricalSummary(name, count, rows - count, estimate, (), approximate=True)
    counts = _collect(source.group_by(name).agg(pl.len().alias("n")).filter(pl.col(name).is_not_null()))
    ranked = sorted(((value_text(v), int(n)) for v, n in counts.iter_rows()), key=lambda item: (-item[1], item[0]))
    return CategoricalSummary(name, count, rows - count, len(ranked), tuple(ranked[:TOP_VALUES]))


def _temporal(name: str, rows: int, totals: dict[str, object]) -> TemporalSummary:
    count = int(totals[f"{name}:count"])  # type: ignore[call-overload]  # a polars count
    earliest, latest = totals[f"{name}:min"], totals[f"{name}:max"]
    return TemporalSummary(
        name,
        count,
        rows - count,
        earliest.isoformat() if count else None,  # type: ignore[attr-defined]  # a date or datetime
        latest.isoformat() if count else None,  # type: ignore[attr-defined]
    )


def describe_dataset(
    source: pl.LazyFrame,
    schema: TableSchema,
    *,
    exclude: Collection[str] = (),
    max_values: int = MAX_VALUES_IN_MEMORY,
) -> DatasetDescription:
    """Summarise every declared column of ``source`` but those in ``exclude``, by the type the schema declares
    for it, over all its rows; ``max_values`` bounds the values of one column held in memory at once."""
    present = set(source.collect_schema().names())
    specs = [spec for spec in schema.columns if spec.name not in exclude and spec.name in present]
    aggregates = [pl.len().alias(":rows")]
    for spec in specs:
        if spec.type in NUMERIC_TYPES:
            aggregates += _numeric_aggregates(spec.name)
        else:
            aggregates.append(pl.col(spec.name).count().alias(f"{spec.name}:count"))
            if spec.type in ("date", "datetime"):
                aggregates += [pl.col(spec.name).min().alias(f"{spec.name}:min")]
                aggregates += [pl.col(spec.name).max().alias(f"{spec.name}:max")]
            else:
                aggregates.append(pl.col(spec.name).approx_n_unique().alias(f"{spec.name}:distinct"))
    totals = _collect(source.select(aggregates)).row(0, named=True)
    rows = int(totals[":rows"])
    numeric: list[NumericSummary] = []
    categorical: list[CategoricalSummary] = []
    temporal: list[TemporalSummary] = []
    for spec in specs:
        if spec.type in NUMERIC_TYPES:
            numeric.append(_numeric(source, spec.name, rows, totals, max_values))
        elif spec.type in ("date", "datetime"):
            temporal.append(_temporal(spec.name, rows, totals))
        else:
            categorical.append(_categorical(source, spec.name, rows, totals, max_values))
    return DatasetDescription(rows, tuple(numeric), tuple(categorical), tuple(temporal))
