"""Raw object bytes -> batches of rows (:class:`RawBatch`), streamed: memory holds a few batches, however big the file.

* csv, tsv: :mod:`~airnub_prefect_starter.data_science.delimited` (polars, with the ``csv`` module as reference);
* json: an array of objects, at the top level or under ``records_key``; jsonl: one object per line, streamed;
* parquet: pyarrow, one record batch at a time.

Text is decoded strictly with the declared encoding (other encodings are decoded and re-encoded as UTF-8 on the
way): a file in another encoding is an error naming the byte offset, never silently mangled. Problems with the
whole object raise :class:`RawDataError` prefixed with ``where`` (which names the dataset and the object); a
problem with one row is a rejected row (quarantine).
"""

from __future__ import annotations

import codecs
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from airnub_prefect_starter.common.utils import is_text_codec, load_json_bounded
from airnub_prefect_starter.core.errors import RawDataError
from airnub_prefect_starter.data_science import raw_batches
from airnub_prefect_starter.data_science.delimited import DelimitedReader, field_count_mismatch
from airnub_prefect_starter.data_science.raw_batches import RawBatch, RawReader, rejected_row
from airnub_prefect_starter.data_science.recipes import RawFormat, ReaderOptions
from airnub_prefect_starter.data_science.tables import LocationKind, QuarantinedRow, RawRows

__all__ = ["RawBatch", "RawReader", "Readable", "decode_text", "open_raw_reader", "read_raw_rows"]


def _codec(encoding: str, where: str) -> codecs.CodecInfo:
    try:
        info = codecs.lookup(encoding)
    except LookupError:
        raise RawDataError(f"{where}: reader.encoding {encoding!r} is not a known encoding") from None
    if not is_text_codec(info):  # zlib, rot13, base64: codecs, but not text encodings (a direct caller's)
        raise RawDataError(f"{where}: reader.encoding {encoding!r} is not a text encoding")
    return info


def _not_valid(where: str, encoding: str, offset: int, byte: bytes) -> RawDataError:
    return RawDataError(
        f"{where}: byte {offset} (0x{byte.hex()}) is not valid {encoding}; set reader.encoding to the file's encoding"
    )


def decode_text(data: bytes, encoding: str, where: str) -> str:
    """``data`` decoded strictly; :class:`RawDataError` naming the first undecodable byte and its offset."""
    return b"".join(_utf8_blocks(iter((data,)), encoding, where)).decode("utf-8")


def _at_least(blocks: Iterable[bytes], size: int) -> Iterator[bytes]:
    """``blocks``, the first one joined with the next until it has ``size`` bytes (a byte order mark is whole)."""
    head = b""
    source = iter(blocks)
    for block in source:
        head += block
        if len(head) >= size:
            break
    if head:
        yield head
    yield from source


def _utf8_blocks(blocks: Iterable[bytes], encoding: str, where: str) -> Iterator[bytes]:
    """``blocks`` of text in ``encoding`` as UTF-8 (a UTF-8 byte order mark dropped), decoded strictly: ASCII
    blocks of a UTF-8 file pass through untouched."""
    info = _codec(encoding, where)
    utf8 = info.name == "utf-8"
    decoder = codecs.getincrementaldecoder(info.name)("strict")
    consumed = 0
    first = True
    try:
        for block in _at_least(blocks, len(codecs.BOM_UTF8)):
            if utf8 and first and block.startswith(codecs.BOM_UTF8):  # skipped, and counted in byte offsets
                block, consumed = block[len(codecs.BOM_UTF8) :], len(codecs.BOM_UTF8)
            pending = decoder.getstate()[0]
            if utf8 and not pending and block.isascii():
                yield block
            else:
                try:
                    text = decoder.decode(block)
                except UnicodeDecodeError as exc:
                    data = pending + block
                    offset = consumed - len(pending) + exc.start
                    raise _not_valid(where, encoding, offset, data[exc.start : exc.start + 1]) from None
                if text:
                    yield text.encode("utf-8")
            consumed += len(block)
            first = False
        pending = decoder.getstate()[0]
        try:
            tail = decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            raise _not_valid(where, encoding, consumed - len(pending) + exc.start, pending[exc.start :][:1]) from None
        if tail:
            yield tail.encode("utf-8")
    except UnicodeError as exc:  # a codec refusing the whole input (``undefined``, UTF-16 without a byte order mark)
        raise RawDataError(f"{where}: cannot be read as {encoding}: {exc}") from None


