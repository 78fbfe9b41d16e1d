"""Raw batches -> typed, checked rows: whole columns converted to their type and checked, bad rows quarantined.

Each column is converted by polars where the text has one plain form (``12``, ``1.5``, ``2024-05-01``); any other
value (``+1_0``, ``٣``, ``2024-05-01T10:00+02:00``, ``nan``, a bad value) goes to :func:`convert_value`, the
reference conversion one value at a time, so both paths give the same values and the same problems. Checks
(``min``, ``max``, ``allowed``, ``regex``) run on whole typed columns.

Column-level problems are errors naming the dataset, the object and the column (:class:`SchemaMismatchError`):
a declared column the input lacks, an undeclared one when ``extra_columns: error``, and a column none of whose
values has the declared type (the input's type changed). Row-level problems quarantine the row with its first
failing column, check and value: an empty value in a non-nullable column (``missing``), a value of the wrong type
(``type``), ``non_finite``, ``min``, ``max``, ``allowed``, ``regex``; ``unique`` and ``primary_key`` across all
rows are :mod:`~airnub_prefect_starter.data_science.keys`'.
"""

from __future__ import annotations

import functools
import logging
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import numpy as np
import polars as pl

from airnub_prefect_starter.core.errors import SchemaMismatchError
from airnub_prefect_starter.data_science.readers import RawBatch
from airnub_prefect_starter.data_science.recipes import ReaderOptions
from airnub_prefect_starter.data_science.schemas import ColumnSpec, ColumnType, TableSchema
from airnub_prefect_starter.data_science.tables import QuarantineCheck, QuarantinedRow

__all__ = [
    "POLARS_TYPES",
    "BatchChecker",
    "CheckedBatch",
    "ColumnTally",
    "Problem",
    "convert_value",
    "input_positions",
    "preview",
]

logger = logging.getLogger(__name__)

_INT64 = (-(2**63), 2**63 - 1)
_PREVIEW = 200
#: What ``str.strip()`` strips (polars' default set lacks the separators \x1c-\x1f).
_PYTHON_WHITESPACE = "".join(c for c in map(chr, range(0x3001)) if c.isspace())
#: The dataset type of each column type.
POLARS_TYPES: dict[ColumnType, pl.DataType] = {
    "int": pl.Int64(),
    "float": pl.Float64(),
    "str": pl.String(),
    "category": pl.String(),
    "bool": pl.Boolean(),
    "date": pl.Date(),
    "datetime": pl.Datetime("us", "UTC"),
}


_TRUE = frozenset({"true", "t", "yes", "y", "1"})
_FALSE = frozenset({"false", "f", "no", "n", "0"})


@dataclass(frozen=True)
class Problem:
    """Why a value cannot enter the dataset: the check it failed and a message naming the column and value."""

    check: QuarantineCheck
    text: str


def _int(value: object, options: ReaderOptions) -> object:
    if isinstance(value, bool):
        return Problem("type", "not an int")
    if isinstance(value, int):
        return value if _INT64[0] <= value <= _INT64[1] else Problem("type", "not an int (out of the 64-bit range)")
    if isinstance(value, float):
        return int(value) if value.is_integer() and abs(value) < 2**63 else Problem("type", "not an int")
    text = str(value).strip()
    if "_" in text:
        return Problem("type", "not an int")
    try:
        number = int(text)
    except ValueError:
        return Problem("type", "not an int")
    return number if _INT64[0] <= number <= _INT64[1] else Problem("type", "not an int (out of the 64-bit range)")


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
    try:
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+01:00 is before the first UTC datetime
        return Problem("type", "not a datetime (out of range in UTC)")


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


def preview(value: object) -> str:
    """A value as the quarantine file shows it (empty for null, cut at 200 characters)."""
    return ("" if value is None else str(value))[:_PREVIEW]


