"""Raw object bytes -> batches of rows (:class:`RawBatch`), streamed: memory holds one batch, however big the file.

* csv, tsv: polars parses whole chunks of records. Before it does, one vectorised pass over each chunk's bytes finds
  where every record starts (quotes may hold delimiters and newlines), the line it starts on, its field count and
  whether its quoting is plain RFC 4180. A chunk whose quoting is not (a quote inside an unquoted field, an escape
  character, a lone carriage return, an unterminated quote) is read, from there to the end of the object, by the
  standard library's ``csv`` reader in strict mode, which is the reference: both paths give the same rows, lines
  and errors;
* json: an array of objects, at the top level or under ``records_key``; jsonl: one object per line, streamed;
* parquet: pyarrow, one record batch at a time.

Text is decoded strictly with the declared encoding: a file in another encoding is an error naming the byte
offset, never silently mangled. Problems with the whole object raise :class:`RawDataError` prefixed with
``where`` (which names the dataset and the object); a problem with one row is a rejected row (quarantine).
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from airnub_prefect_starter.common.utils import is_text_codec, load_json_bounded
from airnub_prefect_starter.core.errors import RawDataError, SchemaMismatchError
from airnub_prefect_starter.data_science.recipes import RawFormat, ReaderOptions
from airnub_prefect_starter.data_science.tables import LocationKind, QuarantinedRow, RawRows

__all__ = ["RawBatch", "RawReader", "decode_text", "open_raw_reader", "read_raw_rows"]

_PREVIEW = 200
#: Bytes of text parsed at a time (csv, tsv, jsonl); rows per batch for json and parquet.
CHUNK_BYTES = 4 << 20
BATCH_ROWS = 256 * 1024
_NEWLINE, _CR = 10, 13


@dataclass(frozen=True, eq=False)
class RawBatch:
    """Rows of one raw object as read, before typing: the wanted input columns (text as it is for csv/tsv, null
    values included; JSON or Parquet values otherwise), where each row starts, and the rows the reader itself
    rejected (wrong field count, malformed line, not an object)."""

    frame: pl.DataFrame
    locations: np.ndarray
    rejected: list[QuarantinedRow]

    @property
    def rows_in(self) -> int:
        return self.frame.height + len(self.rejected)


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


def _utf8_blocks(blocks: Iterable[bytes], encoding: str, where: str) -> Iterator[bytes]:
    """``blocks`` of text in ``encoding`` as UTF-8 (a UTF-8 byte order mark dropped), decoded strictly: ASCII
    blocks of a UTF-8 file pass through untouched."""
    info = _codec(encoding, where)
    utf8 = info.name == "utf-8"
    decoder = codecs.getincrementaldecoder("utf-8-sig" if utf8 else info.name)("strict")
    consumed = 0
    first = True
    try:
        for block in blocks:
            pending = decoder.getstate()[0]
            if utf8 and not first and not pending and block.isascii():
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


def _rejected(sha256: str, location: int, check: Literal["field_count", "malformed", "not_an_object"], value: str,
              reason: str) -> QuarantinedRow:  # fmt: skip
    return QuarantinedRow(sha256, location, "", check, value[:_PREVIEW], reason)


class RawReader:
    """One raw object's rows, batch by batch. ``columns`` names the input's columns (known from the header for
    csv/tsv before the first batch; for json and jsonl, every key seen so far: complete once the batches are
    exhausted)."""

    location_kind: LocationKind = "record"

    def __init__(self, sha256: str, where: str) -> None:
        self.sha256 = sha256
        self.where = where
        self.columns: dict[str, None] = {}

    def batches(self, wanted: Sequence[str] | None = None) -> Iterator[RawBatch]:
        """Batches holding the input columns ``wanted`` (json, jsonl: a key the input lacks reads as null;
        default: every column, for json and jsonl every key seen up to that batch)."""
        raise NotImplementedError


# -- csv, tsv -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _Records:
    """The records of one chunk of delimited text: byte spans, the line each starts on, which are blank, and the
    delimiters outside quotes (if each record has ``columns - 1`` of them, the sum is that times the records)."""

    starts: np.ndarray
    ends: np.ndarray  # exclusive: the newline (or the end of the chunk)
    lines: np.ndarray
    blank: np.ndarray
    newlines: int  # newlines in the chunk
    quotes: np.ndarray  # positions of the quote characters, in pairs (opening, closing)
    separators: int  # delimiters outside quotes

    def field_counts(self, chunk: bytes, delimiter: int) -> np.ndarray:
        """Each record's field count as the ``csv`` module counts them."""
        a = np.frombuffer(chunk, dtype=np.uint8)[: int(self.ends[-1]) + 1 if self.ends.size else 0]
        separators = np.flatnonzero(a == delimiter)
        fields = np.searchsorted(separators, self.ends) - np.searchsorted(separators, self.starts) + 1
        if self.quotes.size and separators.size:
            openers = self.quotes[0::2]
            quoted = np.searchsorted(separators, self.quotes[1::2]) - np.searchsorted(separators, openers)
            inside = quoted > 0
            if inside.any():
                record = np.searchsorted(self.ends, openers[inside])
                fields -= np.bincount(record, weights=quoted[inside], minlength=self.ends.size).astype(np.int64)
        return fields