# -- json, jsonl, parquet -------------------------------------------------------------------------------------------


def _series(name: str, values: list[object]) -> pl.Series:
    """A column of JSON values: typed when they are all of one scalar type (or null), else kept as the Python
    values they are (polars would read ``[2, true]`` as ints and ``[2.5, 1]`` as floats: the reference sees
    ``True`` and ``1``)."""
    kinds = {type(v) for v in values} - {type(None)}
    if len(kinds) > 1 or kinds & {dict, list}:
        return pl.Series(name, values, dtype=pl.Object)
    try:
        return pl.Series(name, values, strict=True)
    except (TypeError, ValueError, OverflowError, pl.exceptions.PolarsError):  # an int of 65 bits and more
        return pl.Series(name, values, dtype=pl.Object)


class _RecordsReader(RawReader):
    """Rows from JSON records (objects); anything else in their place is rejected as ``not_an_object``."""

    def _batch(
        self, records: list[tuple[int, object]], rejected: list[QuarantinedRow], wanted: Sequence[str] | None
    ) -> RawBatch:
        objects: list[dict[str, object]] = []
        locations: list[int] = []
        for location, record in records:
            if isinstance(record, dict):
                self.columns.update(dict.fromkeys(str(k) for k in record))
                objects.append({str(k): v for k, v in record.items()})
                locations.append(location)
            else:
                raw = json.dumps(record, ensure_ascii=False)
                reason = f"record is {type(record).__name__}, not an object"
                rejected.append(rejected_row(self.sha256, location, "not_an_object", raw, reason))
        names = list(self.columns) if wanted is None else wanted
        frame = pl.DataFrame([_series(name, [obj.get(name) for obj in objects]) for name in names])
        return RawBatch(frame, np.asarray(locations, dtype=np.int64), rejected)


class JsonReader(_RecordsReader):
    """An array of objects at the top level or under ``records_key`` (the document is parsed whole)."""

    def __init__(self, blocks: Iterator[bytes], options: ReaderOptions, sha256: str, where: str) -> None:
        super().__init__(sha256, where)
        text = b"".join(blocks).decode("utf-8")
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
            raise RawDataError(
                f"{where}: top level is {type(document).__name__}, expected an array (or set records_key)"
            )
        self._records: list[object] = document

    def batches(self, wanted: Sequence[str] | None = None) -> Iterator[RawBatch]:
        records, self._records = self._records, []
        for start in range(0, len(records), raw_batches.BATCH_ROWS):
            yield self._batch(list(enumerate(records[start : start + raw_batches.BATCH_ROWS], start)), [], wanted)


class JsonLinesReader(_RecordsReader):
    """One JSON value per line, streamed; a line that is not valid JSON is rejected as ``malformed``."""

    location_kind: LocationKind = "line"

    def __init__(self, blocks: Iterator[bytes], sha256: str, where: str) -> None:
        super().__init__(sha256, where)
        self._blocks = blocks

    def _lines(self) -> Iterator[tuple[int, str]]:
        """Each line and its number, lines as ``str.splitlines`` counts them (``\\r``, ``\\x85``, ``\\u2028`` end
        one too)."""
        number = 0
        rest = b""
        for block in self._blocks:
            parts = (rest + block).split(b"\n")
            rest = parts.pop()
            for part in parts:
                for piece in part.decode("utf-8").splitlines() or [""]:
                    number += 1
                    yield number, piece
        for piece in rest.decode("utf-8").splitlines():
            number += 1
            yield number, piece

    def batches(self, wanted: Sequence[str] | None = None) -> Iterator[RawBatch]:
        records: list[tuple[int, object]] = []
        rejected: list[QuarantinedRow] = []
        for number, line in self._lines():
            if not line.strip():
                continue
            try:
                records.append((number, load_json_bounded(line)))
            except ValueError as exc:
                reason = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
                rejected.append(rejected_row(self.sha256, number, "malformed", line, f"not valid JSON: {reason}"))
            if len(records) + len(rejected) >= raw_batches.BATCH_ROWS:
                yield self._batch(records, rejected, wanted)
                records, rejected = [], []
        if records or rejected:
            yield self._batch(records, rejected, wanted)