def input_positions(columns: Sequence[str], schema: TableSchema, where: str) -> list[str]:
    """The input column each schema column reads, in schema order; :class:`SchemaMismatchError` for a missing
    column, or an extra one when ``extra_columns: error`` (an ignored extra column is logged)."""
    present = set(columns)
    wanted = schema.input_names
    missing = [(column, source) for column, source in wanted.items() if source not in present]
    if missing:
        column, source = missing[0]
        named = f"'{column}'" if column == source else f"'{column}' (input name '{source}')"
        have = ", ".join(list(columns)[:20]) or "none"
        raise SchemaMismatchError(f"{where}: column {named} missing from the input (input columns: {have})")
    extra = [name for name in columns if name not in set(wanted.values())]
    if extra and schema.extra_columns == "error":
        raise SchemaMismatchError(f"{where}: column '{extra[0]}' is not in the schema (extra_columns: error)")
    if extra:
        logger.warning("%s: ignoring column(s) not in the schema: %s", where, ", ".join(extra))
    return [wanted[name] for name in schema.column_names]


@dataclass
class ColumnTally:
    """Per column of one object: how many values had the declared type and the first that did not (a column
    with none of the type means the input changed: :meth:`raise_if_type_changed`)."""

    typed: list[int]
    first_bad: list[object] = field(default_factory=list)

    @classmethod
    def for_schema(cls, schema: TableSchema) -> ColumnTally:
        return cls([0] * len(schema.columns), [None] * len(schema.columns))

    def raise_if_type_changed(self, schema: TableSchema, where: str) -> None:
        for index, spec in enumerate(schema.columns):
            if self.first_bad[index] is not None and self.typed[index] == 0:
                raise SchemaMismatchError(
                    f"{where}: column '{spec.name}': no value is of type {spec.type} "
                    f"(first: {preview(self.first_bad[index])!r}); did the input's type change?"
                )


@dataclass(frozen=True, eq=False)
class CheckedBatch:
    """The rows of a batch that passed every per-row check (typed, schema column order), the line or record each
    came from, and the rows quarantined (sorted by where they start)."""

    frame: pl.DataFrame
    locations: np.ndarray
    quarantine: list[QuarantinedRow]
    #: Rows of the raw input this batch read (kept, quarantined and rejected by the reader).
    rows_in: int


#: Strict patterns of the formats polars parses leniently ("+2026-1-5" as a %Y-%m-%d date): a value polars reads
#: under one of these and that matches it is read exactly as ``datetime.strptime`` would.
_CANONICAL = {"%Y-%m-%d": r"^[0-9]{4}-(0[1-9]|1[0-2])-[0-9]{2}$"}
_ISO_DATE_TIME = r"[0-9]{4}-(0[1-9]|1[0-2])-[0-9]{2}[T ]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
_ISO_OFFSET = r"[+-]([01][0-9]|2[0-3]):[0-5][0-9]"
#: The directives polars reads as ``datetime.strptime`` does (a value must also format back to its text): not
#: ``%y`` (another century pivot), ``%s``, ``%-d``, ``%e`` and the like, which the reference reads.
_DATE_DIRECTIVES = frozenset("Ymdbj%")
_TIME_DIRECTIVES = frozenset("HMS")


def _iso_form(sample: str | None) -> tuple[str, str, bool]:
    """The ISO 8601 form of a batch's first datetime (``T`` or a space before the time, 1 to 6 digits of a
    second's fraction or none, ``Z``, an offset ``+02:00`` or none): its strftime pattern, the strict pattern of
    the values polars reads exactly as ``datetime.fromisoformat`` in it, and whether ``Z`` is spelled ``+00:00``
    first. Values of another form go to the reference."""
    text = (sample or "").strip()
    pattern = "%Y-%m-%d" + (" " if text[10:11] == " " else "T") + "%H:%M:%S"
    strict = _ISO_DATE_TIME
    if text[19:20] == ".":
        pattern, strict = pattern + "%.f", strict + r"\.[0-9]{1,6}"
    zulu = text.endswith("Z")
    if zulu or re.search(_ISO_OFFSET + "$", text[19:]):
        pattern, strict = pattern + "%:z", strict + ("Z" if zulu else _ISO_OFFSET)
    return pattern, f"^{strict}$", zulu


