"""csv and tsv, streamed: chunks of records parsed by polars, with the ``csv`` module as the reference.

Before polars parses a chunk, one vectorised pass over its bytes (:func:`scan_records`) finds where every record
starts (quotes may hold delimiters and newlines), the line it starts on and whether its quoting is plain RFC 4180;
if every record has the header's field count (the delimiters outside quotes add up, and polars refuses a record
with more fields than the schema) polars reads the chunk whole, else each record's fields are counted and the
others rejected (``field_count``). A chunk whose quoting is not plain RFC 4180 (a quote inside an unquoted field,
an escape character, a lone carriage return, an unterminated quote) is read, from there to the end of the object,
by the standard library's ``csv`` reader in strict mode, which is the reference: both paths give the same rows,
lines and errors. The header row and the rows to skip are always read by the ``csv`` module.
"""

from __future__ import annotations

import codecs
import collections
import csv
import io
import itertools
from collections.abc import Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from airnub_prefect_starter.core.errors import RawDataError, SchemaMismatchError
from airnub_prefect_starter.data_science import raw_batches
from airnub_prefect_starter.data_science.raw_batches import RawBatch, RawReader, rejected_row
from airnub_prefect_starter.data_science.recipes import RawFormat, ReaderOptions
from airnub_prefect_starter.data_science.tables import LocationKind, QuarantinedRow

__all__ = ["DelimitedReader", "Irregular", "Records", "field_count_mismatch", "scan_records"]

_NEWLINE, _CR = 10, 13
#: Chunks read looking for the end of one record before the ``csv`` module takes over.
_MAX_RECORD_CHUNKS = 4
#: Records the ``csv`` module reads before the byte scan is tried again.
_PYTHON_SPAN = 4096


@dataclass(frozen=True, eq=False)
class Records:
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


class Irregular(Exception):
    """The chunk's quoting is not plain RFC 4180: the ``csv`` module reads it."""


def scan_records(chunk: bytes, delimiter: int, quote: int, final: bool, first_line: int) -> tuple[Records, int]:
    """The complete records at the start of ``chunk`` (all of it if ``final``) and the offset after the last one
    (0: no record ends in the chunk yet); :class:`Irregular` when the quoting is not plain RFC 4180."""
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
    if quotes.size:  # a quote opening a field where none starts (an inch mark) is text to the csv module
        openers = quotes[0::2]
        before = a[np.maximum(openers - 1, 0)]
        after_closer = np.zeros(openers.size, dtype=bool)
        after_closer[1:] = quotes[1::2][: openers.size - 1] == openers[1:] - 1
        if not ((openers == 0) | (before == delimiter) | (before == _NEWLINE) | after_closer).all():
            raise Irregular
    quotes = quotes[quotes < cut]
    if quotes.size % 2:
        raise Irregular
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
            raise Irregular
    if chunk.find(b"\r", 0, cut) != -1:
        returns = np.flatnonzero(a[:cut] == _CR)
        if ((returns + 1 >= len(a)) | (a[np.minimum(returns + 1, last)] != _NEWLINE)).any():
            raise Irregular  # a lone carriage return ends a line for the csv module (or may, at the chunk's end)
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
    return Records(starts, ends, lines, blank, newline_count, quotes, separators), cut


def _csv_reader(lines: Iterable[str], fmt: RawFormat, options: ReaderOptions) -> csv.Reader:  # type: ignore[name-defined]
    return csv.reader(
        lines,
        delimiter=options.delimiter or ("\t" if fmt == "tsv" else ","),
        quotechar=options.quote_char,
        escapechar=options.escape_char,
        doublequote=options.escape_char is None,
        strict=True,
    )