class ParquetReader(RawReader):
    """A Parquet file, one record batch at a time (a small file of repeated values can decompress to far more)."""

    def __init__(self, data: bytes, sha256: str, where: str) -> None:
        super().__init__(sha256, where)
        try:
            self._file = pq.ParquetFile(pa.BufferReader(data))
            self.columns = dict.fromkeys(self._file.schema_arrow.names)
        except (OSError, pa.ArrowException) as exc:
            raise RawDataError(f"{where}: not a readable Parquet file: {exc}") from None

    def batches(self, wanted: Sequence[str] | None = None) -> Iterator[RawBatch]:
        start = 0
        try:
            for batch in self._file.iter_batches(
                batch_size=raw_batches.BATCH_ROWS, columns=None if wanted is None else list(wanted)
            ):
                frame = pl.from_arrow(batch)
                assert isinstance(frame, pl.DataFrame)
                frame = frame.with_columns(pl.col(pl.Categorical).cast(pl.String))
                yield RawBatch(frame, np.arange(start, start + frame.height, dtype=np.int64), [])
                start += frame.height
        except (OSError, pa.ArrowException) as exc:
            raise RawDataError(f"{self.where}: not a readable Parquet file: {exc}") from None


@dataclass
class _Peeked:
    """The object's first bytes, so an empty (or only blank) file is named before any parsing."""

    blocks: Iterator[bytes]
    head: list[bytes] = field(default_factory=list)
    size: int = 0

    def only_blank(self) -> bool:
        for block in self.blocks:
            self.head.append(block)
            self.size += len(block)
            if block.strip():
                return False
        return True

    def all(self) -> Iterator[bytes]:
        yield from self.head
        self.head = []
        yield from self.blocks


class Readable(Protocol):
    """A binary stream: a file, or the dataset builder's hashing wrapper of one."""

    def read(self, size: int = -1, /) -> bytes: ...


def open_raw_reader(
    stream: Readable,
    fmt: RawFormat,
    options: ReaderOptions,
    *,
    positional: tuple[str, ...],
    sha256: str,
    where: str,
) -> RawReader:
    """A reader of one raw object. ``positional`` names the columns of a csv/tsv without a header row (the
    schema's input names, in order); ``where`` prefixes every error ("dataset iris: object 3f2a... (iris.csv)")."""
    peeked = _Peeked(iter(lambda: stream.read(raw_batches.CHUNK_BYTES), b""))
    if peeked.only_blank():
        raise RawDataError(f"{where}: empty file ({peeked.size} bytes)")
    if fmt == "parquet":
        return ParquetReader(b"".join(peeked.all()), sha256, where)
    text = _utf8_blocks(peeked.all(), options.encoding, where)
    if fmt == "json":
        return JsonReader(text, options, sha256, where)
    if fmt == "jsonl":
        return JsonLinesReader(text, sha256, where)
    return DelimitedReader(text, fmt, options, positional, sha256, where)


def read_raw_rows(
    data: bytes | Readable,
    fmt: RawFormat,
    options: ReaderOptions,
    *,
    positional: tuple[str, ...],
    sha256: str,
    where: str,
    max_rows: int | None = None,
) -> RawRows:
    """The rows of a raw object as Python values, the first ``max_rows`` of them at most (``complete`` says
    whether that was all): schema inference reads samples this way. ``data``: the bytes, or a stream read only as
    far as the rows need."""
    stream = io.BytesIO(data) if isinstance(data, bytes) else data
    reader = open_raw_reader(stream, fmt, options, positional=positional, sha256=sha256, where=where)
    nulls = set(options.null_values) if isinstance(reader, DelimitedReader) else set()
    rows: list[tuple[object, ...]] = []
    locations: list[int] = []
    rejected: list[QuarantinedRow] = []
    complete = True
    batches = reader.batches()
    for batch in batches:
        values = {name: batch.frame.get_column(name).to_list() for name in batch.frame.columns}
        if nulls:
            values = {k: [None if v is None or v.strip() in nulls else v for v in vs] for k, vs in values.items()}
        missing = [None] * batch.frame.height
        rows.extend(zip(*(values.get(name, missing) for name in reader.columns), strict=True))
        locations.extend(batch.locations.tolist())
        rejected.extend(batch.rejected)
        if max_rows is not None and len(rows) >= max_rows:
            complete = len(rows) == max_rows and next(batches, None) is None
            del rows[max_rows:], locations[max_rows:]
            break
    columns = tuple(reader.columns)
    padded = [row + (None,) * (len(columns) - len(row)) for row in rows]  # keys first seen in a later batch
    if isinstance(reader, DelimitedReader) and rejected and not padded:
        raise field_count_mismatch(where, len(columns), rejected[0], options.header)
    return RawRows(sha256, columns, tuple(padded), tuple(locations), tuple(rejected), reader.location_kind, complete)
