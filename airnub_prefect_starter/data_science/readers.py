"""Raw object bytes -> :class:`~airnub_prefect_starter.data_science.tables.RawRows`, with real parsers.

* csv, tsv: the standard library's ``csv`` reader (RFC 4180 quoting: delimiters, quotes and newlines inside
  quoted fields; strict, so an unterminated quote is an error), which also says on which line each row starts;
* json: an array of objects, at the top level or under ``records_key``; jsonl: one object per line;
* parquet: pyarrow.

Text is decoded strictly with the declared encoding: a file in another encoding is an error naming the byte
offset, never silently mangled. Problems with the whole object raise :class:`RawDataError` prefixed with
``where`` (which names the dataset and the object); a problem with one row is a rejected row (quarantine).
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from typing import Literal

import pyarrow as pa
import pyarrow.parquet as pq

from airnub_prefect_starter.common.utils import is_text_codec, load_json_bounded
from airnub_prefect_starter.core.errors import RawDataError, SchemaMismatchError
from airnub_prefect_starter.data_science.recipes import RawFormat, ReaderOptions
from airnub_prefect_starter.data_science.tables import QuarantinedRow, RawRows

__all__ = ["decode_text", "read_raw_rows"]

_PREVIEW = 200
#: Rows decoded from Parquet at a time.
_PARQUET_BATCH_ROWS = 64 * 1024


def decode_text(data: bytes, encoding: str, where: str) -> str:
    """``data`` decoded strictly; :class:`RawDataError` naming the first undecodable byte and its offset."""
    try:
        info = codecs.lookup(encoding)
    except LookupError:
        raise RawDataError(f"{where}: reader.encoding {encoding!r} is not a known encoding") from None
    if not is_text_codec(info):  # zlib, rot13, base64: codecs, but not text encodings (a direct caller's)
        raise RawDataError(f"{where}: reader.encoding {encoding!r} is not a text encoding")
    try:
        return data.decode("utf-8-sig" if info.name == "utf-8" else info.name)
    except UnicodeDecodeError as exc:
        byte = data[exc.start : exc.start + 1].hex()
        raise RawDataError(
            f"{where}: byte {exc.start} (0x{byte}) is not valid {encoding}; set reader.encoding to the file's encoding"
        ) from None
    except UnicodeError as exc:  # a codec refusing the whole input (``undefined``, UTF-16 without a byte order mark)
        raise RawDataError(f"{where}: cannot be read as {encoding}: {exc}") from None


def _null(value: str, options: ReaderOptions) -> str | None:
    return None if value.strip() in options.null_values else value


_ReaderCheck = Literal["field_count", "malformed", "not_an_object"]


def _rejected(sha256: str, location: int, check: _ReaderCheck, value: str, reason: str) -> QuarantinedRow:
    return QuarantinedRow(sha256, location, "", check, value[:_PREVIEW], reason)


def _read_delimited(
    text: str, fmt: RawFormat, options: ReaderOptions, positional: tuple[str, ...], sha256: str, where: str
) -> RawRows:
    delimiter = options.delimiter or ("\t" if fmt == "tsv" else ",")
    reader = csv.reader(
        io.StringIO(text, newline=""),
        delimiter=delimiter,
        quotechar=options.quote_char,
        escapechar=options.escape_char,
        doublequote=options.escape_char is None,
        strict=True,
    )
    columns: tuple[str, ...] | None = None if options.header else positional
    rows: list[tuple[object, ...]] = []
    locations: list[int] = []
    rejected: list[QuarantinedRow] = []
    skipped = 0
    start = 1
    try:
        for fields in reader:
            line, start = start, reader.line_num + 1
            if not fields:
                continue  # a blank line
            if skipped < options.skip_rows:
                skipped += 1
                continue
            if columns is None:
                columns = tuple(f.strip() for f in fields)
                duplicates = sorted({c for c in columns if columns.count(c) > 1})
                if duplicates or "" in columns:
                    raise RawDataError(f"{where}: line {line}: header has duplicate or empty column names {duplicates}")
                continue
            if len(fields) != len(columns):
                raw = delimiter.join(fields)
                reason = f"expected {len(columns)} fields, got {len(fields)}"
                rejected.append(_rejected(sha256, line, "field_count", raw, reason))
                continue
            rows.append(tuple(_null(f, options) for f in fields))
            locations.append(line)
    except csv.Error as exc:
        raise RawDataError(f"{where}: line {start}: not valid {fmt.upper()}: {exc}") from None
    if columns is None:
        raise RawDataError(f"{where}: no header row (the file holds {skipped} row(s) to skip and nothing else)")
    if rejected and not rows:
        source = "header" if options.header else "schema"
        raise SchemaMismatchError(
            f"{where}: no row has the {len(columns)} fields the {source} names ({rejected[0].reason} on line "
            f"{rejected[0].location}); wrong delimiter or schema?"
        )
    return RawRows(sha256, columns, tuple(rows), tuple(locations), tuple(rejected), "line")


def _from_records(
    records: list[tuple[int, object]], sha256: str, kind: Literal["line", "record"], rejected: list[QuarantinedRow]
) -> RawRows:
    names: dict[str, None] = {}
    objects: list[tuple[int, dict[str, object]]] = []
    for location, record in records:
        if isinstance(record, dict):
            names.update(dict.fromkeys(str(k) for k in record))
            objects.append((location, {str(k): v for k, v in record.items()}))
        else:
            raw = json.dumps(record, ensure_ascii=False)
            reason = f"record is {type(record).__name__}, not an object"
            rejected.append(_rejected(sha256, location, "not_an_object", raw, reason))
    columns = tuple(names)
    rows = tuple(tuple(obj.get(name) for name in columns) for _, obj in objects)
    return RawRows(sha256, columns, rows, tuple(loc for loc, _ in objects), tuple(rejected), kind)


def _read_json(text: str, options: ReaderOptions, sha256: str, where: str) -> RawRows:
    try:
        document = load_json_bounded(text)
    except ValueError as exc:
        raise RawDataError(f"{where}: not valid JSON: {exc}") from None
    key = options.records_key
    if key is not None:
        if not isinstance(document, dict) or not isinstance(document.get(key), list):
            raise RawDataError(f"{where}: '{key}': missing or not an array of records")
        document = document[key]
    elif not isinstance(document, list):
        raise RawDataError(f"{where}: top level is {type(document).__name__}, expected an array (or set records_key)")
    return _from_records(list(enumerate(document)), sha256, "record", [])


def _read_jsonl(text: str, sha256: str) -> RawRows:
    records: list[tuple[int, object]] = []
    rejected: list[QuarantinedRow] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append((number, load_json_bounded(line)))
        except ValueError as exc:
            reason = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
            rejected.append(_rejected(sha256, number, "malformed", line, f"not valid JSON: {reason}"))
    return _from_records(records, sha256, "line", rejected)


def _read_parquet(data: bytes, sha256: str, where: str) -> RawRows:
    """The rows of a Parquet file, decoded one record batch at a time: besides the rows themselves, memory holds
    one batch of Arrow data and its Python values, however many rows the file has (a small file of millions of
    repeated values decompresses to far more than its size)."""
    rows: list[tuple[object, ...]] = []
    try:
        parquet = pq.ParquetFile(pa.BufferReader(data))
        columns = tuple(parquet.schema_arrow.names)
        for batch in parquet.iter_batches(batch_size=_PARQUET_BATCH_ROWS):
            rows.extend(zip(*(column.to_pylist() for column in batch.columns), strict=True))
    except (OSError, pa.ArrowException) as exc:
        raise RawDataError(f"{where}: not a readable Parquet file: {exc}") from None
    return RawRows(sha256, columns, tuple(rows), range(len(rows)), (), "record")


def read_raw_rows(
    data: bytes, fmt: RawFormat, options: ReaderOptions, *, positional: tuple[str, ...], sha256: str, where: str
) -> RawRows:
    """The rows of one raw object. ``positional`` names the columns of a csv/tsv without a header row (the
    schema's input names, in order); ``where`` prefixes every error ("dataset iris: object 3f2a... (iris.csv)")."""
    if not data.strip():
        raise RawDataError(f"{where}: empty file ({len(data)} bytes)")
    if fmt == "parquet":
        return _read_parquet(data, sha256, where)
    text = decode_text(data, options.encoding, where)
    if fmt == "json":
        return _read_json(text, options, sha256, where)
    if fmt == "jsonl":
        return _read_jsonl(text, sha256)
    return _read_delimited(text, fmt, options, positional, sha256, where)
