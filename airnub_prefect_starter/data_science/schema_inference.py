"""A dataset's declaration inferred from one raw object, for a person to review and lock.

The object is read by the readers processing uses (:mod:`~airnub_prefect_starter.data_science.readers`: the
``csv`` module, ``json``, pyarrow) and every value is tried against the column types with the conversion
processing applies (:func:`~airnub_prefect_starter.data_science.validation.convert_value`), so the inferred schema
accepts every row it was inferred from. Types are tried from the narrowest: bool (true/false, yes/no, t/f, y/n),
int, float, date, datetime; text with few distinct, repeated values is a category, other text a str. A column with
an empty value is nullable.

:meth:`InferredSchema.to_yaml` renders the declaration (``format``, ``reader``, ``schema``) with what was observed
as comments: ranges, empty counts, distinct values. They are hints to turn into checks, never checks themselves
(a sample's range is not a rule).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import PurePosixPath
from typing import get_args

from airnub_prefect_starter.core.errors import ConfigError
from airnub_prefect_starter.data_science.readers import read_raw_rows
from airnub_prefect_starter.data_science.recipes import DatasetRecipe, RawFormat, ReaderOptions
from airnub_prefect_starter.data_science.schemas import ColumnSpec, ColumnType, TableSchema, snake_case
from airnub_prefect_starter.data_science.validation import Problem, convert_value

__all__ = ["MAX_CATEGORY_VALUES", "ColumnProfile", "InferredSchema", "format_for", "infer_schema"]

#: Text columns with at most this many distinct values (each seen more than once on average) are categories.
MAX_CATEGORY_VALUES = 20
_BOOL_WORDS = frozenset({"true", "false", "yes", "no", "t", "f", "y", "n"})
_INT64 = (-(2**63), 2**63 - 1)
_CANDIDATES: tuple[ColumnType, ...] = ("int", "float", "date", "datetime")
_PLAIN = re.compile(r"^[a-z_][a-z0-9_]*$")
_YAML_WORDS = frozenset({"null", "true", "false", "yes", "no", "on", "off", "y", "n"})
_SHOWN_VALUES = 8
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

    def spec(self) -> ColumnSpec:
        return ColumnSpec(name=self.name, type=self.type, nullable=self.nullable)

    def hint(self) -> str:
        """What was observed, as one line: the comment beside the column."""
        parts: list[str] = []
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


def _typed(column_type: ColumnType, values: Sequence[object], options: ReaderOptions) -> list[object] | None:
    """Every value as ``column_type`` (``None`` for a NaN), or ``None`` when one of them is not."""
    if column_type == "int" and any(isinstance(v, float) for v in values):
        return None  # a float column whose values happen to be whole stays float
    typed = []
    for value in values:
        converted = convert_value(column_type, value, options)
        if isinstance(converted, Problem):
            return None
        if isinstance(converted, int) and not isinstance(converted, bool) and not _INT64[0] <= converted <= _INT64[1]:
            return None
        typed.append(converted)
    return typed


def _profile(input_name: str, name: str, values: Sequence[object], options: ReaderOptions) -> ColumnProfile:
    present = [v for v in values if v is not None]
    empty = len(values) - len(present)
    if not present:
        return ColumnProfile(input_name, name, "str", True, 0, empty, 0)
    if all(_is_bool(v) for v in present):
        typed = [convert_value("bool", v, options) for v in present]
        return ColumnProfile(input_name, name, "bool", empty > 0, len(present), empty, len(set(typed)))
    for column_type in _CANDIDATES:
        converted = _typed(column_type, present, options)
        if converted is None:
            continue
        nan = sum(v is None for v in converted)
        kept = [v for v in converted if v is not None]
        low, high = (min(kept), max(kept)) if kept else (None, None)  # type: ignore[type-var]
        return ColumnProfile(
            input_name, name, column_type, empty + nan > 0, len(kept), empty + nan, len(set(kept)), low, high
        )
    texts = [v for v in (convert_value("str", v, options) for v in present) if isinstance(v, str)]
    unreadable = len(present) - len(texts)
    distinct = sorted(set(texts))
    if len(distinct) <= MAX_CATEGORY_VALUES and 2 * len(distinct) <= len(texts):
        return ColumnProfile(
            input_name, name, "category", empty > 0, len(texts), empty, len(distinct), levels=tuple(distinct)
        )
    return ColumnProfile(input_name, name, "str", empty > 0, len(texts), empty, len(distinct), unreadable=unreadable)


def infer_schema(
    data: bytes,
    fmt: RawFormat,
    options: ReaderOptions | None = None,
    *,
    where: str,
    target: str | None = None,
) -> InferredSchema:
    """The declaration of a dataset holding ``data``'s rows. ``where`` names the object in errors (an empty or
    unreadable object is a :class:`RawDataError`); ``target``, a column of the input (input or dataset name),
    becomes the schema's target. A csv/tsv is read with its header row."""
    options = options or ReaderOptions()
    if not options.header:
        raise ConfigError(f"{where}: inference reads the header row for column names; set reader.header to true")
    raw = read_raw_rows(data, fmt, options, positional=(), sha256="", where=where)
    names = _names(raw.columns)
    columns = tuple(
        _profile(source, name, [row[i] for row in raw.rows], options)
        for i, (source, name) in enumerate(zip(raw.columns, names, strict=True))
    )
    chosen = None
    if target is not None:
        matches = [c.name for c in columns if target in (c.name, c.input_name)]
        if not matches:
            raise ConfigError(f"{where}: target '{target}' is not a column (columns: {', '.join(raw.columns)})")
        chosen = matches[0]
    return InferredSchema(fmt, options, columns, len(raw.rows), len(raw.rejected), chosen)
