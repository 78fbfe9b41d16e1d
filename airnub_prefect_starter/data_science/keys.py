"""The primary key and ``unique`` columns across every batch of every object of a dataset: a row repeating the
key of a row kept before it (earlier in the object, or in an earlier object) is quarantined; the first is kept.

Keys already kept are held as sorted NumPy arrays (a few runs, merged as they grow, as a log-structured merge
tree does): 8 bytes a row for a single int key (its value: exact), 16 for any other key (two independent 64-bit
hashes of its values), so a dataset of 30 million rows holds at most about 480 MB of keys. Two different keys
are taken for the same only if both hashes collide (odds about 1 in 10^19 for 30 million keys); keys sharing
their first hash are all compared.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from airnub_prefect_starter.data_science.schemas import TableSchema
from airnub_prefect_starter.data_science.tables import QuarantineCheck, QuarantinedRow
from airnub_prefect_starter.data_science.validation import CheckedBatch, preview

__all__ = ["KeyTracker"]

_SEEDS = (0x5EED_0001, 0x5EED_0002)
#: Runs are merged up to this many keys (64 MB of int keys): a merge never needs more than twice that, and a
#: dataset of 30 million rows keeps about four such runs.
_MAX_MERGED = 8 << 20


@dataclass
class _Run:
    """Keys sorted by their first value, with the second alongside (absent for int keys, which are exact)."""

    first: np.ndarray
    second: np.ndarray | None

    @property
    def size(self) -> int:
        return int(self.first.size)


@dataclass
class _SeenKeys:
    """Keys of the rows kept so far, in sorted runs; runs of similar size are merged (a few runs at any time,
    each key copied a logarithmic number of times). A batch is looked up only in the runs its key range
    overlaps, so increasing keys (ids, times) cost one comparison of bounds."""

    runs: list[_Run] = field(default_factory=list)

    def contains(self, first: np.ndarray, second: np.ndarray | None) -> np.ndarray:
        found = np.zeros(first.size, dtype=bool)
        if not first.size:
            return found
        low, high = first.min(), first.max()
        for run in self.runs:
            if run.first[0] > high or run.first[-1] < low:
                continue
            left = np.searchsorted(run.first, first)
            at = np.minimum(left, run.size - 1)
            hit = run.first[at] == first
            if run.second is not None and second is not None:
                same = run.second[at] == second
                # keys sharing a first hash sit side by side: look at every one of them (rare)
                for query in np.flatnonzero(hit & ~same).tolist():
                    stop = int(np.searchsorted(run.first, first[query], side="right"))
                    same[query] = bool((run.second[int(left[query]) : stop] == second[query]).any())
                hit &= same
            found |= hit
        return found

    def add(self, first: np.ndarray, second: np.ndarray | None) -> None:
        if not first.size:
            return
        self.runs.append(_sorted(first, second))
        while (
            len(self.runs) > 1
            and self.runs[-2].size <= 2 * self.runs[-1].size
            and self.runs[-2].size + self.runs[-1].size <= _MAX_MERGED
        ):
            newer, older = self.runs.pop(), self.runs.pop()
            seconds = None
            if older.second is not None and newer.second is not None:
                seconds = np.concatenate((older.second, newer.second))
            self.runs.append(_sorted(np.concatenate((older.first, newer.first)), seconds))


def _sorted(first: np.ndarray, second: np.ndarray | None) -> _Run:
    """A run of these keys (two sorted runs concatenated sort in linear time)."""
    if second is None:
        first.sort(kind="stable")
        return _Run(first, None)
    order = np.argsort(first, kind="stable")
    return _Run(first[order], second[order])


@dataclass(frozen=True)
class _Constraint:
    check: QuarantineCheck
    columns: tuple[str, ...]
    seen: _SeenKeys = field(default_factory=_SeenKeys)

    def keys(self, frame: pl.DataFrame) -> tuple[np.ndarray, np.ndarray | None]:
        if len(self.columns) == 1 and frame.schema[self.columns[0]] == pl.Int64:
            return frame.get_column(self.columns[0]).fill_null(0).to_numpy(), None
        key = pl.struct(self.columns)
        hashed = frame.select(key.hash(_SEEDS[0]).alias("a"), key.hash(_SEEDS[1]).alias("b"))
        return hashed.get_column("a").to_numpy(), hashed.get_column("b").to_numpy()


class KeyTracker:
    """The dataset's key constraints (primary key, then each ``unique`` column) over all its batches in order."""

    def __init__(self, schema: TableSchema) -> None:
        self._constraints: list[_Constraint] = []
        if schema.primary_key:
            self._constraints.append(_Constraint("primary_key", schema.primary_key))
        self._constraints.extend(_Constraint("unique", (c.name,)) for c in schema.columns if c.checks.unique)

    def enforce(self, batch: CheckedBatch, sha256: str) -> CheckedBatch:
        """``batch`` without the rows repeating a key of an earlier row (quarantined, merged into its quarantine).

        Each constraint looks at every row that passed the per-row checks, so a row dropped for one key still
        holds its other keys, and the result does not depend on how rows were batched; a row repeating several
        keys is reported under the first constraint (the primary key, then the columns in schema order)."""
        if not self._constraints or not batch.frame.height:
            return batch
        frame, locations = batch.frame, batch.locations
        dropped = np.zeros(frame.height, dtype=bool)
        quarantine = list(batch.quarantine)
        for constraint in self._constraints:
            columns = list(constraint.columns)
            first, second = constraint.keys(frame)
            key = pl.col(columns[0]) if len(columns) == 1 else pl.struct(columns)
            flags = frame.select(
                pl.all_horizontal(pl.col(columns).is_not_null()).alias("complete"),
                key.is_first_distinct().alias("first"),
            )
            complete = flags.get_column("complete").to_numpy()
            repeated = ~flags.get_column("first").to_numpy() | constraint.seen.contains(first, second)
            repeated &= complete
            constraint.seen.add(first[complete], None if second is None else second[complete])
            reported = repeated & ~dropped
            if reported.any():
                rows = np.flatnonzero(reported)
                name = "+".join(columns)
                for row, values in zip(rows.tolist(), frame.select(columns)[rows].rows(), strict=True):
                    value = ", ".join(preview(v) for v in values)
                    reason = f"{name}: {value!r} repeats an earlier row ({constraint.check})"
                    quarantine.append(
                        QuarantinedRow(sha256, int(locations[row]), name, constraint.check, value, reason)
                    )
                dropped |= reported
        if not dropped.any():
            return batch
        quarantine.sort(key=lambda q: q.location)
        keep = ~dropped
        return CheckedBatch(frame.filter(pl.Series(keep)), locations[keep], quarantine, batch.rows_in)