class _LineSource:
    """UTF-8 blocks as the lines ``io.StringIO(text, newline="")`` yields (``\\n``, ``\\r\\n`` or ``\\r``
    kept), for the ``csv`` module; :meth:`remainder` hands back what it has not taken yet."""

    def __init__(self, blocks: Iterator[bytes]) -> None:
        self._blocks = blocks
        self._pending: collections.deque[str] = collections.deque()
        self._rest = ""

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        while not self._pending:
            block = next(self._blocks, None)
            if block is None:
                if not self._rest:
                    raise StopIteration
                self._pending.extend(io.StringIO(self._rest, newline=""))
                self._rest = ""
                break
            lines = list(io.StringIO(self._rest + block.decode("utf-8"), newline=""))
            self._rest = lines.pop() if lines and not lines[-1].endswith("\n") else ""  # a "\r\n" may be split
            self._pending.extend(lines)
        return self._pending.popleft()

    def remainder(self) -> tuple[bytes, Iterator[bytes]]:
        """The text not taken yet, and the blocks not read yet."""
        text = "".join(self._pending) + self._rest
        self._pending.clear()
        self._rest = ""
        return text.encode("utf-8"), self._blocks


class DelimitedReader(RawReader):
    """csv and tsv (see the module doc)."""

    location_kind: LocationKind = "line"

    def __init__(
        self,
        blocks: Iterator[bytes],
        fmt: RawFormat,
        options: ReaderOptions,
        positional: tuple[str, ...],
        sha256: str,
        where: str,
    ) -> None:
        super().__init__(sha256, where)
        self._fmt, self._options = fmt, options
        self._delimiter = options.delimiter or ("\t" if fmt == "tsv" else ",")
        # the vectorised scan reads single bytes: an escape character or a non-ASCII delimiter or quote is the
        # csv module's
        self._fast = options.escape_char is None and self._delimiter.isascii() and options.quote_char.isascii()
        self._blocks = blocks
        self._buffer = b""
        self._eof = False
        self._line = 1  # the line the buffer starts on
        self._python_rows: Iterator[tuple[int, list[str]]] | None = None
        self._lines: _LineSource | None = None
        self._next_line = 1  # the line of the record after the last one the csv module read
        self._header(positional)

    def _fill(self) -> bool:
        block = next(self._blocks, None)
        if block is None:
            self._eof = True
            return False
        self._buffer += block
        return True

    def _scan_buffer(self) -> tuple[Records, int] | None:
        """The complete records at the buffer's start, reading more until one ends; ``None``: from here on the
        ``csv`` module reads (irregular quoting, an escape character)."""
        if self._python_rows is not None or not self._fast:
            return None
        while True:
            try:
                records, cut = scan_records(
                    self._buffer, ord(self._delimiter), ord(self._options.quote_char), self._eof, self._line
                )
            except Irregular:
                return None
            if cut or self._eof:
                return records, cut
            if len(self._buffer) >= _MAX_RECORD_CHUNKS * raw_batches.CHUNK_BYTES:
                return None  # no record ends in 16 MB: a quote the csv module reads as text, or a huge field
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
                    return line, next(
                        _csv_reader(io.StringIO(record.decode("utf-8"), newline=""), self._fmt, self._options), []
                    )
                except csv.Error as exc:
                    raise RawDataError(f"{self.where}: line {line}: not valid {self._fmt.upper()}: {exc}") from None
        assert self._python_rows is not None
        return next(self._python_rows, None)

    def _start_python(self) -> None:
        """Read from the buffer's start with the ``csv`` module (see :meth:`_resume_scan`)."""
        if self._python_rows is None:
            self._lines = _LineSource(itertools.chain((self._buffer,), self._blocks))
            self._buffer = b""
            self._eof = True
            self._python_rows = self._python_records(self._lines, self._line)

    def _resume_scan(self) -> None:
        """After a span read by the ``csv`` module, at the end of a record, go back to the byte scan for the rest
        (it hands over again at the next irregular quote)."""
        assert self._lines is not None
        self._buffer, self._blocks = self._lines.remainder()
        self._eof = False
        self._line = self._next_line
        self._python_rows = self._lines = None

    def _python_records(self, lines: Iterator[str], first_line: int) -> Iterator[tuple[int, list[str]]]:
        reader = _csv_reader(lines, self._fmt, self._options)
        start = 1
        try:
            for fields in reader:
                line, start = start, reader.line_num + 1
                self._next_line = first_line + start - 1
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
            if self._python_rows is not None:
                finished = yield from self._python_batches(names, wanted)
                if finished:
                    return
                self._resume_scan()
            while not self._eof and len(self._buffer) < raw_batches.CHUNK_BYTES:
                self._fill()
            scanned = None if self._buffer.startswith(codecs.BOM_UTF8) else self._scan_buffer()
            if scanned is None:  # (polars drops a byte order mark that starts its input: a field's first bytes)
                self._start_python()
                continue
            records, cut = scanned
            chunk = self._buffer[:cut]
            self._buffer = self._buffer[cut:]
            self._line += records.newlines
            batch = self._parse_chunk(chunk, records, names, positions, wanted)
            if batch is not None:
                yield batch
            if self._eof and not self._buffer:
                return

    def _parse_chunk(
        self, chunk: bytes, records: Records, names: list[str], positions: list[int], wanted: Sequence[str]
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
        frame = None if text.startswith(codecs.BOM_UTF8) else self._polars(text, names, positions, wanted, rows.size)
        if frame is None:  # the csv module reads these records one by one
            fields = [self._fields(chunk[int(records.starts[i]) : int(records.ends[i])]) for i in rows.tolist()]
            frame = pl.DataFrame(
                {name: [f[names.index(name)] for f in fields] for name in wanted},
                schema=dict.fromkeys(wanted, pl.String),
            )
        return RawBatch(frame, records.lines[rows], rejected)

    def _fields(self, record: bytes) -> list[str]:
        """One record's fields as the ``csv`` module reads them."""
        return next(_csv_reader(io.StringIO(record.decode("utf-8"), newline=""), self._fmt, self._options), [])

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
        fields = self._fields(record)
        reason = f"expected {len(names)} fields, got {len(fields)}"
        return rejected_row(self.sha256, line, "field_count", self._delimiter.join(fields), reason)

    def _python_batches(self, names: list[str], wanted: Sequence[str]) -> Generator[RawBatch, None, bool]:
        """Rows read by the ``csv`` module, for :data:`_PYTHON_SPAN` records at most (when the byte scan may
        take over again); True when the object is read to its end."""
        assert self._python_rows is not None
        positions = [names.index(name) for name in wanted]
        columns: list[list[str]] = [[] for _ in wanted]
        lines: list[int] = []
        rejected: list[QuarantinedRow] = []
        finished = True
        for count, (line, fields) in enumerate(self._python_rows, start=1):
            if count >= _PYTHON_SPAN and self._fast:
                finished = False
            if not fields:
                continue
            if len(fields) != len(names):
                reason = f"expected {len(names)} fields, got {len(fields)}"
                rejected.append(rejected_row(self.sha256, line, "field_count", self._delimiter.join(fields), reason))
                continue
            for values, position in zip(columns, positions, strict=True):
                values.append(fields[position])
            lines.append(line)
            if len(lines) >= raw_batches.BATCH_ROWS:
                yield self._python_batch(columns, lines, rejected, wanted)
                columns, lines, rejected = [[] for _ in wanted], [], []
            if not finished:
                break
        if lines or rejected:
            yield self._python_batch(columns, lines, rejected, wanted)
        return finished

    def _python_batch(
        self, columns: list[list[str]], lines: list[int], rejected: list[QuarantinedRow], wanted: Sequence[str]
    ) -> RawBatch:
        frame = pl.DataFrame(dict(zip(wanted, columns, strict=True)), schema=dict.fromkeys(wanted, pl.String))
        return RawBatch(frame, np.asarray(lines, dtype=np.int64), rejected)


def field_count_mismatch(where: str, columns: int, first: QuarantinedRow, header: bool) -> SchemaMismatchError:
    """No row of a csv/tsv has the header's (or schema's) field count: the delimiter or schema is wrong."""
    source = "header" if header else "schema"
    return SchemaMismatchError(
        f"{where}: no row has the {columns} fields the {source} names ({first.reason} on line "
        f"{first.location}); wrong delimiter or schema?"
    )
