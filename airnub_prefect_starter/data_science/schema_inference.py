"""A dataset's declaration inferred from one raw object, for a person to review and lock.

The object is read by the readers processing uses (:mod:`~airnub_prefect_starter.data_science.readers`: the
``csv`` module, ``json``, pyarrow) and every value is tried against the column types with the conversion
processing applies (:func:`~airnub_prefect_starter.data_science.validation.convert_value`), so inference and
checking agree on every value. Types are tried from the narrowest: bool (true/false, yes/no, t/f, y/n), int,
float, date, datetime; text with few distinct, repeated values is a category, other text a str. A column with an
empty value is nullable.

A few bad values do not turn a column into text: when all but :data:`MAX_BAD_PERCENT` percent of a column's
non-empty values (at least :data:`MIN_VALUES_TO_TOLERATE` of them) are an int, a float, a date or a datetime, the
column gets that type and the rows with the other values will be quarantined; the YAML says how many, with
examples. Without any bad value, the narrowest type that reads every value wins, as before; with some, the type
with the fewest bad values (the narrowest on a tie).

A JSON object whose records sit under a key (``{"records": [...]}``, the usual API shape) is read from
``reader.records_key``; without one, from the only top-level key holding a list of objects, with a note saying so.

:meth:`InferredSchema.to_yaml` renders the declaration (``format``, ``reader``, ``schema``) with what was observed
as comments: ranges, empty counts, distinct values, values to be quarantined. They are hints to turn into checks,
never checks themselves (a sample's range is not a rule).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import PurePosixPath
from typing import get_args

from airnub_prefect_starter.common.utils import load_json_bounded
from airnub_prefect_starter.core.errors import ConfigError, RawDataError
from airnub_prefect_starter.data_science.readers import Readable, decode_text, read_raw_rows
from airnub_prefect_starter.data_science.recipes import DatasetRecipe, RawFormat, ReaderOptions
from airnub_prefect_starter.data_science.schemas import ColumnSpec, ColumnType, TableSchema, snake_case
from airnub_prefect_starter.data_science.validation import Problem, convert_value

__all__ = [
    "MAX_CATEGORY_VALUES",
    "MAX_BAD_PERCENT",
    "MAX_SAMPLE_ROWS",
    "MIN_VALUES_TO_TOLERATE",
    "ColumnProfile",
    "InferredSchema",
    "format_for",
    "infer_schema",
]

#: Text columns with at most this many distinct values (each seen more than once on average) are categories.
MAX_CATEGORY_VALUES = 20
#: A column is an int, float, date or datetime column when at most this percentage of its non-empty values are not
#: of that type (their rows will be quarantined) ...
MAX_BAD_PERCENT = 1
#: Rows read from an input to infer its schema (a 2 GB file is read only as far as these go).
MAX_SAMPLE_ROWS = 100_000
#: ... and it has at least this many non-empty values; with fewer, a single value of another type makes it text.
MIN_VALUES_TO_TOLERATE = 100
_BOOL_WORDS = frozenset({"true", "false", "yes", "no", "t", "f", "y", "n"})
_INT64 = (-(2**63), 2**63 - 1)
_CANDIDATES: tuple[ColumnType, ...] = ("int", "float", "date", "datetime")
_PLAIN = re.compile(r"^[a-z_][a-z0-9_]*$")
_YAML_WORDS = frozenset({"null", "true", "false", "yes", "no", "on", "off", "y", "n"})
_SHOWN_VALUES = 8
_SHOWN_BAD = 3
_BAD_PREVIEW = 40
_TYPE_WORDS: dict[ColumnType, str] = {
    "int": "an int",
    "float": "a finite float",
    "date": "a date",
    "datetime": "a datetime",
}
_EXTENSIONS: dict[str, RawFormat] = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}
_CONTENT_TYPES: dict[str, RawFormat] = {
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
    "application/json": "json",
    "application/x-ndjson": "jsonl",
    "application/jsonl": "jsonl",
    "application/vnd.apache.parquet": "parquet",
}


def format_for(filename: str, content_type: str | None = None) -> RawFormat:
    """The raw format a stored object's file name (or else its content type) says; :class:`ConfigError` naming
    the file when neither tells."""
    by_name = _EXTENSIONS.get(PurePosixPath(filename).suffix.lower())
    if by_name is not None:
        return by_name
    by_type = _CONTENT_TYPES.get((content_type or "").split(";", 1)[0].strip().lower())
    if by_type is not None:
        return by_type
    formats = ", ".join(get_args(RawFormat))
    raise ConfigError(f"{filename}: cannot tell its format from its name or content type; give one of {formats}")


def _scalar(text: str) -> str:
    """``text`` as a YAML scalar: plain when it is a safe identifier, else double-quoted (JSON is valid YAML)."""
    return text if _PLAIN.fullmatch(text) and text not in _YAML_WORDS else json.dumps(text, ensure_ascii=False)


def _comment(text: str) -> str:
    return " ".join(text.split())


def _shown(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


@dataclass(frozen=True)
class ColumnProfile:
    """One inferred column: its input and dataset names, type, nullability and what the sample held."""

    input_name: str
    name: str
    type: ColumnType
    nullable: bool
    values: int
    empty: int
    distinct: int
    minimum: object | None = None
    maximum: object | None = None
    #: Every distinct value, sorted, for a category (its candidate ``allowed`` list).
    levels: tuple[str, ...] = ()
    #: Values no type accepts (nested JSON): rows with them would be quarantined.
    unreadable: int = 0
    #: Non-empty values that are not of ``type`` (rows with them will be quarantined), and up to three of them.
    bad: int = 0
    bad_examples: tuple[str, ...] = ()

    def spec(self) -> ColumnSpec:
        return ColumnSpec(name=self.name, type=self.type, nullable=self.nullable)

    def hint(self) -> str:
        """What was observed, as one line: the comment beside the column."""
        parts: list[str] = []
        if self.bad:
            examples = ", ".join(self.bad_examples)
            verb, rows = ("is", "that row") if self.bad == 1 else ("are", "those rows")
            parts.append(
                f"{self.bad:,} of {self.values + self.bad:,} values {verb} not {_TYPE_WORDS.get(self.type, self.type)} "
                f"(e.g. {examples}): {rows} will be quarantined"
            )
        if self.values == 0:
            parts.append("always empty in the sample: give it its type")
        elif self.levels:
            shown = ", ".join(self.levels[:_SHOWN_VALUES]) + (", ..." if len(self.levels) > _SHOWN_VALUES else "")
            parts.append(f"{len(self.levels)} values: {shown}")
        elif self.minimum is not None and self.maximum is not None:
            parts.append(f"observed {_shown(self.minimum)} to {_shown(self.maximum)}")
        if self.values > 1 and self.distinct == self.values and self.empty == 0:
            parts.append("unique")
        if self.empty:
            parts.append(f"{self.empty} empty of {self.values + self.empty}")
        if self.unreadable:
            parts.append(f"{self.unreadable} nested value(s) no type reads")
        return _comment("; ".join(parts))


@dataclass(frozen=True)
class InferredSchema:
    """The declaration inferred from one object: format, reader options, columns and what was read."""

    format: RawFormat
    reader: ReaderOptions
    columns: tuple[ColumnProfile, ...]
    rows: int
    rejected: int
    target: str | None = None
    #: The key the records were found under when none was given (the only one holding a list of objects).
    found_records_key: str | None = None
    #: False when the rows are the first :data:`MAX_SAMPLE_ROWS` of a longer input.
    complete: bool = True
    #: The rows processing will quarantine with this declaration, by ``"<check> on <column>"`` (a value its column's
    #: type does not read) or ``"<check>"`` (a row the reader rejects: wrong field count, not an object).
    quarantine: dict[str, int] = field(default_factory=dict)

    @property
    def rows_quarantined(self) -> int:
        """Rows read, or rejected by the reader, that processing will quarantine."""
        return sum(self.quarantine.values())

    @property
    def rows_kept(self) -> int:
        """Rows processing will keep with this declaration (before any check you lock)."""
        return self.rows + self.rejected - self.rows_quarantined

    @property
    def notes(self) -> tuple[str, ...]:
        """What a person should know about how the declaration was inferred, one line each."""
        notes = []
        if not self.complete:
            notes.append(
                f"inferred from the first {self.rows + self.rejected:,} rows of a longer input: rows further on may "
                f"hold other values (processing checks every row)"
            )
        if self.found_records_key is not None:
            notes.append(
                f"records read from key '{self.found_records_key}', the only top-level key holding a list of "
                f"objects; reader.records_key names it"
            )
        typed_out = self.rows_quarantined - self.rejected
        if typed_out:
            verb, them = ("holds", "it") if typed_out == 1 else ("hold", "them")
            notes.append(
                f"{typed_out:,} of {self.rows:,} rows {verb} a value its column's type does not read: processing "
                f"will quarantine {them} (see the columns' comments)"
            )
        return tuple(notes)

    @property
    def table_schema(self) -> TableSchema:
        renames = {c.input_name: c.name for c in self.columns if c.input_name != c.name}
        return TableSchema(columns=tuple(c.spec() for c in self.columns), renames=renames, target=self.target)

    def recipe(self) -> DatasetRecipe:
        """The declaration as processing reads it (what :meth:`to_yaml` renders, checked by the same model)."""
        return DatasetRecipe.model_validate({"format": self.format, "reader": self.reader, "schema": self.table_schema})

    def to_yaml(self, *, source: str, indent: int = 0) -> str:
        """``format``, ``reader`` (only options that differ from the defaults) and ``schema``, each column with
        its observations as a comment; ``source`` names the object in the header comment."""
        self.recipe()  # the text below must load as what it claims: fail here, not in the user's config
        rejected = f", {self.rejected} more with the wrong field count" if self.rejected else ""
        lines = [
            f"# Inferred by `airnub schema infer` from {_comment(source)}: {self.rows} rows{rejected}.",
            *(f"# {note[0].upper()}{note[1:]}." for note in self.notes),
            "# Review it, then lock it: turn the observed ranges into checks, declare primary_key and target.",
            f"format: {self.format}",
        ]
        options = self.reader.model_dump(mode="json", exclude_defaults=True)
        if options:
            flow = ", ".join(f"{key}: {json.dumps(value, ensure_ascii=False)}" for key, value in options.items())
            lines.append(f"reader: {{{flow}}}")
        lines += ["schema:", "  columns:"]
        entries = []
        for column in self.columns:
            fields = [f"name: {_scalar(column.name)}", f"type: {column.type}"]
            if column.nullable:
                fields.append("nullable: true")
            entries.append((f"    - {{{', '.join(fields)}}}", column.hint()))
        width = max(len(entry) for entry, _ in entries)
        lines += [f"{entry:<{width}}  # {hint}" if hint else entry for entry, hint in entries]
        renames = self.table_schema.renames
        if renames:
            lines.append("  renames:")
            lines += [f"    {_scalar(source_name)}: {_scalar(name)}" for source_name, name in renames.items()]
        if self.target is not None:
            lines.append(f"  target: {_scalar(self.target)}")
        pad = " " * indent
        return "".join(f"{pad}{line}\n" for line in lines)


def _names(inputs: Sequence[str]) -> list[str]:
    """Dataset column names for the input's: snake_case, ``column_<n>`` when nothing is left or it starts with a
    digit, made unique with a suffix."""
    names: list[str] = []
    for number, source in enumerate(inputs, 1):
        name = snake_case(source)
        if not name or not _PLAIN.fullmatch(name):
            name = f"column_{name}" if name and name[0].isdigit() else f"column_{number}"
        base, suffix = name, 2
        while name in names:
            name, suffix = f"{base}_{suffix}", suffix + 1
        names.append(name)
    return names


def _is_bool(value: object) -> bool:
    return isinstance(value, bool) or (isinstance(value, str) and value.strip().lower() in _BOOL_WORDS)


def _bad_example(value: object) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return repr(text if len(text) <= _BAD_PREVIEW else text[:_BAD_PREVIEW] + "...")


@dataclass(frozen=True)
class _Reading:
    """A column's non-empty values read as one type: the typed values (``None`` for a NaN), and the rows (their
    position in the object) whose value is not of that type, with the problem and the value."""

    type: ColumnType
    typed: list[object]
    bad: dict[int, tuple[Problem, object]]


def _read_as(
    column_type: ColumnType, present: Sequence[tuple[int, object]], options: ReaderOptions, tolerated: int
) -> _Reading | None:
    """``present`` (row, value) read as ``column_type``, or ``None`` when more than ``tolerated`` values are not of
    it (or, for an int, when a value is a float or outside int64)."""
    if column_type == "int" and any(isinstance(v, float) for _, v in present):
        return None  # a float column whose values happen to be whole stays float
    typed: list[object] = []
    bad: dict[int, tuple[Problem, object]] = {}
    for row, value in present:
        converted = convert_value(column_type, value, options)
        if isinstance(converted, Problem):
            bad[row] = (converted, value)
            if len(bad) > tolerated:
                return None
            continue
        if isinstance(converted, int) and not isinstance(converted, bool) and not _INT64[0] <= converted <= _INT64[1]:
            return None
        typed.append(converted)
    return _Reading(column_type, typed, bad)


def _best_reading(present: Sequence[tuple[int, object]], options: ReaderOptions) -> _Reading | None:
    """The narrowest type reading every value; else, when the column has enough values, the type with the fewest
    bad values within :data:`MAX_BAD_PERCENT` (the narrowest on a tie); else ``None`` (text)."""
    tolerated = len(present) * MAX_BAD_PERCENT // 100 if len(present) >= MIN_VALUES_TO_TOLERATE else 0
    best: _Reading | None = None
    for column_type in _CANDIDATES:
        reading = _read_as(column_type, present, options, tolerated)
        if reading is not None and not reading.bad:
            return reading
        if reading is not None:  # fewer bad values than any narrower type: a wider type must have fewer still
            best, tolerated = reading, len(reading.bad) - 1
    return best


def _profile(
    input_name: str, name: str, values: Sequence[object], options: ReaderOptions
) -> tuple[ColumnProfile, dict[int, Problem]]:
    """The column's profile, and the rows (by position) whose value its type does not read, with the problem."""
    present = [(row, v) for row, v in enumerate(values) if v is not None]
    empty = len(values) - len(present)
    if not present:
        return ColumnProfile(input_name, name, "str", True, 0, empty, 0), {}
    if all(_is_bool(v) for _, v in present):
        typed = [convert_value("bool", v, options) for _, v in present]
        return ColumnProfile(input_name, name, "bool", empty > 0, len(present), empty, len(set(typed))), {}
    reading = _best_reading(present, options)
    if reading is not None:
        nan = sum(v is None for v in reading.typed)
        kept = [v for v in reading.typed if v is not None]
        low, high = (min(kept), max(kept)) if kept else (None, None)  # type: ignore[type-var]
        examples = tuple(dict.fromkeys(_bad_example(value) for _, value in reading.bad.values()))[:_SHOWN_BAD]
        profile = ColumnProfile(
            input_name,
            name,
            reading.type,
            empty + nan > 0,
            len(kept),
            empty + nan,
            len(set(kept)),
            low,
            high,
            bad=len(reading.bad),
            bad_examples=examples,
        )
        return profile, {row: problem for row, (problem, _) in reading.bad.items()}
    texts: list[str] = []
    nested: dict[int, Problem] = {}  # JSON objects and arrays: no type reads them
    for row, value in present:
        text = convert_value("str", value, options)
        if isinstance(text, Problem):
            nested[row] = text
        elif isinstance(text, str):
            texts.append(text)
    distinct = sorted(set(texts))
    if len(distinct) <= MAX_CATEGORY_VALUES and 2 * len(distinct) <= len(texts):
        profile = ColumnProfile(
            input_name, name, "category", empty > 0, len(texts), empty, len(distinct), levels=tuple(distinct)
        )
        return profile, nested
    profile = ColumnProfile(
        input_name, name, "str", empty > 0, len(texts), empty, len(distinct), unreadable=len(nested)
    )
    return profile, nested


