"""What a declared schema makes of a sample, against what was expected of it: the test a tabular category is
generated with keeps the sample's expected counts (rows kept, rows quarantined by check and column), and when a
check you lock quarantines rows of the sample it fails with :func:`sample_mismatch`, which names them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path

from airnub_prefect_starter.common.utils import generate_sha256_hash
from airnub_prefect_starter.data_science.dataset_processing import RawObject, parse_objects
from airnub_prefect_starter.data_science.recipes import DatasetRecipe
from airnub_prefect_starter.data_science.tables import ParsedTable, QuarantinedRow

__all__ = ["quarantine_by_check", "sample_mismatch", "sample_problem"]

_SHOWN_LOCATIONS = 3


def _key(row: QuarantinedRow) -> str:
    return f"{row.check} on {row.column}" if row.column else row.check


def quarantine_by_check(table: ParsedTable) -> dict[str, int]:
    """Quarantined rows by ``"<check> on <column>"`` (``"<check>"`` for a row the reader rejects: wrong field
    count, not an object), sorted by key."""
    counts: dict[str, int] = defaultdict(int)
    for row in table.quarantine:
        counts[_key(row)] += 1
    return dict(sorted(counts.items()))


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}" if count == 1 else f"{count:,} {word}s"


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def sample_mismatch(table: ParsedTable, rows_kept: int, quarantine: Mapping[str, int], sample: Path) -> str:
    """One line saying how ``table`` (the sample at ``sample`` as the declaration reads it) differs from the
    expected ``rows_kept`` and ``quarantine`` (:func:`quarantine_by_check`'s shape), naming where the rows newly
    quarantined are in the sample, and what to update."""
    locations: dict[str, list[int]] = defaultdict(list)
    for row in sorted(table.quarantine, key=lambda r: r.location):
        locations[_key(row)].append(row.location)
    found = {key: len(rows) for key, rows in locations.items()}
    word = table.location_kind
    added: list[str] = []
    removed: list[str] = []
    newly = gone = 0
    for key in sorted(set(found) | set(quarantine)):
        now, expected = found.get(key, 0), quarantine.get(key, 0)
        if now > expected:
            newly += now - expected
            shown = ", ".join(str(n) for n in locations[key][:_SHOWN_LOCATIONS])
            where = f"{word if now == 1 else word + 's'} {shown}{', ...' if now > _SHOWN_LOCATIONS else ''}"
            counts = f"{_plural(now, 'row')}, {expected:,} expected ({where})"
            added.append(f"{key}: {counts}" if expected else f"{key}: {where}")
        elif now < expected:
            gone += expected - now
            removed.append(f"{key}: {_plural(now, 'row')}, {expected:,} expected")
    parts = []
    if added:
        verb = "is" if newly == 1 else "are"
        parts.append(
            f"{_plural(newly, 'row')} of the sample {verb} now quarantined by your checks ({'; '.join(added)})"
        )
    if removed:
        verb = "is" if gone == 1 else "are"
        parts.append(f"{_plural(gone, 'row')} of the sample expected in quarantine {verb} not ({'; '.join(removed)})")
    if not parts:
        parts.append(f"the declaration keeps {table.rows_out:,} rows of the sample, {rows_kept:,} expected")
    return (
        f"{'; '.join(parts)}: update the sample at {_shown(sample)} or the expected counts in this test "
        "(EXPECTED_ROWS, EXPECTED_QUARANTINE)"
    )


def sample_problem(
    recipe: DatasetRecipe, sample: Path, dataset: str, rows_kept: int, quarantine: Mapping[str, int]
) -> str | None:
    """``None`` when the declaration (``recipe``) reads the sample at ``sample`` into its declared schema, keeping
    ``rows_kept`` rows and quarantining ``quarantine`` (:func:`quarantine_by_check`'s shape); else one line
    saying what differs (:func:`sample_mismatch`)."""
    data = sample.read_bytes()
    table = parse_objects([RawObject(sample, generate_sha256_hash(data), sample.name)], recipe, dataset=dataset)
    if table.schema != recipe.table_schema:
        return f"{_shown(sample)}: the dataset read from it does not have the declared schema"
    if (table.rows_out, quarantine_by_check(table)) == (rows_kept, dict(sorted(quarantine.items()))):
        return None
    return sample_mismatch(table, rows_kept, quarantine, sample)
