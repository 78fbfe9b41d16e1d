"""Raw objects -> one clean, schema-checked dataset, following a declared :class:`DatasetRecipe`, in bounded memory.

A recipe is what the processing config declares for a dataset besides its name and input: the raw ``format``,
the ``reader`` options and the ``schema``. :func:`iter_checked_batches` streams each object through a reader
(:mod:`~airnub_prefect_starter.data_science.readers`), types and checks whole columns of each batch
(:mod:`~airnub_prefect_starter.data_science.validation`; bad rows to quarantine) and applies the primary key and
``unique`` checks across all of them (:mod:`~airnub_prefect_starter.data_science.keys`). :func:`build_dataset_files`
writes the batches as they come (:class:`~airnub_prefect_starter.data_science.dataset_store.DatasetWriter`);
:func:`parse_objects` collects them in memory instead (small inputs, notebooks, tests). Run as a script, with a
dataset declared in a processing config file::

    python -m airnub_prefect_starter.data_science.dataset_processing --raw iris.csv \\
        --config configs/variables/dept_project_alpha/processing_config_dept_project_alpha.yaml --dataset iris
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated

import polars as pl
import pyarrow as pa
import typer
from pydantic import ValidationError

from airnub_prefect_starter.common.prefetch import prefetch
from airnub_prefect_starter.common.utils import sha256_file
from airnub_prefect_starter.core.config import format_validation_error, load_yaml_file
from airnub_prefect_starter.core.errors import AirnubError, ConfigError, IntegrityError, RawDataError, StorageError
from airnub_prefect_starter.data_science.config_ds import data_paths
from airnub_prefect_starter.data_science.dataset_store import (
    DatasetManifest,
    DatasetWriter,
    WrittenDataset,
    write_dataset,
)
from airnub_prefect_starter.data_science.delimited import DelimitedReader, field_count_mismatch
from airnub_prefect_starter.data_science.keys import KeyTracker
from airnub_prefect_starter.data_science.readers import open_raw_reader
from airnub_prefect_starter.data_science.recipes import DatasetRecipe
from airnub_prefect_starter.data_science.schemas import TableSchema
from airnub_prefect_starter.data_science.tables import LocationKind, ParsedTable, QuarantinedRow
from airnub_prefect_starter.data_science.validation import BatchChecker, CheckedBatch, ColumnTally, input_positions

if TYPE_CHECKING:  # pandas is imported where a frame is made: a dataset build never needs it
    import pandas as pd

__all__ = [
    "DatasetManifest",
    "DatasetRecipe",
    "RawObject",
    "WrittenDataset",
    "app",
    "build_dataset_files",
    "iter_checked_batches",
    "parse_objects",
    "recipe_from_config",
    "write_dataset",
]

logger = logging.getLogger(__name__)

_READ_BYTES = 1 << 20
#: A dataset taking longer logs how far it got this often.
_PROGRESS_SECONDS = 10.0


@dataclass(frozen=True)
class RawObject:
    """A stored raw object: its file, the sha256 the index records for it and its file name (for messages)."""

    path: Path
    sha256: str
    filename: str


class _VerifiedFile:
    """A raw object's file, hashed as it is read: :meth:`verify` reads what is left and refuses bytes that differ
    from the index's record."""

    def __init__(self, obj: RawObject, handle: IO[bytes], where: str) -> None:
        self._obj, self._handle, self._where = obj, handle, where
        self._hash = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        try:
            data = self._handle.read(size)
        except OSError as exc:
            raise StorageError(f"{self._where}: cannot read {self._obj.path}: {exc.strerror or exc}") from exc
        self._hash.update(data)
        return data

    def verify(self) -> None:
        while self.read(_READ_BYTES):
            pass
        actual = self._hash.hexdigest()
        if actual != self._obj.sha256:
            raise IntegrityError(
                f"{self._where}: {self._obj.path}: sha256 {actual} differs from the index's {self._obj.sha256}"
            )


@contextlib.contextmanager
def _verified(obj: RawObject, where: str) -> Iterator[_VerifiedFile]:
    """The object's file, hashed as read; any error raised while reading it (typed or not) is an
    :class:`IntegrityError` instead when its bytes are not the indexed ones (a changed file explains the rest)."""
    try:
        handle = obj.path.open("rb")
    except OSError as exc:
        raise StorageError(f"{where}: cannot read {obj.path}: {exc.strerror or exc}") from exc
    with handle:
        stream = _VerifiedFile(obj, handle, where)
        try:
            yield stream
        finally:
            # after the last batch, or on the way out of an error (which IntegrityError then replaces); not when
            # the reader was abandoned (GeneratorExit): nothing was built from the rest
            if not isinstance(sys.exc_info()[1], GeneratorExit):
                stream.verify()