def _json_type(document: object) -> str:
    return "an object" if isinstance(document, dict) else "an array" if isinstance(document, list) else "a scalar"


def _records_key(data: bytes, options: ReaderOptions, where: str) -> str | None:
    """The key of a JSON object's records: ``None`` when the records are the top-level array or under the given
    ``records_key``, else the only key holding a non-empty list of objects. :class:`ConfigError` naming the keys
    when there is no such key or several, or when the given key holds no list."""
    text = decode_text(data, options.encoding, where)
    if options.records_key is None and not text.lstrip().startswith("{"):
        return None  # the top-level array, or not JSON at all: the reader says so
    try:
        document = load_json_bounded(text)
    except ValueError:
        return None  # not JSON: the reader names the problem
    key = options.records_key
    if not isinstance(document, dict):
        raise ConfigError(f"{where}: top level is {_json_type(document)}, not an object: drop --records-key {key}")
    candidates = [
        str(k) for k, v in document.items() if isinstance(v, list) and v and all(isinstance(i, dict) for i in v)
    ]
    if key is not None:
        if isinstance(document.get(key), list):
            return None
        holding = f"keys that do: {', '.join(candidates)}" if candidates else "no key holds a list of objects"
        raise ConfigError(f"{where}: key '{key}' does not hold a list of records ({holding}); fix --records-key")
    if len(candidates) == 1:
        return candidates[0]
    if candidates:
        raise ConfigError(
            f"{where}: {len(candidates)} top-level keys hold a list of objects ({', '.join(candidates)}): "
            "choose one with --records-key KEY"
        )
    keys = ", ".join(map(str, document)) or "none"
    raise ConfigError(
        f"{where}: top level is an object and no key holds a list of objects (keys: {keys}): "
        "name the key of the records with --records-key KEY"
    )


