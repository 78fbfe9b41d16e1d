"""Rows on their way into a dataset: as read from one raw object (:class:`RawRows`), every row kept out of the
dataset with the reason (:class:`QuarantinedRow`), and the checked result (:class:`ParsedTable`).

Readers (:mod:`~airnub_prefect_starter.data_science.readers`) produce raw rows, validation
(:mod:`~airnub_prefect_starter.data_science.validation`) types and checks them, and the dataset store
(:mod:`~airnub_prefect_starter.data_science.dataset_store`) writes the result.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from airnub_prefect_starter.data_science.schemas import TableSchema

if TYPE_CHECKING:  # pandas is imported where a frame is made: a dataset build never needs it
    import pandas as pd

__all__ = ["LocationKind", "ParsedTable", "QuarantineCheck", "QuarantinedRow", "RawRows"]

LocationKind = Literal["line", "record"]
QuarantineCheck = Literal[
    "field_count",
    "malformed",
    "not_an_object",
    "missing",
    "type",
    "non_finite",
    "min",
    "max",
    "allowed",
    "regex",
    "unique",
    "primary_key",
]


@dataclass(frozen=True)
class QuarantinedRow:
    """A row kept out of the dataset: the raw object it came from, where in it (1-based line where the row starts
    for csv, tsv and jsonl; 0-based record index for json and parquet), the first failing column, check and value,
    and every problem of the row in ``reason``."""

    object_sha256: str
    location: int
    column: str
    check: QuarantineCheck
    value: str
    reason: str


@dataclass(frozen=True)
class RawRows:
    """The rows of one raw object as read, before typing: input column names, one tuple of values per row (text
    for csv/tsv, JSON or Parquet scalars otherwise; ``None`` for an empty value), where each row starts, and the
    rows the reader itself had to reject (wrong field count, malformed line)."""

    object_sha256: str
    columns: tuple[str, ...]
    rows: tuple[tuple[object, ...], ...]
    #: Where each row starts (a ``range`` when rows are numbered from 0, as for Parquet).
    locations: Sequence[int]
    rejected: tuple[QuarantinedRow, ...]
    location_kind: LocationKind
    #: False when reading stopped at a row limit before the end of the object.
    complete: bool = True

    @property
    def rows_in(self) -> int:
        return len(self.rows) + len(self.rejected)


@dataclass(frozen=True, eq=False)
class ParsedTable:
    """The clean rows as a frame in schema column order, every row that did not make it, and the sha256 of every
    raw object read."""

    schema: TableSchema
    frame: pd.DataFrame
    quarantine: tuple[QuarantinedRow, ...]
    rows_in: int
    location_kind: LocationKind
    input_sha256s: tuple[str, ...] = ()

    @property
    def rows_out(self) -> int:
        return len(self.frame)

    @property
    def rows_quarantined(self) -> int:
        return len(self.quarantine)

    def quarantine_counts(self) -> dict[str, int]:
        """Quarantined rows per check (the first failing one of each row), sorted by check."""
        return dict(sorted(Counter(row.check for row in self.quarantine).items()))
