"""A deterministic CSV of sensor readings for the processing benchmarks, with bad rows the generator counts.

Usage: ``python benchmarks/sensor_readings.py OUT.csv [--mb 150 | --rows N] [--seed 20261203]``

Eight columns, as a processing config declares them in :data:`DATASET` (``schema``):

- ``id``: int, the primary key (1, 2, 3, ... in file order);
- ``site``: category, one of 20 sites (``allowed``);
- ``measured_at``: datetime, ISO 8601 without a zone (``2026-03-04T12:34:56``);
- ``reading``: float with two decimals (``min`` -40, ``max`` 60);
- ``battery``: int 0-100 (``min``/``max``);
- ``status``: category ok/warn/fail (``allowed``; the analysis target: fail and warn are likelier on a low battery
  or an extreme reading);
- ``code``: str matching ``S-[0-9]{5}`` (``regex``);
- ``note``: nullable free text, empty in 90 % of the rows, otherwise a phrase, some with commas and quotes
  (quoted as CSV requires).

One row in every block of 200 (0.5 %, at a random place in its block, never its first row) breaks exactly one
check, chosen at random among: a reading above ``max``, a battery below ``min``, a site or a status that is not
``allowed``, a code that fails the ``regex``, an id repeating the row just before it (``primary_key``: that row is
good, so the first occurrence is kept) and a ``measured_at`` that is not a datetime (``type``). Every other value
is good, so the rows a dataset keeps and the count of each check in its quarantine are known exactly
(:class:`SensorFile`).

The rows are made in chunks of a million with numpy and polars (each chunk from its own seeded generator) and
appended to the file, so memory stays bounded and 2 GB takes seconds. ``--mb`` sizes the file from the first
chunk's bytes per row; the same arguments always give the same bytes.
"""

from __future__ import annotations

import argparse
import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

SITES = tuple(f"site_{number:02d}" for number in range(1, 21))
STATUSES = ("ok", "warn", "fail")
READING_MIN, READING_MAX = -40.0, 60.0
CODE_REGEX = "S-[0-9]{5}"
DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%S"
COLUMNS = ("id", "site", "measured_at", "reading", "battery", "status", "code", "note")

#: The dataset a processing config declares for this file (``input`` names the data source and file).
SCHEMA: dict[str, Any] = {
    "columns": [
        {"name": "id", "type": "int"},
        {"name": "site", "type": "category", "checks": {"allowed": list(SITES)}},
        {"name": "measured_at", "type": "datetime"},
        {"name": "reading", "type": "float", "checks": {"min": READING_MIN, "max": READING_MAX}},
        {"name": "battery", "type": "int", "checks": {"min": 0, "max": 100}},
        {"name": "status", "type": "category", "checks": {"allowed": list(STATUSES)}},
        {"name": "code", "type": "str", "checks": {"regex": CODE_REGEX}},
        {"name": "note", "type": "str", "nullable": True},
    ],
    "primary_key": ["id"],
    "target": "status",
}

DEFAULT_SEED = 20261203
#: Rows per chunk (a whole number of bad-row blocks; small chunks reuse memory: 1M-row chunks took 40 % longer).
CHUNK_ROWS = 200_000
#: One bad row in every block of this many rows.
BLOCK_ROWS = 200

#: The kinds of bad row, each as (column, check) the quarantine names.
BAD_KINDS: tuple[tuple[str, str], ...] = (
    ("reading", "max"),
    ("battery", "min"),
    ("site", "allowed"),
    ("status", "allowed"),
    ("code", "regex"),
    ("id", "primary_key"),
    ("measured_at", "type"),
)
_NOTES = (
    "sensor cleaned",
    "recalibrated, offset 0.2",
    'moved 2 m north, now "shaded"',
    "battery swapped; reading checked",
    "gap in the log, 3 readings lost",
    "visited by the maintenance team",
)
_BAD_SITES = ("site_99", "Site_01", "depot")
_BAD_STATUSES = ("unknown", "OK", "error")
_BAD_CODES = ("S-1234", "X-12345", "S-12a45", "s-12345")
_BAD_DATETIMES = ("2026-02-30T10:00:00", "2026-13-01T00:00:00", "04/03/2026 12:34", "yesterday")
_START = int(np.datetime64("2026-01-01T00:00:00", "s").astype(np.int64))


@dataclass(frozen=True)
class SensorFile:
    """What was written: the file, its data rows and, per check, how many rows break it."""

    path: Path
    rows: int
    bad: dict[str, int]

    @property
    def quarantined(self) -> int:
        return sum(self.bad.values())

    @property
    def kept(self) -> int:
        return self.rows - self.quarantined

    @property
    def size_mb(self) -> float:
        return self.path.stat().st_size / 1e6


def _texts(options: tuple[str | None, ...], index: np.ndarray) -> pl.Series:
    """``options[index[i]]`` for every i, as a polars String column."""
    return pl.Series(options, dtype=pl.String).gather(index)