class _Irregular(Exception):
    """The chunk's quoting is not plain RFC 4180: the ``csv`` module reads it."""


def _scan(chunk: bytes, delimiter: int, quote: int, final: bool, first_line: int) -> tuple[_Records, int]:
    """The complete records at the start of ``chunk`` (all of it if ``final``) and the offset after the last one
    (0: no record ends in the chunk yet); :class:`_Irregular` when the quoting is not plain RFC 4180."""
    a = np.frombuffer(chunk, dtype=np.uint8)
    newlines = np.flatnonzero(a == _NEWLINE)
    quotes = np.flatnonzero(a == quote)
    # a newline ends a record unless it is inside quotes (after an odd number of them)
    ending = np.flatnonzero((np.searchsorted(quotes, newlines) & 1) == 0) if quotes.size else None
    ends = newlines[ending] if ending is not None else newlines
    if final:
        cut = len(a)
        if cut and (not ends.size or ends[-1] != cut - 1):
            ends = np.append(ends, cut)
    elif ends.size:
        cut = int(ends[-1]) + 1
    else:
        cut = 0
    quotes = quotes[quotes < cut]
    if quotes.size % 2:
        raise _Irregular
    last = max(len(a) - 1, 0)
    if quotes.size:
        openers, closers = quotes[0::2], quotes[1::2]
        before = a[np.maximum(openers - 1, 0)]
        follows_closer = np.zeros(openers.size, dtype=bool)
        follows_closer[1:] = closers[:-1] == openers[1:] - 1
        opens_field = (openers == 0) | (before == delimiter) | (before == _NEWLINE) | follows_closer
        after = a[np.minimum(closers + 1, last)]
        precedes_opener = np.zeros(closers.size, dtype=bool)
        precedes_opener[:-1] = openers[1:] == closers[:-1] + 1
        at_end = closers + 1 >= len(a)
        closes_field = at_end | (after == delimiter) | (after == _NEWLINE) | (after == _CR) | precedes_opener
        if not (opens_field.all() and closes_field.all()):
            raise _Irregular
    if chunk.find(b"\r", 0, cut) != -1:
        returns = np.flatnonzero(a[:cut] == _CR)
        if ((returns + 1 >= len(a)) | (a[np.minimum(returns + 1, last)] != _NEWLINE)).any():
            raise _Irregular  # a lone carriage return ends a line for the csv module (or may, at the chunk's end)
    ends = (ends[ends <= cut] if cut else ends[:0]).astype(np.int64)
    starts = np.concatenate(([0], ends[:-1] + 1)).astype(np.int64) if ends.size else ends
    is_separator = a[:cut] == delimiter
    separators = int(np.count_nonzero(is_separator))
    if quotes.size and (quotes[1::2] - quotes[0::2] > 1).any():  # delimiters inside quoted fields do not count
        positions = np.flatnonzero(is_separator)
        inside = np.searchsorted(positions, quotes[1::2]) - np.searchsorted(positions, quotes[0::2])
        separators -= int(inside.sum())
    width = ends - starts
    blank = (width == 0) | ((width == 1) & (a[np.minimum(starts, last)] == _CR))
    if ending is None:
        lines = first_line + np.arange(ends.size, dtype=np.int64)
    else:  # a record starts on the line after the newline that ended the one before
        lines = first_line + np.concatenate(([0], ending[: ends.size - 1] + 1)).astype(np.int64)
    newline_count = int(np.count_nonzero(newlines < cut))
    return _Records(starts, ends, lines, blank, newline_count, quotes, separators), cut