def _object_batches(
    obj: RawObject, recipe: DatasetRecipe, checker: BatchChecker, keys: KeyTracker, where: str
) -> Iterator[CheckedBatch]:
    schema = recipe.table_schema
    inputs = [schema.input_names[name] for name in schema.column_names]
    with _verified(obj, where) as stream:
        reader = open_raw_reader(
            stream, recipe.format, recipe.reader, positional=tuple(inputs), sha256=obj.sha256, where=where
        )
        records = recipe.format in ("json", "jsonl")
        if not records:
            input_positions(list(reader.columns), schema, where)
        tally = ColumnTally.for_schema(schema)
        rows_in = kept = 0
        first_rejected: QuarantinedRow | None = None
        for raw in prefetch(reader.batches(list(dict.fromkeys(inputs))), name="airnub-dataset-reader"):
            rows_in += raw.rows_in
            kept += raw.frame.height
            first_rejected = first_rejected or next(iter(raw.rejected), None)
            yield keys.enforce(checker.check(raw, inputs, tally, sha256=obj.sha256), obj.sha256)
        if records:
            input_positions(list(reader.columns), schema, where)
        if isinstance(reader, DelimitedReader) and first_rejected is not None and not kept:
            raise field_count_mismatch(where, len(reader.columns), first_rejected, recipe.reader.header)
        tally.raise_if_type_changed(schema, where)
        if rows_in == 0 and not recipe.allow_empty:
            raise RawDataError(f"{where}: no data rows (set allow_empty: true to accept an empty input)")


def iter_checked_batches(
    objects: Sequence[RawObject], recipe: DatasetRecipe, *, dataset: str
) -> Iterator[CheckedBatch]:
    """The dataset's rows from ``objects`` (in priority order: on a repeated primary key the earlier object's row
    is kept), batch by batch: typed, checked, keys enforced.

    Raises :class:`RawDataError` (or its :class:`SchemaMismatchError`) naming the dataset, the object and, where
    there is one, the column: an empty or undecodable file, a missing column, a column whose type changed, no
    data rows at all (unless ``allow_empty``); :class:`IntegrityError` when an object's bytes are not the indexed
    ones. An error can come after batches were yielded: write them somewhere that is only committed at the end."""
    keys = KeyTracker(recipe.table_schema)
    checker = BatchChecker(recipe.table_schema, recipe.reader, text_nulls=recipe.format in ("csv", "tsv"))
    for obj in objects:
        where = f"dataset {dataset}: object {obj.sha256[:12]} ({obj.filename})"
        yield from _object_batches(obj, recipe, checker, keys, where)


def _location_kind(recipe: DatasetRecipe) -> LocationKind:
    return "record" if recipe.format in ("json", "parquet") else "line"


def _log_quarantine(dataset: str, rows_quarantined: int, rows_in: int, counts: dict[str, int]) -> None:
    if rows_quarantined:
        logger.warning("dataset %s: quarantined %d of %d rows: %s", dataset, rows_quarantined, rows_in, counts)


def build_dataset_files(
    objects: Sequence[RawObject],
    recipe: DatasetRecipe,
    out_dir: Path,
    *,
    dataset: str,
    recipe_sha256: str | None = None,
) -> WrittenDataset:
    """Read, check and write the dataset batch by batch (memory does not grow with the inputs); the files are put
    in place only once every object was read and verified. Reading and parsing, typing and checking, and writing
    run as three overlapping stages (:func:`~airnub_prefect_starter.common.prefetch.prefetch`)."""
    sha256s = [obj.sha256 for obj in objects]
    with DatasetWriter(out_dir, dataset, recipe.table_schema, _location_kind(recipe), sha256s) as writer:
        rows_in = 0
        reported = time.monotonic()
        for batch in prefetch(iter_checked_batches(objects, recipe, dataset=dataset), name="airnub-dataset-checker"):
            rows_in += batch.rows_in
            writer.write(batch.frame.to_arrow(compat_level=pl.CompatLevel.oldest()), batch.quarantine)
            if time.monotonic() - reported >= _PROGRESS_SECONDS:
                reported = time.monotonic()
                logger.info("dataset %s: %s rows read, %s kept so far", dataset, f"{rows_in:,}", f"{writer.rows_out:,}")
        written = writer.commit(rows_in, recipe_sha256=recipe_sha256)
    manifest = written.manifest
    _log_quarantine(dataset, manifest.rows_quarantined, manifest.rows_in, manifest.quarantine_counts)
    return written