def _plain_format(fmt: str, kind: ColumnType) -> bool:
    """Whether ``fmt`` uses only directives polars reads as ``datetime.strptime`` does (for a date, no time)."""
    directives = set(re.findall(r"%(.)", fmt))
    allowed = _DATE_DIRECTIVES if kind == "date" else _DATE_DIRECTIVES | _TIME_DIRECTIVES
    return directives <= allowed


def _temporal(text: pl.Expr, kind: ColumnType, options: ReaderOptions, sample: str | None) -> pl.Expr:
    """Dates and datetimes in their first declared format, exactly; null for any other value (the reference reads
    those: years before 1, a leap second, a format polars reads otherwise). ISO 8601 datetimes: the form of the
    batch's first value (:func:`_iso_form`)."""
    target: pl.Date | pl.Datetime = pl.Date() if kind == "date" else pl.Datetime("us")
    zulu = False
    if kind == "date":
        fmt = options.date_formats[0]
        canonical = _CANONICAL.get(fmt)
    elif options.datetime_formats[0] == "ISO8601":
        fmt, canonical, zulu = _iso_form(sample)
    else:
        fmt = options.datetime_formats[0]
        canonical = None
    if not (canonical or _plain_format(fmt, kind)) or not _polars_reads(fmt, target):
        return pl.lit(None, dtype=POLARS_TYPES[kind])
    source = text.str.replace(r"Z$", "+00:00") if zulu else text
    attempt = source.str.strptime(target, fmt, strict=False, cache=False)
    if "%:z" in fmt:  # polars reads an offset into UTC; the zone is set again below, as for the others
        attempt = attempt.dt.replace_time_zone(None)
    exact = text.str.contains(canonical) if canonical else attempt.dt.strftime(fmt) == text
    value = pl.when(exact & (attempt.dt.year() >= 1)).then(attempt)
    return value.dt.replace_time_zone("UTC") if kind == "datetime" else value


@functools.cache
def _polars_reads(fmt: str, target: pl.Date | pl.Datetime) -> bool:
    try:
        pl.Series(["x"]).str.strptime(target, fmt, strict=False)
    except pl.exceptions.PolarsError:  # a directive polars does not know: the reference reads the column
        return False
    return True


def _fast(
    spec: ColumnSpec, source: pl.Expr, dtype: pl.DataType, options: ReaderOptions, sample: str | None = None
) -> pl.Expr:
    """The column converted without Python where that gives exactly :func:`convert_value`'s value; null where
    the reference must decide (any other form, a bad value, NaN and infinities)."""
    kind = spec.type
    target = POLARS_TYPES[kind]
    if dtype == pl.String:  # a value with spaces around it fails here: the reference strips and reads it
        if kind in ("str", "category"):
            return source
        if kind == "int":
            return source.cast(pl.Int64, strict=False)
        if kind == "float":
            text = source
            if options.decimal != ".":
                text = (
                    pl.when(source.str.contains(".", literal=True))
                    .then(None)
                    .otherwise(source.str.replace_all(options.decimal, ".", literal=True))
                )
            number = text.cast(pl.Float64, strict=False)
            return pl.when(number.is_finite()).then(number)
        if kind == "bool":
            lower = source.str.to_lowercase()
            return pl.when(lower.is_in(list(_TRUE))).then(True).when(lower.is_in(list(_FALSE))).then(False)
        return _temporal(source, kind, options, sample)
    if kind == "int" and dtype.is_integer() and dtype != pl.UInt64:
        return source.cast(pl.Int64)
    if kind == "float" and (dtype.is_float() or (dtype.is_integer() and dtype != pl.UInt64)):
        number = source.cast(pl.Float64)
        return pl.when(number.is_finite()).then(number)
    if (kind == "bool" and dtype == pl.Boolean) or (kind == "date" and dtype == pl.Date):
        return source
    if kind == "datetime" and isinstance(dtype, pl.Datetime):
        zoned = source.dt.replace_time_zone("UTC") if dtype.time_zone is None else source.dt.convert_time_zone("UTC")
        return zoned.cast(target)
    return pl.lit(None, dtype=target)