def _csv_reader(lines: Iterable[str], fmt: RawFormat, options: ReaderOptions) -> csv.Reader:  # type: ignore[name-defined]
    return csv.reader(
        lines,
        delimiter=options.delimiter or ("\t" if fmt == "tsv" else ","),
        quotechar=options.quote_char,
        escapechar=options.escape_char,
        doublequote=options.escape_char is None,
        strict=True,
    )


def _text_lines(blocks: Iterable[bytes]) -> Iterator[str]:
    """UTF-8 ``blocks`` as the lines ``io.StringIO(text, newline="")`` yields (``\\n``, ``\\r\\n`` or ``\\r`` kept)."""
    rest = ""
    for block in blocks:
        lines = list(io.StringIO(rest + block.decode("utf-8"), newline=""))
        rest = lines.pop() if lines and (not lines[-1].endswith("\n")) else ""
        yield from lines
    if rest:
        yield from io.StringIO(rest, newline="")


class DelimitedReader(RawReader):
    """csv and tsv (see the module doc)."""

    location_kind: LocationKind = "line"

    def __init__(
        self, blocks: Iterator[bytes], fmt: RawFormat, options: ReaderOptions, positional: tuple[str, ...],
        sha256: str, where: str,
    ) -> None:  # fmt: skip
        super().__init__(sha256, where)
        self._fmt, self._options = fmt, options
        self._delimiter = options.delimiter or ("\t" if fmt == "tsv" else ",")
        self._fast = options.escape_char is None
        self._blocks = blocks
        self._buffer = b""
        self._eof = False
        self._line = 1  # the line the buffer starts on
        self._python_rows: Iterator[tuple[int, list[str]]] | None = None
        self._header(positional)

    def _fill(self) -> bool:
        block = next(self._blocks, None)
        if block is None:
            self._eof = True
            return False
        self._buffer += block
        return True

    def _scan_buffer(self) -> tuple[_Records, int] | None:
        """The complete records at the buffer's start, reading more until one ends; ``None``: from here on the
        ``csv`` module reads (irregular quoting, an escape character)."""
        if self._python_rows is not None or not self._fast:
            return None
        while True:
            try:
                records, cut = _scan(
                    self._buffer, ord(self._delimiter), ord(self._options.quote_char), self._eof, self._line
                )
            except _Irregular:
                return None
            if cut or self._eof:
                return records, cut
            self._fill()

    def _header(self, positional: tuple[str, ...]) -> None:
        """Skip ``skip_rows`` rows and read the header row (the ``csv`` module reads both)."""
        options = self._options
        skipped = 0
        names: list[str] | None = None if options.header else list(positional)
        while names is None or skipped < options.skip_rows:
            found = self._next_record()
            if found is None:
                break
            line, fields = found
            if not fields:
                continue
            if skipped < options.skip_rows:
                skipped += 1
                continue
            names = [f.strip() for f in fields]
            duplicates = sorted({c for c in names if names.count(c) > 1})
            if duplicates or "" in names:
                raise RawDataError(
                    f"{self.where}: line {line}: header has duplicate or empty column names {duplicates}"
                )
        if names is None:
            raise RawDataError(
                f"{self.where}: no header row (the file holds {skipped} row(s) to skip and nothing else)"
            )
        self.columns = dict.fromkeys(names)

    def _next_record(self) -> tuple[int, list[str]] | None:
        if self._python_rows is None:
            while not self._eof and len(self._buffer) < (1 << 16):
                self._fill()
            scanned = self._scan_buffer()
            if scanned is None:
                self._start_python()
            else:
                records, _ = scanned
                if not records.starts.size:
                    return None
                end = int(records.ends[0]) + 1
                record = self._buffer[:end]
                self._buffer = self._buffer[end:]
                line = self._line
                self._line += record.count(b"\n")
                try:
                    return line, next(_csv_reader(io.StringIO(record.decode("utf-8"), newline=""), self._fmt,
                                                  self._options), [])  # fmt: skip
                except csv.Error as exc:
                    raise RawDataError(f"{self.where}: line {line}: not valid {self._fmt.upper()}: {exc}") from None
        assert self._python_rows is not None
        return next(self._python_rows, None)

    def _start_python(self) -> None:
        """Read from the buffer's start to the end of the object with the ``csv`` module."""
        if self._python_rows is None:
            blocks = itertools.chain((self._buffer,), self._blocks)
            self._buffer = b""
            self._eof = True
            self._python_rows = self._python_records(blocks, self._line)

    def _python_records(self, blocks: Iterable[bytes], first_line: int) -> Iterator[tuple[int, list[str]]]:
        reader = _csv_reader(_text_lines(blocks), self._fmt, self._options)
        start = 1
        try:
            for fields in reader:
                line, start = start, reader.line_num + 1
                yield first_line + line - 1, fields
        except csv.Error as exc:
            raise RawDataError(
                f"{self.where}: line {first_line + start - 1}: not valid {self._fmt.upper()}: {exc}"
            ) from None

    def batches(self, wanted: Sequence[str] | None = None) -> Iterator[RawBatch]:
        names = list(self.columns)
        wanted = names if wanted is None else wanted
        positions = sorted({names.index(name) for name in wanted})
        while True:
            while not self._eof and len(self._buffer) < CHUNK_BYTES:
                self._fill()
            scanned = self._scan_buffer()
            if scanned is None:
                self._start_python()
                break
            records, cut = scanned
            chunk = self._buffer[:cut]
            self._buffer = self._buffer[cut:]
            self._line += records.newlines
            batch = self._parse_chunk(chunk, records, names, positions, wanted)
            if batch is not None:
                yield batch
            if self._eof and not self._buffer:
                return
        yield from self._python_batches(names, wanted)

    def _parse_chunk(
        self, chunk: bytes, records: _Records, names: list[str], positions: list[int], wanted: Sequence[str]
    ) -> RawBatch | None:
        keep = ~records.blank
        if not keep.any():
            return None
        frame = None
        if records.separators == (len(names) - 1) * int(np.count_nonzero(keep)):
            # every record has the header's field count, unless one has more and another fewer: polars refuses
            # a record with more fields than the schema, so it would tell
            frame = self._polars(chunk, names, positions, wanted, records.starts.size)
        if frame is not None:
            return RawBatch(frame.filter(pl.Series(keep)) if not keep.all() else frame, records.lines[keep], [])
        good = keep & (records.field_counts(chunk, ord(self._delimiter)) == len(names))
        rejected = [
            self._field_count_row(chunk[int(records.starts[i]) : int(records.ends[i])], int(records.lines[i]), names)
            for i in np.flatnonzero(keep & ~good)
        ]
        rows = np.flatnonzero(good)
        if not rows.size:
            return RawBatch(pl.DataFrame(schema=dict.fromkeys(wanted, pl.String)), rows.astype(np.int64), rejected)
        # the good records' bytes, contiguous runs joined
        breaks = np.flatnonzero(np.diff(rows) != 1)
        run_first = np.concatenate(([rows[0]], rows[breaks + 1]))
        run_last = np.concatenate((rows[breaks], [rows[-1]]))
        text = b"".join(
            chunk[int(records.starts[f]) : int(records.ends[e])] + b"\n"
            for f, e in zip(run_first, run_last, strict=True)
        )
        frame = self._polars(text, names, positions, wanted, rows.size)
        if frame is None:
            raise RawDataError(f"{self.where}: line {int(records.lines[rows[0]])}: not valid {self._fmt.upper()}")
        return RawBatch(frame, records.lines[rows], rejected)

    def _polars(
        self, text: bytes, names: list[str], positions: list[int], wanted: Sequence[str], rows: int
    ) -> pl.DataFrame | None:
        """``text`` parsed by polars, one row per record; ``None`` if a record has more fields than the header
        (or polars counts rows otherwise)."""
        try:
            frame = pl.read_csv(
                text,
                has_header=False,
                separator=self._delimiter,
                quote_char=self._options.quote_char,
                schema={f"column_{i}": pl.String for i in range(len(names))},
                columns=positions,
                empty_string_is_null=False,
                raise_if_empty=False,
            )
        except (pl.exceptions.ComputeError, pl.exceptions.SchemaError):  # a record of another field count
            return None
        if frame.height != rows:
            return None
        return frame.rename({f"column_{p}": names[p] for p in positions}).select(wanted)

    def _field_count_row(self, record: bytes, line: int, names: list[str]) -> QuarantinedRow:
        text = record.decode("utf-8")
        fields: list[str] = next(_csv_reader(io.StringIO(text, newline=""), self._fmt, self._options), [])
        reason = f"expected {len(names)} fields, got {len(fields)}"
        return _rejected(self.sha256, line, "field_count", self._delimiter.join(fields), reason)

    def _python_batches(self, names: list[str], wanted: Sequence[str]) -> Iterator[RawBatch]:
        assert self._python_rows is not None
        positions = [names.index(name) for name in wanted]
        columns: list[list[str]] = [[] for _ in wanted]
        lines: list[int] = []
        rejected: list[QuarantinedRow] = []
        for line, fields in self._python_rows:
            if not fields:
                continue
            if len(fields) != len(names):
                reason = f"expected {len(names)} fields, got {len(fields)}"
                rejected.append(_rejected(self.sha256, line, "field_count", self._delimiter.join(fields), reason))
                continue
            for values, position in zip(columns, positions, strict=True):
                values.append(fields[position])
            lines.append(line)
            if len(lines) >= BATCH_ROWS:
                yield self._python_batch(columns, lines, rejected, wanted)
                columns, lines, rejected = [[] for _ in wanted], [], []
        if lines or rejected:
            yield self._python_batch(columns, lines, rejected, wanted)

    def _python_batch(
        self, columns: list[list[str]], lines: list[int], rejected: list[QuarantinedRow], wanted: Sequence[str]
    ) -> RawBatch:
        frame = pl.DataFrame(dict(zip(wanted, columns, strict=True)), schema=dict.fromkeys(wanted, pl.String))
        return RawBatch(frame, np.asarray(lines, dtype=np.int64), rejected)

    def _empty(self, wanted: Sequence[str]) -> pl.DataFrame:
        return pl.DataFrame(schema=dict.fromkeys(wanted, pl.String))