def infer_schema(
    data: bytes | Readable,
    fmt: RawFormat,
    options: ReaderOptions | None = None,
    *,
    where: str,
    target: str | None = None,
) -> InferredSchema:
    """The declaration of a dataset holding ``data``'s rows. ``where`` names the object in errors (an empty or
    unreadable object is a :class:`RawDataError`); ``target``, a column of the input (input or dataset name),
    becomes the schema's target. A csv/tsv is read with its header row. A json object's records are read from
    ``options.records_key``, else from its only key holding a list of objects (:attr:`InferredSchema.notes` says
    so); :class:`ConfigError` naming the candidate keys when there is none or several."""
    options = options or ReaderOptions()
    if not options.header:
        raise ConfigError(f"{where}: inference reads the header row for column names; set reader.header to true")
    if options.records_key is not None and fmt != "json":
        raise ConfigError(f"{where}: --records-key {options.records_key} reads a json object; this input is {fmt}")
    if fmt == "json" and not isinstance(data, bytes):  # one document: read whole
        data = data.read()
    found_key = (
        _records_key(data, options, where) if isinstance(data, bytes) and fmt == "json" and data.strip() else None
    )
    if found_key is not None:
        options = options.model_copy(update={"records_key": found_key})
    raw = read_raw_rows(data, fmt, options, positional=(), sha256="", where=where, max_rows=MAX_SAMPLE_ROWS)
    if not raw.columns:
        raise RawDataError(f"{where}: no records to infer columns from")
    names = _names(raw.columns)
    profiles = [
        _profile(source, name, [row[i] for row in raw.rows], options)
        for i, (source, name) in enumerate(zip(raw.columns, names, strict=True))
    ]
    columns = tuple(profile for profile, _ in profiles)
    chosen = None
    if target is not None:
        matches = [c.name for c in columns if target in (c.name, c.input_name)]
        if not matches:
            raise ConfigError(f"{where}: target '{target}' is not a column (columns: {', '.join(raw.columns)})")
        chosen = matches[0]
    quarantine: Counter[str] = Counter(rejected.check for rejected in raw.rejected)
    first_bad: dict[int, str] = {}  # row -> its first column's problem, as processing reports it
    for column, (_, bad) in zip(columns, profiles, strict=True):
        for row, problem in bad.items():
            first_bad.setdefault(row, f"{problem.check} on {column.name}")
    quarantine.update(first_bad.values())
    return InferredSchema(
        fmt,
        options,
        columns,
        len(raw.rows),
        len(raw.rejected),
        chosen,
        found_key,
        raw.complete,
        dict(sorted(quarantine.items())),
    )