#: Problem codes of the whole-column checks, in the order a column reports them.
_OK, _MISSING, _MIN, _MAX, _ALLOWED, _REGEX = range(6)


def _problems(spec: ColumnSpec) -> dict[int, Problem]:
    checks = spec.checks
    problems = {_MISSING: Problem("missing", "empty value")}
    if checks.min is not None:
        problems[_MIN] = Problem("min", f"below min {checks.min:g}")
    if checks.max is not None:
        problems[_MAX] = Problem("max", f"above max {checks.max:g}")
    if checks.allowed is not None:
        problems[_ALLOWED] = Problem("allowed", f"not allowed (allowed: {', '.join(map(str, checks.allowed))})")
    if checks.regex is not None:
        problems[_REGEX] = Problem("regex", f"does not match {checks.regex!r}")
    return problems


def _accepted(spec: ColumnSpec) -> pl.Series:
    """The ``allowed`` values as the column's type, by Python's equality (1 == 1.0 == True)."""
    allowed = spec.checks.allowed or ()
    if spec.type in ("str", "category"):
        return pl.Series([str(a) for a in allowed], dtype=pl.String)
    if spec.type == "bool":
        return pl.Series([bool(a) for a in allowed if not isinstance(a, str) and a in (0, 1)], dtype=pl.Boolean)
    return pl.Series([int(a) for a in allowed if not isinstance(a, str) and float(a).is_integer()], dtype=pl.Int64)


#: Pattern syntax Rust's ``regex`` and Python's ``re`` read differently (Unicode classes, POSIX classes, set
#: operations, inline flags and groups): such patterns are checked by ``re`` on a batch's distinct values.
_ENGINE_SPECIFIC = re.compile(r"\\[wWsSdDbBpPAzZ]|\[\[:|&&|--|~~|\(\?")


def _rust_regex(pattern: str) -> bool:
    if not pattern.isascii() or _ENGINE_SPECIFIC.search(pattern):
        return False
    try:
        pl.Series([""]).str.contains(pattern)
    except pl.exceptions.PolarsError:  # look-around, back-references: Python's ``re`` decides
        return False
    return True


def _code(spec: ColumnSpec, typed: pl.Expr, python_regex: pl.Expr | None) -> pl.Expr:
    """The column's first failing whole-column check as a code (``_OK`` when none)."""
    checks = spec.checks
    failing: list[tuple[pl.Expr, int]] = []
    if not spec.nullable:
        failing.append((typed.is_null(), _MISSING))
    # an int column compares with whole bounds (as ints: exact beyond 2**53)
    low = math.ceil(checks.min) if checks.min is not None and spec.type == "int" else checks.min
    high = math.floor(checks.max) if checks.max is not None and spec.type == "int" else checks.max
    if low is not None:
        failing.append((typed < low, _MIN))
    if high is not None:
        failing.append((typed > high, _MAX))
    if checks.allowed is not None:
        failing.append((~typed.is_in(_accepted(spec)), _ALLOWED))
    if checks.regex is not None:
        matches = typed.str.contains(f"^(?:{checks.regex})$") if python_regex is None else python_regex
        failing.append((~matches, _REGEX))
    first_failing = [pl.when(condition).then(pl.lit(code, dtype=pl.UInt8)) for condition, code in failing]
    return pl.coalesce([*first_failing, pl.lit(_OK, dtype=pl.UInt8)])


def _first_text(frame: pl.DataFrame, name: str) -> str | None:
    values = frame.get_column(name).head(64).drop_nulls()
    return str(values[0]) if len(values) else None


