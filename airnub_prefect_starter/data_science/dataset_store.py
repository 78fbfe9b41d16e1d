"""Write a parsed table as a deterministic Parquet dataset with a quarantine file and a versioned manifest.

Files written into ``out_dir`` for a dataset called ``<name>``::

    <name>.parquet              rows in input order, zstd, row groups of 262,144 rows, no pandas index/metadata
    <name>.quarantine.csv       object,<line|record>,column,check,value,reason  (only while rows are quarantined)
    <name>.dataset.json         DatasetManifest: inputs, counts, schema, parquet sha256 (created_at not hashed)

Same inputs give byte-identical files. Rows are written as they arrive (:class:`DatasetWriter`), so memory does
not grow with the dataset. Each file is written atomically (temp file in the same folder, fsync, ``os.replace``)
and only when its bytes change, so an unchanged dataset keeps its mtime.
"""

from __future__ import annotations

import contextlib
import csv
import os
import re
import secrets
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from airnub_prefect_starter import __version__
from airnub_prefect_starter.common.utils import generate_sha256_hash, sha256_file
from airnub_prefect_starter.core.errors import ConfigError, IntegrityError, StorageError
from airnub_prefect_starter.data_science.schemas import ColumnSpec, ColumnType, TableSchema
from airnub_prefect_starter.data_science.tables import LocationKind, ParsedTable, QuarantinedRow

if TYPE_CHECKING:  # pandas is imported where a frame is made: a dataset build never needs it
    import pandas as pd

__all__ = [
    "DATASET_MANIFEST_SCHEMA_VERSION",
    "DatasetManifest",
    "DatasetWriter",
    "OutputFile",
    "VerifiedDataset",
    "WrittenDataset",
    "atomic_write_bytes",
    "dataset_manifest_path",
    "frame_to_arrow",
    "load_dataset_manifest",
    "read_dataset",
    "read_verified_dataset",
    "verify_dataset",
    "write_dataset",
]

DATASET_MANIFEST_SCHEMA_VERSION: Final = 2
_ROW_GROUP_SIZE = 262_144
#: Columns whose values repeat: dictionary-encoded in Parquet (numbers and times seldom gain from it).
_DICTIONARY_TYPES = frozenset({"str", "category", "bool"})
_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,99}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_ARROW_TYPES: dict[ColumnType, pa.DataType] = {
    "int": pa.int64(),
    "float": pa.float64(),
    "str": pa.string(),
    "category": pa.string(),
    "bool": pa.bool_(),
    "date": pa.date32(),
    "datetime": pa.timestamp("us", tz="UTC"),
}


class OutputFile(BaseModel):
    """A file written beside the manifest, by name (relative to it), hash and size."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    filename: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    size_bytes: int = Field(ge=0)


class DatasetManifest(BaseModel):
    """Provenance of one dataset. Everything but ``created_at`` is a function of the inputs."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: Literal[2] = DATASET_MANIFEST_SCHEMA_VERSION
    dataset_name: str
    input_sha256s: tuple[str, ...] = Field(description="SHA-256 of every raw input, sorted.")
    recipe_sha256: str | None = Field(
        default=None, description="SHA-256 of how the inputs were read and checked (format, reader, schema)."
    )
    rows_in: int = Field(ge=0)
    rows_out: int = Field(ge=0)
    rows_quarantined: int = Field(ge=0)
    quarantine_counts: dict[str, int] = Field(default_factory=dict)
    table_schema: TableSchema
    parquet: OutputFile
    quarantine: OutputFile | None = None
    tool_version: str
    library_versions: dict[str, str] = Field(default_factory=dict)
    created_at: datetime

    @field_validator("input_sha256s")
    @classmethod
    def _sorted_hashes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(sorted(value))

    @property
    def sha256(self) -> str:
        """SHA-256 of the Parquet file: the dataset's identity."""
        return self.parquet.sha256

    def same_content(self, other: DatasetManifest) -> bool:
        return self.model_dump(exclude={"created_at"}) == other.model_dump(exclude={"created_at"})

    def to_json_bytes(self) -> bytes:
        return self.model_dump_json(indent=2).encode("utf-8") + b"\n"


@dataclass(frozen=True)
class WrittenDataset:
    """What :func:`write_dataset` left on disk. ``rewritten`` is False when the Parquet bytes were already there."""

    manifest: DatasetManifest
    parquet_path: Path
    manifest_path: Path
    quarantine_path: Path | None
    rewritten: bool
    manifest_updated: bool


def dataset_manifest_path(parquet_path: Path) -> Path:
    """``<dir>/<name>.parquet`` -> ``<dir>/<name>.dataset.json``."""
    return parquet_path.with_name(f"{parquet_path.stem}.dataset.json")


