"""A parsed table: the clean rows in schema column order, and every row kept out of it (with the reason).

Parsers (:mod:`~airnub_prefect_starter.data_science.dataset_processing`) produce it; the dataset store
(:mod:`~airnub_prefect_starter.data_science.dataset_store`) writes it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pandas as pd

from airnub_prefect_starter.data_science.schemas import TableSchema
from airnub_prefect_starter.data_science.validation import QuarantineCode

__all__ = ["ParsedTable", "QuarantinedRow"]


@dataclass(frozen=True)
class QuarantinedRow:
    """A row kept out of the dataset. ``line`` is the 1-based CSV line (header = 1) or the 0-based record index."""

    line: int
    code: QuarantineCode
    reason: str
    raw: str


@dataclass(frozen=True, eq=False)
class ParsedTable:
    """The clean rows as a frame in schema column order, and every row that did not make it."""

    schema: TableSchema
    frame: pd.DataFrame
    quarantine: tuple[QuarantinedRow, ...]
    rows_in: int
    source: Path
    source_sha256: str
    location_kind: Literal["line", "record"]
    declared_rows: int | None = None

    @property
    def rows_out(self) -> int:
        return len(self.frame)

    @property
    def rows_quarantined(self) -> int:
        return len(self.quarantine)

    def quarantine_counts(self) -> dict[str, int]:
        """Quarantined rows per :data:`QuarantineCode`, sorted by code."""
        return dict(sorted(Counter(row.code for row in self.quarantine).items()))
