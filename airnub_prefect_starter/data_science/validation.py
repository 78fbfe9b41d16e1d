"""Raw rows -> typed, checked rows: every value converted to its column's type and checked, bad rows quarantined.

Column-level problems are errors naming the dataset, the object and the column (:class:`SchemaMismatchError`):
a declared column the input lacks, an undeclared one when ``extra_columns: error``, and a column none of whose
values has the declared type (the input's type changed). Row-level problems quarantine the row with its first
failing column, check and value: an empty value in a non-nullable column (``missing``), a value of the wrong type
(``type``), ``non_finite``, ``min``, ``max``, ``allowed``, ``regex``, and across all rows ``unique`` and
``primary_key`` (the first occurrence is kept).
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pandas as pd

from airnub_prefect_starter.core.errors import SchemaMismatchError
from airnub_prefect_starter.data_science.recipes import ReaderOptions
from airnub_prefect_starter.data_science.schemas import ColumnSpec, ColumnType, TableSchema
from airnub_prefect_starter.data_science.tables import QuarantineCheck, QuarantinedRow, RawRows

__all__ = ["CheckedRows", "Problem", "check_rows", "convert_value", "enforce_keys", "to_frame"]

logger = logging.getLogger(__name__)

_TRUE = frozenset({"true", "t", "yes", "y", "1"})
_FALSE = frozenset({"false", "f", "no", "n", "0"})
_INT64 = (-(2**63), 2**63 - 1)
_PREVIEW = 200


@dataclass(frozen=True)
class Problem:
    """Why a value cannot enter the dataset: the check it failed and a message naming the column and value."""

    check: QuarantineCheck
    text: str


@dataclass(frozen=True)
class CheckedRows:
    """Rows that passed every per-row check (values typed, in schema column order), where each came from, and the
    rows quarantined."""

    rows: list[tuple[object, ...]]
    origins: list[tuple[str, int]]
    quarantine: list[QuarantinedRow]


def _int(value: object, options: ReaderOptions) -> object:
    if isinstance(value, bool):
        return Problem("type", "not an int")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else Problem("type", "not an int")
    text = str(value).strip()
    if "_" in text:
        return Problem("type", "not an int")
    try:
        return int(text)
    except ValueError:
        return Problem("type", "not an int")


def _float(value: object, options: ReaderOptions) -> object:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return Problem("type", "not a float")
    text = str(value).strip() if isinstance(value, str) else value
    if isinstance(text, str):
        if options.decimal != ".":
            text = text.replace(options.decimal, ".") if "." not in text else "x"
        if "_" in text:
            text = "x"
    try:
        number = float(text)
    except ValueError:
        return Problem("type", "not a float")
    if math.isinf(number):
        return Problem("non_finite", "not finite")
    return None if math.isnan(number) else number


def _str(value: object, options: ReaderOptions) -> object:
    return (
        value
        if isinstance(value, str)
        else Problem("type", "not text")
        if isinstance(value, dict | list)
        else str(value)
    )


def _bool(value: object, options: ReaderOptions) -> object:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    text = str(value).strip().lower() if isinstance(value, str) else ""
    return True if text in _TRUE else False if text in _FALSE else Problem("type", "not a bool")


def _date(value: object, options: ReaderOptions) -> object:
    if isinstance(value, datetime):
        midnight = value.hour == value.minute == value.second == value.microsecond == 0
        return value.date() if midnight else Problem("type", "not a date (has a time)")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        for fmt in options.date_formats:
            try:
                return datetime.strptime(value.strip(), fmt).date()
            except ValueError:
                continue
    return Problem("type", f"not a date ({', '.join(options.date_formats)})")


def _datetime(value: object, options: ReaderOptions) -> object:
    parsed: datetime | None = value if isinstance(value, datetime) else None
    if isinstance(value, str):
        for fmt in options.datetime_formats:
            try:
                text = value.strip()
                parsed = datetime.fromisoformat(text) if fmt == "ISO8601" else datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
    if parsed is None:
        return Problem("type", f"not a datetime ({', '.join(options.datetime_formats)})")
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


_CONVERT: dict[ColumnType, Callable[[object, ReaderOptions], object]] = {
    "int": _int,
    "float": _float,
    "str": _str,
    "category": _str,
    "bool": _bool,
    "date": _date,
    "datetime": _datetime,
}


def convert_value(column_type: ColumnType, value: object, options: ReaderOptions) -> object:
    """``value`` (not empty) as ``column_type`` reads it with ``options``: the typed value, ``None`` (a float NaN)
    or a :class:`Problem`. The one conversion both checking and schema inference use."""
    return _CONVERT[column_type](value, options)


def _check(spec: ColumnSpec, value: object) -> Problem | None:
    checks = spec.checks
    if isinstance(value, int | float) and not isinstance(value, bool):
        if checks.min is not None and value < checks.min:
            return Problem("min", f"below min {checks.min:g}")
        if checks.max is not None and value > checks.max:
            return Problem("max", f"above max {checks.max:g}")
    if checks.allowed is not None:
        accepted = {str(a) for a in checks.allowed} if spec.type in ("str", "category") else set(checks.allowed)
        if value not in accepted:
            return Problem("allowed", f"not allowed (allowed: {', '.join(map(str, checks.allowed))})")
    if checks.regex is not None and not re.fullmatch(checks.regex, str(value)):
        return Problem("regex", f"does not match {checks.regex!r}")
    return None


def _preview(value: object) -> str:
    return ("" if value is None else str(value))[:_PREVIEW]


def _positions(raw: RawRows, schema: TableSchema, where: str) -> list[int]:
    """Where each schema column is in the input; :class:`SchemaMismatchError` for a missing or extra column."""
    present = {name: i for i, name in enumerate(raw.columns)}
    wanted = schema.input_names
    missing = [(column, source) for column, source in wanted.items() if source not in present]
    if missing:
        column, source = missing[0]
        named = f"'{column}'" if column == source else f"'{column}' (input name '{source}')"
        have = ", ".join(raw.columns[:20]) or "none"
        raise SchemaMismatchError(f"{where}: column {named} missing from the input (input columns: {have})")
    extra = [name for name in raw.columns if name not in set(wanted.values())]
    if extra and schema.extra_columns == "error":
        raise SchemaMismatchError(f"{where}: column '{extra[0]}' is not in the schema (extra_columns: error)")
    if extra:
        logger.warning("%s: ignoring column(s) not in the schema: %s", where, ", ".join(extra))
    return [present[wanted[name]] for name in schema.column_names]


def check_rows(raw: RawRows, schema: TableSchema, options: ReaderOptions, *, where: str) -> CheckedRows:
    """Type and check every row of ``raw`` (not yet ``unique``/``primary_key``: see :func:`enforce_keys`)."""
    positions = _positions(raw, schema, where)
    specs = schema.columns
    converters = [_CONVERT[spec.type] for spec in specs]
    typed_ok = [0] * len(specs)
    first_bad: list[object] = [None] * len(specs)
    kept: list[tuple[object, ...]] = []
    origins: list[tuple[str, int]] = []
    quarantine = list(raw.rejected)
    for location, values in zip(raw.locations, raw.rows, strict=True):
        typed: list[object] = []
        problems: list[tuple[int, Problem, object]] = []
        for index, (spec, position, convert) in enumerate(zip(specs, positions, converters, strict=True)):
            value = values[position]
            converted = None if value is None else convert(value, options)
            if isinstance(converted, Problem):
                if converted.check == "type" and first_bad[index] is None:
                    first_bad[index] = value
                problems.append((index, converted, value))
                continue
            if converted is None:
                if not spec.nullable:
                    problems.append((index, Problem("missing", "empty value"), value))
            else:
                typed_ok[index] += 1
                problem = _check(spec, converted)
                if problem is not None:
                    problems.append((index, problem, value))
            typed.append(converted)
        if problems:
            reason = "; ".join(f"{specs[i].name}: {p.text}: {_preview(v)!r}" for i, p, v in problems)
            index, problem, value = problems[0]
            quarantine.append(
                QuarantinedRow(raw.object_sha256, location, specs[index].name, problem.check, _preview(value), reason)
            )
        else:
            kept.append(tuple(typed))
            origins.append((raw.object_sha256, location))
    for index, spec in enumerate(specs):
        if first_bad[index] is not None and typed_ok[index] == 0:
            raise SchemaMismatchError(
                f"{where}: column '{spec.name}': no value is of type {spec.type} "
                f"(first: {_preview(first_bad[index])!r}); did the input's type change?"
            )
    return CheckedRows(kept, origins, quarantine)


def _duplicates(rows: Sequence[tuple[object, ...]], index: Sequence[int]) -> list[int]:
    """Row numbers whose values at ``index`` already appeared in an earlier row (nulls never collide)."""
    seen: set[tuple[object, ...]] = set()
    repeated: list[int] = []
    for number, row in enumerate(rows):
        key = tuple(row[i] for i in index)
        if any(v is None for v in key):
            continue
        if key in seen:
            repeated.append(number)
        seen.add(key)
    return repeated


def enforce_keys(checked: Iterable[CheckedRows], schema: TableSchema) -> CheckedRows:
    """All objects' rows together (in the given order), with rows repeating an earlier row's primary key or
    ``unique`` value quarantined."""
    rows: list[tuple[object, ...]] = []
    origins: list[tuple[str, int]] = []
    quarantine: list[QuarantinedRow] = []
    for part in checked:
        rows.extend(part.rows)
        origins.extend(part.origins)
        quarantine.extend(part.quarantine)
    names = schema.column_names
    constraints: list[tuple[QuarantineCheck, list[int]]] = []
    if schema.primary_key:
        constraints.append(("primary_key", [names.index(n) for n in schema.primary_key]))
    constraints.extend(("unique", [i]) for i, c in enumerate(schema.columns) if c.checks.unique)
    dropped: set[int] = set()
    for check, index in constraints:
        for number in _duplicates(rows, index):
            if number in dropped:
                continue
            dropped.add(number)
            value = ", ".join(_preview(rows[number][i]) for i in index)
            column = "+".join(names[i] for i in index)
            obj, location = origins[number]
            reason = f"{column}: {value!r} repeats an earlier row ({check})"
            quarantine.append(QuarantinedRow(obj, location, column, check, value, reason))
    if dropped:
        rows = [r for n, r in enumerate(rows) if n not in dropped]
        origins = [o for n, o in enumerate(origins) if n not in dropped]
    return CheckedRows(rows, origins, quarantine)


_PANDAS_DTYPES: dict[ColumnType, str] = {
    "int": "Int64",
    "float": "float64",
    "bool": "boolean",
    "str": "object",
    "category": "object",
    "date": "object",
    "datetime": "datetime64[us, UTC]",
}


def to_frame(rows: Sequence[tuple[object, ...]], schema: TableSchema) -> pd.DataFrame:
    """The typed rows as a frame in schema column order (nullable ints and bools; dates as ``datetime.date``)."""
    columns: dict[str, pd.Series] = {}
    for index, spec in enumerate(schema.columns):
        values = [row[index] for row in rows]
        dtype = _PANDAS_DTYPES[spec.type]
        if spec.type == "float":
            values = [math.nan if v is None else v for v in values]
        columns[spec.name] = pd.Series(values, dtype=dtype)
    return pd.DataFrame(columns)