def _to_pandas(table: pa.Table, schema: TableSchema) -> pd.DataFrame:
    """Typed rows as a frame: nullable ints and bools, text as objects, dates as ``datetime.date``."""
    import pandas as pd

    columns: dict[str, pd.Series] = {}
    for spec, column in zip(schema.columns, table.columns, strict=True):
        if spec.type in ("str", "category", "date"):
            columns[spec.name] = pd.Series(column.to_pylist(), dtype=object)
        elif spec.type == "int":
            columns[spec.name] = pd.Series(column.to_pylist(), dtype="Int64")
        elif spec.type == "bool":
            columns[spec.name] = pd.Series(column.to_pylist(), dtype="boolean")
        else:
            columns[spec.name] = column.to_pandas()
    return pd.DataFrame(columns)


def parse_objects(objects: Sequence[RawObject], recipe: DatasetRecipe, *, dataset: str) -> ParsedTable:
    """The whole dataset in memory (see :func:`iter_checked_batches`; :func:`build_dataset_files` writes the
    same rows without holding them)."""
    schema = recipe.table_schema
    frames: list[pl.DataFrame] = []
    quarantine: list[QuarantinedRow] = []
    rows_in = 0
    for batch in iter_checked_batches(objects, recipe, dataset=dataset):
        frames.append(batch.frame)
        quarantine.extend(batch.quarantine)
        rows_in += batch.rows_in
    frame = pl.concat(frames) if frames else pl.DataFrame()
    arrow = frame.to_arrow() if frame.width else pa.table({n: pa.array([], pa.null()) for n in schema.column_names})
    table = ParsedTable(
        schema=schema,
        frame=_to_pandas(arrow, schema),
        quarantine=tuple(quarantine),
        rows_in=rows_in,
        location_kind=_location_kind(recipe),
        input_sha256s=tuple(obj.sha256 for obj in objects),
    )
    _log_quarantine(dataset, table.rows_quarantined, table.rows_in, table.quarantine_counts())
    return table


def recipe_from_config(path: Path, dataset: str) -> DatasetRecipe:
    """The recipe of the dataset called ``dataset`` in a processing config file (any category's ``datasets``)."""
    document = load_yaml_file(path)
    sections = document.values() if isinstance(document, dict) else ()
    for section in sections:
        for spec in section.get("datasets", ()) if isinstance(section, dict) else ():
            if isinstance(spec, dict) and spec.get("name") == dataset:
                keys = {k: v for k, v in spec.items() if k in ("format", "reader", "schema", "allow_empty")}
                try:
                    return DatasetRecipe.model_validate(keys)
                except ValidationError as exc:
                    raise ConfigError(
                        format_validation_error(f"{path}: dataset {dataset}", exc, DatasetRecipe)
                    ) from None
    raise ConfigError(f"{path}: no dataset named {dataset!r}")


app = typer.Typer(add_completion=False, help="Parse raw inputs into a deterministic Parquet dataset.")


@app.command()
def main(
    raw: Annotated[list[Path], typer.Option(help="Raw input file (repeat for several).", dir_okay=False)],
    config: Annotated[Path, typer.Option(help="Processing config file declaring the dataset.", dir_okay=False)],
    dataset: Annotated[str, typer.Option(help="Name of the dataset declared in CONFIG.")],
    out_dir: Annotated[Path | None, typer.Option(help="Default: <data dir>/processed.")] = None,
) -> None:
    """Parse RAW as CONFIG declares DATASET; write <name>.parquet, <name>.dataset.json (and a quarantine file)."""
    try:
        recipe = recipe_from_config(config, dataset)
        objects = []
        for path in raw:
            try:
                objects.append(RawObject(path, sha256_file(path), path.name))
            except OSError as exc:
                raise StorageError(f"{path}: cannot read raw input: {exc.strerror or exc}") from exc
        target = out_dir if out_dir is not None else data_paths().processed
        written = build_dataset_files(objects, recipe, target, dataset=dataset, recipe_sha256=recipe.recipe_sha256())
    except AirnubError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    manifest = written.manifest
    state = "written" if written.rewritten else "unchanged"
    typer.echo(f"{written.parquet_path} ({state}): {manifest.rows_out} rows, {manifest.rows_quarantined} quarantined")


if __name__ == "__main__":
    app()
