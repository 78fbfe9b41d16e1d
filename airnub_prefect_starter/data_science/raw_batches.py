"""What every reader yields (:class:`RawBatch`), the base of the readers (:class:`RawReader`) and how much each
reads at a time. Readers: :mod:`~airnub_prefect_starter.data_science.readers` (json, jsonl, parquet and the entry
point) and :mod:`~airnub_prefect_starter.data_science.delimited` (csv, tsv)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import polars as pl

from airnub_prefect_starter.data_science.tables import LocationKind, QuarantinedRow

__all__ = ["BATCH_ROWS", "CHUNK_BYTES", "RawBatch", "RawReader", "rejected_row"]

_PREVIEW = 200
#: Bytes read and parsed at a time (csv, tsv, jsonl). Read where used (``raw_batches.CHUNK_BYTES``), so that a
#: test can make it small.
CHUNK_BYTES = 4 << 20
#: Rows per batch of json, jsonl and parquet (and of text the ``csv`` module reads).
BATCH_ROWS = 256 * 1024


@dataclass(frozen=True, eq=False)
class RawBatch:
    """Rows of one raw object as read, before typing: the wanted input columns (text as it is for csv/tsv, null
    values included; JSON or Parquet values otherwise), where each row starts, and the rows the reader itself
    rejected (wrong field count, malformed line, not an object)."""

    frame: pl.DataFrame
    locations: np.ndarray
    rejected: list[QuarantinedRow]

    @property
    def rows_in(self) -> int:
        return self.frame.height + len(self.rejected)


def rejected_row(
    sha256: str, location: int, check: Literal["field_count", "malformed", "not_an_object"], value: str, reason: str
) -> QuarantinedRow:
    return QuarantinedRow(sha256, location, "", check, value[:_PREVIEW], reason)


class RawReader:
    """One raw object's rows, batch by batch. ``columns`` names the input's columns (known from the header for
    csv/tsv before the first batch; for json and jsonl, every key seen so far: complete once the batches are
    exhausted)."""

    location_kind: LocationKind = "record"

    def __init__(self, sha256: str, where: str) -> None:
        self.sha256 = sha256
        self.where = where
        self.columns: dict[str, None] = {}

    def batches(self, wanted: Sequence[str] | None = None) -> Iterator[RawBatch]:
        """Batches holding the input columns ``wanted`` (json, jsonl: a key the input lacks reads as null;
        default: every column, for json and jsonl every key seen up to that batch)."""
        raise NotImplementedError