# -- json, jsonl, parquet -------------------------------------------------------------------------------------------


def _series(name: str, values: list[object]) -> pl.Series:
    """A column of JSON values: typed when they share one scalar type, else kept as Python objects."""
    try:
        series = pl.Series(name, values, strict=True)
    except (TypeError, ValueError, OverflowError, pl.exceptions.PolarsError):
        return pl.Series(name, values, dtype=pl.Object)
    if series.dtype.is_nested():
        return pl.Series(name, values, dtype=pl.Object)
    return series


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
                rejected.append(_rejected(self.sha256, location, "not_an_object", raw, reason))
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
        for start in range(0, len(records), BATCH_ROWS):
            yield self._batch(list(enumerate(records[start : start + BATCH_ROWS], start)), [], wanted)


class JsonLinesReader(_RecordsReader):
    """One JSON value per line, streamed; a line that is not valid JSON is rejected as ``malformed``."""

    location_kind: LocationKind = "line"

    def __init__(self, blocks: Iterator[bytes], sha256: str, where: str) -> None:
        super().__init__(sha256, where)
        self._blocks = blocks

    def _lines(self) -> Iterator[tuple[int, str]]:
        number = 0
        rest = b""
        for block in self._blocks:
            parts = (rest + block).split(b"\n")
            rest = parts.pop()
            for part in parts:
                number += 1
                yield number, part.decode("utf-8")
        if rest:
            yield number + 1, rest.decode("utf-8")

    def batches(self, wanted: Sequence[str] | None = None) -> Iterator[RawBatch]:
        records: list[tuple[int, object]] = []
        rejected: list[QuarantinedRow] = []
        for number, line in self._lines():
            for piece in line.splitlines() or [""]:  # what ``str.splitlines`` counts as a line break besides "\n"
                if not piece.strip():
                    continue
                try:
                    records.append((number, load_json_bounded(piece)))
                except ValueError as exc:
                    reason = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
                    rejected.append(_rejected(self.sha256, number, "malformed", piece, f"not valid JSON: {reason}"))
            if len(records) + len(rejected) >= BATCH_ROWS:
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
                batch_size=BATCH_ROWS, columns=None if wanted is None else list(wanted)
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
    stream: Readable, fmt: RawFormat, options: ReaderOptions, *, positional: tuple[str, ...], sha256: str,
    where: str,
) -> RawReader:  # fmt: skip
    """A reader of one raw object. ``positional`` names the columns of a csv/tsv without a header row (the
    schema's input names, in order); ``where`` prefixes every error ("dataset iris: object 3f2a... (iris.csv)")."""
    peeked = _Peeked(iter(lambda: stream.read(CHUNK_BYTES), b""))
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
    data: bytes, fmt: RawFormat, options: ReaderOptions, *, positional: tuple[str, ...], sha256: str, where: str
) -> RawRows:
    """Every row of a small raw object in memory, as Python values (schema inference reads samples this way)."""
    reader = open_raw_reader(io.BytesIO(data), fmt, options, positional=positional, sha256=sha256, where=where)
    batches = list(reader.batches())
    columns = tuple(reader.columns)
    rows: list[tuple[object, ...]] = []
    locations: list[int] = []
    rejected: list[QuarantinedRow] = []
    nulls = set(options.null_values) if isinstance(reader, DelimitedReader) else set()
    for batch in batches:
        values = {name: batch.frame.get_column(name).to_list() for name in batch.frame.columns}
        if nulls:
            values = {k: [None if v is None or v.strip() in nulls else v for v in vs] for k, vs in values.items()}
        missing = [None] * batch.frame.height
        rows.extend(zip(*(values.get(name, missing) for name in columns), strict=True))
        locations.extend(batch.locations.tolist())
        rejected.extend(batch.rejected)
    if isinstance(reader, DelimitedReader) and rejected and not rows:
        raise field_count_mismatch(where, len(columns), rejected[0], options.header)
    return RawRows(sha256, columns, tuple(rows), tuple(locations), tuple(rejected), reader.location_kind)


def field_count_mismatch(where: str, columns: int, first: QuarantinedRow, header: bool) -> SchemaMismatchError:
    """No row of a csv/tsv has the header's (or schema's) field count: the delimiter or schema is wrong."""
    source = "header" if header else "schema"
    return SchemaMismatchError(
        f"{where}: no row has the {columns} fields the {source} names ({first.reason} on line "
        f"{first.location}); wrong delimiter or schema?"
    )