class BatchChecker:
    """Types and checks the batches of one dataset (see the module doc); built once per schema."""

    def __init__(self, schema: TableSchema, options: ReaderOptions, *, text_nulls: bool) -> None:
        self.schema = schema
        self.options = options
        #: csv/tsv: values that are a null value once stripped (``reader.null_values``) read as null (an entry with
        #: spaces around it never matches a stripped value)
        self._nulls = [n for n in options.null_values if n == n.strip()] if text_nulls else None
        self._problems = [_problems(spec) for spec in schema.columns]
        self._python_regex = [
            spec.checks.regex if spec.checks.regex is not None and not _rust_regex(spec.checks.regex) else None
            for spec in schema.columns
        ]

    def _null(self, spec: ColumnSpec, name: str, dtype: pl.DataType) -> pl.Expr:
        """Whether the input value is empty: null, or for text a null value once stripped of spaces (for a typed
        column, a null value with spaces around it fails the fast conversion and the reference sees it)."""
        column = pl.col(name)
        if self._nulls is None or dtype != pl.String:
            return column.is_null()
        if spec.type in ("str", "category"):
            return column.is_null() | column.str.strip_chars(_PYTHON_WHITESPACE).is_in(self._nulls)
        return column.is_null() | column.is_in(self._nulls)

    def _is_null_text(self, value: object) -> bool:
        return self._nulls is not None and isinstance(value, str) and value.strip() in self._nulls

    def check(self, raw: RawBatch, sources: Sequence[str], tally: ColumnTally, *, sha256: str) -> CheckedBatch:
        """Type and check every row of ``raw`` (``sources``: the input column of each schema column); not yet
        ``unique``/``primary_key`` (see :mod:`~airnub_prefect_starter.data_science.keys`)."""
        schema, frame = self.schema, raw.frame
        names = schema.column_names
        count = len(names)
        # three steps over named columns, so that no expression is evaluated twice
        fast: list[pl.Expr] = []
        typed: list[pl.Expr] = []
        codes: list[pl.Expr] = []
        for i, (spec, src) in enumerate(zip(schema.columns, sources, strict=True)):
            dtype = frame.schema[src]
            fast.append(self._null(spec, src, dtype).alias(f"_e{i}"))
            sample = _first_text(frame, src) if spec.type == "datetime" and dtype == pl.String else None
            fast.append(_fast(spec, pl.col(src), dtype, self.options, sample).alias(f"_f{i}"))
            typed.append(pl.when(pl.col(f"_e{i}")).then(None).otherwise(pl.col(f"_f{i}")).alias(spec.name))
            typed.append((~pl.col(f"_e{i}") & pl.col(f"_f{i}").is_null()).alias(f"_r{i}"))  # for the reference
            later = pl.lit(True) if self._python_regex[i] else None  # Python's ``re`` checks those below
            codes.append(_code(spec, pl.col(spec.name), later).alias(f"_c{i}"))
        flags = [pl.col(f"_r{i}") for i in range(count)] + [pl.col(f"_c{i}") != _OK for i in range(count)]
        checked = (
            frame.lazy()
            .select(fast)
            .select(typed)
            .with_columns(codes)
            .with_columns(pl.any_horizontal(flags).alias("_bad"))
            .collect()
        )
        bad = checked.get_column("_bad")
        if not bad.any() and not any(self._python_regex):
            for index, name in enumerate(names):
                tally.typed[index] += checked.height - checked.get_column(name).null_count()
            quarantine = sorted(raw.rejected, key=lambda q: q.location)
            return CheckedBatch(checked.select(names), raw.locations, quarantine, raw.rows_in)
        rows = checked.select(names)
        reference: list[dict[int, Problem]] = [{} for _ in names]
        patched = False
        for index in range(count):
            residue = checked.get_column(f"_r{index}")
            if residue.any():
                before = rows
                rows = self._reference(index, frame, sources[index], residue, rows, reference[index], tally)
                patched = patched or rows is not before
        for index, name in enumerate(names):
            tally.typed[index] += rows.height - rows.get_column(name).null_count()
        if patched or any(self._python_regex):  # values the reference typed: check them too
            found = rows.with_columns(
                _code(spec, pl.col(spec.name), self._regex_expr(i, rows)).alias(f"_c{i}")
                for i, spec in enumerate(schema.columns)
            ).select(f"_c{i}" for i in range(count))
        else:
            found = checked.select(f"_c{i}" for i in range(count))
        bad_rows = found.select(pl.any_horizontal(pl.all() != _OK)).to_series().to_numpy().copy()
        for problems in reference:
            if problems:
                bad_rows[list(problems)] = True
        quarantine = list(raw.rejected)
        locations = raw.locations
        if bad_rows.any():
            quarantine.extend(self._quarantined(raw, sources, found, reference, bad_rows, sha256))
            keep = ~bad_rows
            rows, locations = rows.filter(pl.Series(keep)), locations[keep]
        quarantine.sort(key=lambda q: q.location)
        return CheckedBatch(rows, locations, quarantine, raw.rows_in)

    def _reference(
        self,
        index: int,
        frame: pl.DataFrame,
        source: str,
        residue: pl.Series,
        typed: pl.DataFrame,
        problems: dict[int, Problem],
        tally: ColumnTally,
    ) -> pl.DataFrame:
        """Convert the values polars left to :func:`convert_value`, one by one; the typed frame with its values."""
        spec = self.schema.columns[index]
        rows = np.flatnonzero(residue.to_numpy())
        found_rows: list[int] = []
        found: list[object] = []
        for row, value in zip(rows.tolist(), frame.get_column(source).gather(rows).to_list(), strict=True):
            if self._is_null_text(value):  # " NA ": empty, as ``missing`` already says where it must not be
                continue
            result = convert_value(spec.type, value, self.options)
            if isinstance(result, Problem):
                problems[row] = result
                if result.check == "type" and tally.first_bad[index] is None:
                    tally.first_bad[index] = value
            elif result is not None:
                found_rows.append(row)
                found.append(result)
        if not found_rows:
            return typed
        column = typed.get_column(spec.name).scatter(found_rows, pl.Series(found, dtype=POLARS_TYPES[spec.type]))
        return typed.with_columns(column)

    def _regex_expr(self, index: int, typed: pl.DataFrame) -> pl.Expr | None:
        pattern = self._python_regex[index]
        if pattern is None:
            return None
        name = self.schema.columns[index].name
        distinct = typed.get_column(name).drop_nulls().unique().to_list()
        return pl.col(name).is_in(pl.Series([v for v in distinct if re.fullmatch(pattern, v)], dtype=pl.String))

    def _quarantined(
        self,
        raw: RawBatch,
        sources: Sequence[str],
        codes: pl.DataFrame,
        reference: list[dict[int, Problem]],
        bad: np.ndarray,
        sha256: str,
    ) -> list[QuarantinedRow]:
        """One quarantine row per bad row: its first failing column, check and value, and every problem."""
        columns = self.schema.columns
        rows = np.flatnonzero(bad)
        index = pl.Series(rows)
        row_codes = codes[index].rows()
        row_values = raw.frame.select(sources)[index].rows()
        quarantined: list[QuarantinedRow] = []
        for position, row in enumerate(rows.tolist()):
            problems: list[tuple[int, Problem, str]] = []
            for i in range(len(columns)):
                problem = reference[i].get(row)
                if problem is None and row_codes[position][i] != _OK:
                    problem = self._problems[i][row_codes[position][i]]
                if problem is not None:
                    problems.append((i, problem, self._shown(row_values[position][i])))
            reason = "; ".join(f"{columns[i].name}: {p.text}: {value!r}" for i, p, value in problems)
            first, problem, value = problems[0]
            location = int(raw.locations[row])
            quarantined.append(QuarantinedRow(sha256, location, columns[first].name, problem.check, value, reason))
        return quarantined

    def _shown(self, value: object) -> str:
        """The value as read (a null value of a text input, "NA" say, shows empty)."""
        return "" if self._is_null_text(value) else preview(value)