@contextlib.contextmanager
def _temp_path(directory: Path, filename: str) -> Iterator[Path]:
    # A fresh name, not mkstemp: the file gets the usual umask permissions instead of 0600.
    path = directory / f".{filename}.{secrets.token_hex(8)}.tmp"
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    with path.open("rb+") as handle:
        os.fsync(handle.fileno())


def atomic_write_bytes(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` atomically unless it already holds exactly those bytes; True if written."""
    if path.is_file() and path.read_bytes() == data:
        return False
    try:
        with _temp_path(path.parent, path.name) as temp:
            with temp.open("xb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, path)
    except OSError as exc:
        raise StorageError(f"{path}: cannot write: {exc.strerror or exc}") from exc
    return True


def _arrow_column(spec: ColumnSpec, column: pd.Series) -> pa.Array:
    if spec.type == "float":  # NaN (an empty value) stored as null
        return pa.array(column.to_numpy(dtype="float64"), type=pa.float64(), from_pandas=True)
    if spec.type in ("str", "category", "date"):
        return pa.array(column.tolist(), type=pa.string() if spec.type == "category" else _ARROW_TYPES[spec.type])
    return pa.array(column, type=_ARROW_TYPES[spec.type], from_pandas=True)


def frame_to_arrow(frame: pd.DataFrame, schema: TableSchema) -> pa.Table:
    """A frame of typed rows (as :class:`ParsedTable` holds them) as Arrow, in schema column order."""
    arrays = [_arrow_column(spec, frame[spec.name]) for spec in schema.columns]
    return pa.Table.from_arrays(arrays, names=list(schema.column_names))


def _arrow_schema(schema: TableSchema) -> pa.Schema:
    return pa.schema(
        pa.field(
            s.name,
            pa.dictionary(pa.int32(), pa.string()) if s.type == "category" else _ARROW_TYPES[s.type],
            nullable=s.nullable,
        )
        for s in schema.columns
    )


def _canonical(table: pa.Table, schema: TableSchema, target: pa.Schema) -> pa.Table:
    """Exactly the dataset's Arrow types: -0.0 folded into 0.0, categories dictionary-encoded per row group."""
    arrays = []
    for spec, column in zip(schema.columns, table.columns, strict=True):
        if spec.type == "category":
            arrays.append(pc.cast(column, pa.string()).combine_chunks().dictionary_encode())
        elif spec.type == "float":
            arrays.append(pc.add(pc.cast(column, pa.float64()), 0.0).combine_chunks())
        else:
            arrays.append(pc.cast(column, _ARROW_TYPES[spec.type]).combine_chunks())
    return pa.Table.from_arrays(arrays, schema=target)


class DatasetWriter:
    """Writes one dataset as its rows arrive, in bounded memory: Parquet row group by row group (a fixed number of
    rows each, so the bytes do not depend on how the rows were batched) and the quarantine rows, both into temp
    files beside the targets. :meth:`commit` puts them in place (each only if its bytes changed) and writes the
    manifest; leaving the ``with`` block without a commit leaves the dataset's files as they were."""

    def __init__(
        self,
        out_dir: Path,
        dataset_name: str,
        schema: TableSchema,
        location_kind: LocationKind,
        input_sha256s: Sequence[str],
    ) -> None:
        if not _NAME.match(dataset_name):
            raise ConfigError(f"dataset_name: {dataset_name!r} must match {_NAME.pattern}")
        bad = [h for h in input_sha256s if not _SHA256.match(h)]
        if bad or not input_sha256s:
            raise ConfigError(f"input_sha256s: need lowercase hex SHA-256 values, got {bad or 'none'}")
        self.input_sha256s = tuple(dict.fromkeys(input_sha256s))
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"{out_dir}: cannot create: {exc.strerror or exc}") from exc
        self.schema = schema
        self.dataset_name = dataset_name
        self.parquet_path = out_dir / f"{dataset_name}.parquet"
        self.quarantine_path = out_dir / f"{dataset_name}.quarantine.csv"
        self._arrow_schema = _arrow_schema(schema)
        self._location_kind = location_kind
        self._stack = contextlib.ExitStack()
        self._parquet_temp = self._stack.enter_context(_temp_path(out_dir, self.parquet_path.name))
        self._quarantine_temp = self._stack.enter_context(_temp_path(out_dir, self.quarantine_path.name))
        self._pending: list[pa.Table] = []
        self._pending_rows = 0
        self.rows_out = 0
        self.quarantine_counts: Counter[str] = Counter()
        try:
            self._parquet = pq.ParquetWriter(
                self._parquet_temp,
                self._arrow_schema,
                compression="zstd",
                use_dictionary=[s.name for s in schema.columns if s.type in _DICTIONARY_TYPES],
                write_statistics=True,
            )
            self._quarantine_file = self._quarantine_temp.open("x", encoding="utf-8", newline="")
        except (OSError, pa.ArrowException) as exc:
            self._stack.close()
            raise StorageError(f"{self.parquet_path}: cannot write: {exc}") from exc
        self._stack.callback(self._quarantine_file.close)
        self._quarantine = csv.writer(self._quarantine_file, lineterminator="\n")
        self._quarantine.writerow(["object", location_kind, "column", "check", "value", "reason"])

    def __enter__(self) -> DatasetWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        with contextlib.suppress(OSError, pa.ArrowException):
            self._parquet.close()
        self._stack.close()

    def write(self, rows: pa.Table, quarantine: Sequence[QuarantinedRow] = ()) -> None:
        """Add typed rows (schema column order) and quarantined rows (in order)."""
        try:
            for q in quarantine:
                self._quarantine.writerow([q.object_sha256, q.location, q.column, q.check, q.value, q.reason])
                self.quarantine_counts[q.check] += 1
            if rows.num_rows:
                self._pending.append(rows)
                self._pending_rows += rows.num_rows
                self.rows_out += rows.num_rows
                if self._pending_rows >= _ROW_GROUP_SIZE:
                    self._flush(final=False)
        except (OSError, pa.ArrowException) as exc:
            raise StorageError(f"{self.parquet_path}: cannot write: {exc}") from exc

    def _flush(self, final: bool) -> None:
        table = pa.concat_tables(self._pending) if self._pending else self._arrow_schema.empty_table()
        whole = table.num_rows if final else table.num_rows - table.num_rows % _ROW_GROUP_SIZE
        for start in range(0, whole, _ROW_GROUP_SIZE):
            group = table.slice(start, min(_ROW_GROUP_SIZE, whole - start))
            self._parquet.write_table(
                _canonical(group, self.schema, self._arrow_schema), row_group_size=_ROW_GROUP_SIZE
            )
        rest = table.slice(whole)
        self._pending = [rest] if rest.num_rows else []
        self._pending_rows = rest.num_rows

    def commit(self, rows_in: int, *, recipe_sha256: str | None = None) -> WrittenDataset:
        """Put the files in place (those whose bytes changed) and write the manifest (see the module doc)."""
        parquet_path, quarantine_path = self.parquet_path, self.quarantine_path
        try:
            self._flush(final=True)
            self._parquet.close()
            self._quarantine_file.close()
            _fsync(self._parquet_temp)
            sha256, size = sha256_file(self._parquet_temp), self._parquet_temp.stat().st_size
            rewritten = not (parquet_path.is_file() and sha256_file(parquet_path) == sha256)
            if rewritten:
                os.replace(self._parquet_temp, parquet_path)
            quarantine_file: OutputFile | None = None
            if self.quarantine_counts:
                _fsync(self._quarantine_temp)
                q_sha256 = sha256_file(self._quarantine_temp)
                q_size = self._quarantine_temp.stat().st_size
                if not (quarantine_path.is_file() and sha256_file(quarantine_path) == q_sha256):
                    os.replace(self._quarantine_temp, quarantine_path)
                quarantine_file = OutputFile(filename=quarantine_path.name, sha256=q_sha256, size_bytes=q_size)
            else:  # a quarantine file left by an earlier, dirtier input would now be a lie
                quarantine_path.unlink(missing_ok=True)
        except (OSError, pa.ArrowException) as exc:
            raise StorageError(f"{parquet_path}: cannot write: {exc}") from exc
        finally:
            self.close()
        manifest = DatasetManifest(
            dataset_name=self.dataset_name,
            input_sha256s=self.input_sha256s,
            recipe_sha256=recipe_sha256,
            rows_in=rows_in,
            rows_out=self.rows_out,
            rows_quarantined=sum(self.quarantine_counts.values()),
            quarantine_counts=dict(sorted(self.quarantine_counts.items())),
            table_schema=self.schema,
            parquet=OutputFile(filename=parquet_path.name, sha256=sha256, size_bytes=size),
            quarantine=quarantine_file,
            tool_version=__version__,
            library_versions={"polars": pl.__version__, "pyarrow": pa.__version__},
            created_at=datetime.now(UTC),
        )
        manifest_path = dataset_manifest_path(parquet_path)
        existing = _existing_manifest(manifest_path)
        manifest_updated = existing is None or not existing.same_content(manifest)
        if existing is not None and not manifest_updated:
            manifest = existing
        else:
            atomic_write_bytes(manifest_path, manifest.to_json_bytes())
        return WrittenDataset(
            manifest=manifest,
            parquet_path=parquet_path,
            manifest_path=manifest_path,
            quarantine_path=quarantine_path if quarantine_file is not None else None,
            rewritten=rewritten,
            manifest_updated=manifest_updated,
        )


def _existing_manifest(path: Path) -> DatasetManifest | None:
    try:
        return DatasetManifest.model_validate_json(path.read_bytes())
    except (OSError, ValidationError):
        return None


def write_dataset(
    table: ParsedTable,
    out_dir: Path,
    dataset_name: str,
    input_sha256s: Sequence[str],
    *,
    recipe_sha256: str | None = None,
) -> WrittenDataset:
    """Write a table held in memory as ``<dataset_name>.parquet`` plus its quarantine file and manifest (see the
    module doc): the files :class:`DatasetWriter` writes from the same rows arriving in batches."""
    with DatasetWriter(out_dir, dataset_name, table.schema, table.location_kind, input_sha256s) as writer:
        writer.write(frame_to_arrow(table.frame, table.schema), table.quarantine)
        return writer.commit(table.rows_in, recipe_sha256=recipe_sha256)


def load_dataset_manifest(parquet_path: Path, *, verify: bool = True) -> DatasetManifest:
    """The manifest beside ``parquet_path``; with ``verify`` the Parquet file must still hash to its record."""
    path = dataset_manifest_path(parquet_path)
    try:
        manifest = DatasetManifest.model_validate_json(path.read_bytes())
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read dataset manifest: {exc.strerror or exc}") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(map(str, first["loc"])) or "(top level)"
        raise ConfigError(f"{path}: {where}: {first['msg']}") from exc
    if verify:
        verify_dataset(parquet_path, manifest)
    return manifest


def verify_dataset(parquet_path: Path, manifest: DatasetManifest) -> None:
    """Refuse the Parquet file unless it hashes to ``manifest`` (streamed: for callers that need no rows)."""
    try:
        actual = sha256_file(parquet_path)
    except OSError as exc:
        raise _unreadable(parquet_path, exc) from exc
    _check_sha256(parquet_path, actual, manifest)


def _unreadable(parquet_path: Path, exc: OSError) -> StorageError:
    """One wording for a dataset file that cannot be read, whether hashed in chunks or read whole."""
    return StorageError(f"{parquet_path}: cannot read dataset: {exc.strerror or exc}")


def _check_sha256(parquet_path: Path, actual: str, manifest: DatasetManifest) -> None:
    """One wording for a dataset that changed since its manifest was written, whichever way it was hashed."""
    if actual != manifest.sha256:
        raise IntegrityError(f"{parquet_path}: sha256 {actual} differs from its manifest's {manifest.sha256}")


def _to_frame(source: Path | pa.BufferReader, parquet_path: Path) -> pd.DataFrame:
    """Parse the file, or bytes of it already in memory (and verified), naming the file when that fails."""
    try:
        return pq.read_table(source).to_pandas()
    except (OSError, pa.ArrowException) as exc:
        raise StorageError(f"{parquet_path}: cannot read Parquet: {exc}") from exc


def read_dataset(parquet_path: Path) -> pd.DataFrame:
    """The dataset as a pandas frame (column order and dtypes as written)."""
    return _to_frame(parquet_path, parquet_path)


@dataclass(frozen=True, eq=False)
class VerifiedDataset:
    """A dataset's manifest and its rows, parsed from the very bytes that hashed to the manifest's sha256.

    Steps that share one (training, figures, report) neither hash nor read the file again, and cannot see a
    file replaced after it was verified. Compared by identity: frames have no plain ``==``.
    """

    manifest: DatasetManifest
    frame: pd.DataFrame


def read_verified_dataset(parquet_path: Path, manifest: DatasetManifest | None = None) -> VerifiedDataset:
    """Read ``parquet_path`` once, check its bytes against ``manifest`` (default: the one beside it) and parse
    those same bytes; :class:`IntegrityError` when they differ, as :func:`load_dataset_manifest` with ``verify``."""
    if manifest is None:
        manifest = load_dataset_manifest(parquet_path, verify=False)
    try:
        data = parquet_path.read_bytes()
    except OSError as exc:
        raise _unreadable(parquet_path, exc) from exc
    _check_sha256(parquet_path, generate_sha256_hash(data), manifest)
    return VerifiedDataset(manifest, _to_frame(pa.BufferReader(data), parquet_path))