def _chunk(index: int, rows: int, seed: int) -> tuple[pl.DataFrame, np.ndarray]:
    """Rows ``index * CHUNK_ROWS`` onwards (``rows`` of them) and the bad kind of each row (-1: good)."""
    rng = np.random.default_rng([seed, index])
    first = index * CHUNK_ROWS
    blocks = math.ceil(rows / BLOCK_ROWS)
    bad_at = np.arange(blocks) * BLOCK_ROWS + rng.integers(1, BLOCK_ROWS, blocks)
    bad_at = bad_at[bad_at < rows]
    kind = np.full(rows, -1, dtype=np.int8)
    kind[bad_at] = rng.integers(0, len(BAD_KINDS), len(bad_at))

    def bad(kind_index: int) -> np.ndarray:
        return np.flatnonzero(kind == kind_index)

    def swap(values: np.ndarray, kind_index: int, options: int, offset: int) -> np.ndarray:
        """``values`` with the rows of that bad kind pointing at one of ``options`` bad texts after ``offset``."""
        where = bad(kind_index)
        values[where] = offset + rng.integers(0, options, len(where))
        return values

    ids = np.arange(first + 1, first + rows + 1, dtype=np.int64)
    ids[bad(5)] = ids[bad(5) - 1]
    seconds = _START + np.arange(first, first + rows) + rng.integers(0, 60, rows)  # about one a second
    reading = np.round(np.clip(rng.normal(15.0, 12.0, rows), READING_MIN + 0.1, READING_MAX - 0.1), 2)
    reading[bad(0)] = np.round(rng.uniform(READING_MAX + 1, 999.0, len(bad(0))), 2)
    battery = rng.integers(0, 101, rows)
    risk = 0.03 + 0.25 * (battery < 10) + 0.2 * ((reading > 45) | (reading < -25))
    battery[bad(1)] = -rng.integers(1, 50, len(bad(1)))
    draw = rng.random(rows)
    status = np.where(draw < risk, 2, np.where(draw < 2 * risk + 0.05, 1, 0))
    site = swap(rng.integers(0, len(SITES), rows), 2, len(_BAD_SITES), len(SITES))
    status = swap(status, 3, len(_BAD_STATUSES), len(STATUSES))
    measured_at = pl.from_epoch(pl.Series(seconds), time_unit="s").dt.strftime(DATETIME_FORMAT)
    measured_at.scatter(bad(6), _texts(_BAD_DATETIMES, rng.integers(0, len(_BAD_DATETIMES), len(bad(6)))))
    codes = "S-" + pl.Series(rng.integers(0, 100_000, rows)).cast(pl.String).str.zfill(5)
    codes.scatter(bad(4), _texts(_BAD_CODES, rng.integers(0, len(_BAD_CODES), len(bad(4)))))
    note = np.where(rng.random(rows) < 0.1, rng.integers(0, len(_NOTES), rows), len(_NOTES))
    frame = pl.DataFrame(
        {
            "id": ids,
            "site": _texts((*SITES, *_BAD_SITES), site),
            "measured_at": measured_at,
            "reading": reading,
            "battery": battery,
            "status": _texts((*STATUSES, *_BAD_STATUSES), status),
            "code": codes,
            "note": _texts((*_NOTES, None), note),
        }
    )
    return frame, kind


def _id_digits(rows: int) -> int:
    """Characters of the ids 1..rows together."""
    return sum(max(0, min(rows, 10**digits - 1) - 10 ** (digits - 1) + 1) * digits for digits in range(1, 20))


def _rows_for(mb: float, seed: int) -> int:
    """How many rows make about ``mb`` MB: the first chunk's bytes per row besides its ids, plus every id's."""
    sample, _ = _chunk(0, CHUNK_ROWS, seed)
    others = (len(sample.write_csv(include_header=False, float_precision=2)) - _id_digits(CHUNK_ROWS)) / CHUNK_ROWS
    low, high = 1, int(mb * 1e6 / others) + 1
    while low < high:  # the fewest rows reaching the size
        middle = (low + high) // 2
        low, high = (middle + 1, high) if middle * others + _id_digits(middle) < mb * 1e6 else (low, middle)
    return low


def write_sensor_csv(
    path: Path, *, mb: float | None = None, rows: int | None = None, seed: int = DEFAULT_SEED
) -> SensorFile:
    """Write about ``mb`` MB (or exactly ``rows`` data rows) of readings to ``path``; see the module doc."""
    if (mb is None) == (rows is None):
        raise ValueError("give mb or rows")
    total = rows if rows is not None else _rows_for(mb or 0.0, seed)

    counts: Counter[str] = Counter()
    with path.open("wb") as handle:
        for index in range(math.ceil(total / CHUNK_ROWS)):
            frame, kind = _chunk(index, min(CHUNK_ROWS, total - index * CHUNK_ROWS), seed)
            frame.write_csv(handle, include_header=index == 0, float_precision=2)
            for kind_index, number in zip(*np.unique(kind[kind >= 0], return_counts=True), strict=True):
                counts[BAD_KINDS[kind_index][1]] += int(number)
    return SensorFile(path, total, dict(sorted(counts.items())))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--mb", type=float, help="about this many MB (default 150)")
    size.add_argument("--rows", type=int, help="exactly this many data rows")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args()
    mb = None if args.rows is not None else (args.mb or 150.0)
    written = write_sensor_csv(args.out, mb=mb, rows=args.rows, seed=args.seed)
    print(
        f"{written.path}: {written.size_mb:.1f} MB, {written.rows} rows, {written.kept} good, "
        f"{written.quarantined} bad {written.bad}"
    )


if __name__ == "__main__":
    main()
