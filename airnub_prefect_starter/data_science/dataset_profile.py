"""A processed dataset read at any size: verified, described over all its rows, and sampled for models and figures.

Nothing here holds a dataset in memory. :func:`scan_verified_dataset` hashes the Parquet file in chunks against
its manifest, then polars scans it lazily (streaming batches): the statistics of
:func:`~airnub_prefect_starter.data_science.describe.describe_dataset` cover every row, and :func:`draw_sample`
reads a seeded sample of at most ``sample_rows`` rows into pandas, for a model and its figures. The same dataset
and seed always give the same sample (rows are chosen by position in the file, whose bytes the manifest's
sha256 fixes), so a re-run trains the same model.

The bytes read are the bytes hashed: the file is hashed first, and its identity (device, inode, size and
modification time) taken before hashing must still be the file's after the last read
(:meth:`DatasetScan.confirm`). Every writer of this package replaces a dataset with ``os.replace`` (a new inode),
so a dataset replaced while it was read is an :class:`IntegrityError`, never a mix; only a rewrite in place
that also restores the modification time could go unseen.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import polars as pl

from airnub_prefect_starter.core.errors import IntegrityError, StorageError
from airnub_prefect_starter.data_science.dataset_store import (
    DatasetManifest,
    VerifiedDataset,
    load_dataset_manifest,
    verify_dataset,
)
from airnub_prefect_starter.data_science.describe import (
    MAX_VALUES_IN_MEMORY,
    DatasetDescription,
    describe_dataset,
)
from airnub_prefect_starter.data_science.features import class_names, model_task
from airnub_prefect_starter.data_science.schemas import NUMERIC_TYPES, TableSchema

__all__ = [
    "DEFAULT_SAMPLE_ROWS",
    "DatasetProfile",
    "DatasetSample",
    "DatasetScan",
    "TargetClass",
    "draw_sample",
    "profile_dataset",
    "scan_verified_dataset",
]

#: Rows a model is trained on and figures are drawn from, at most (the analysis config's ``sample_rows``).
DEFAULT_SAMPLE_ROWS = 200_000
_POSITION = "__row_position"


def _identity(path: Path) -> tuple[int, int, int, int]:
    try:
        status = path.stat()
    except OSError as exc:
        raise StorageError(f"{path}: cannot read dataset: {exc.strerror or exc}") from exc
    return status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns


@dataclass(frozen=True)
class DatasetScan:
    """A dataset file verified against its manifest, to scan lazily; :meth:`confirm` after the last read."""

    path: Path
    manifest: DatasetManifest
    identity: tuple[int, int, int, int]

    def frame(self) -> pl.LazyFrame:
        """Every row, lazily (nothing is read until a query is collected)."""
        return pl.scan_parquet(self.path)

    def confirm(self) -> None:
        """:class:`IntegrityError` unless the file is still the one that was hashed."""
        if _identity(self.path) != self.identity:
            raise IntegrityError(f"{self.path}: dataset replaced while it was read; analyse it again")


def scan_verified_dataset(parquet_path: Path, manifest: DatasetManifest | None = None) -> DatasetScan:
    """Hash ``parquet_path`` in chunks (constant memory) against ``manifest`` (default: the one beside it), then
    hand it out to scan; :class:`IntegrityError` when the bytes differ from the manifest's sha256 or the file is
    replaced meanwhile."""
    if manifest is None:
        manifest = load_dataset_manifest(parquet_path, verify=False)
    identity = _identity(parquet_path)
    verify_dataset(parquet_path, manifest)
    scan = DatasetScan(parquet_path, manifest, identity)
    scan.confirm()
    return scan


@dataclass(frozen=True, eq=False)
class DatasetSample:
    """Rows of a verified dataset for a model and its figures: all of them when there are at most ``limit``,
    else ``limit`` drawn with ``seed``. ``population``: the rows it was drawn from (those with a target, for a
    model). ``dataset`` holds the manifest and the rows, in file order."""

    dataset: VerifiedDataset
    population: int
    limit: int
    seed: int

    @property
    def rows(self) -> int:
        return len(self.dataset.frame)

    @property
    def sampled(self) -> bool:
        return self.rows < self.population

    def describe(self, population: str = "rows") -> str:
        """``"1,000 of 5,000 rows (seeded sample: seed 42, sample_rows 1,000)"``, or ``"all 40 rows"``."""
        if not self.sampled:
            return f"all {self.population:,} {population}"
        return (
            f"{self.rows:,} of {self.population:,} {population} "
            f"(seeded sample: seed {self.seed}, sample_rows {self.limit:,})"
        )


def _has_value(schema: TableSchema, column: str) -> pl.Expr:
    """Rows with a value in ``column``: not null, and for a number not NaN (pandas' ``notna``)."""
    if schema.column(column).type in NUMERIC_TYPES:
        return pl.col(column).cast(pl.Float64).fill_nan(None).is_not_null()
    return pl.col(column).is_not_null()


def draw_sample(scan: DatasetScan, limit: int, seed: int, *, target: str | None = None) -> DatasetSample:
    """At most ``limit`` rows of the dataset, with a value of ``target`` when one is named: every such row when
    there are no more, else ``limit`` of them at positions drawn without replacement by numpy's generator
    seeded with ``seed``, in file order. Memory holds the sample and the drawn positions, not the dataset."""
    rows = scan.frame()
    if target is not None:
        rows = rows.filter(_has_value(scan.manifest.table_schema, target))
    population = int(rows.select(pl.len()).collect(engine="streaming").item())
    if population > limit:
        positions = np.sort(np.random.default_rng(seed).choice(population, size=limit, replace=False))
        wanted = pl.Series(_POSITION, positions, dtype=pl.UInt64).implode()
        rows = rows.with_row_index(_POSITION).filter(pl.col(_POSITION).cast(pl.UInt64).is_in(wanted))
        rows = rows.drop(_POSITION)
    frame = rows.collect(engine="streaming").to_pandas()
    return DatasetSample(VerifiedDataset(scan.manifest, frame), population, limit, seed)


@dataclass(frozen=True)
class TargetClass:
    """One value of a classifier's target over the whole dataset: the value, its name in reports and its rows."""

    value: object
    name: str
    rows: int


@dataclass(frozen=True, eq=False)
class DatasetProfile:
    """A dataset as an analysis sees it: statistics of all its rows; its target (the analysis' own, else the
    schema's; ``None``: no model), the rows without a value of it and, for a classifier, its classes counted
    over all rows; and a seeded sample of the rows with a target (every row without one)."""

    manifest: DatasetManifest
    description: DatasetDescription
    target: str | None
    target_missing: int
    classes: tuple[TargetClass, ...]
    sample: DatasetSample

    @property
    def rows(self) -> int:
        return self.description.rows

    @property
    def class_values(self) -> tuple[object, ...]:
        return tuple(c.value for c in self.classes)

    def with_sample(self, dataset: VerifiedDataset) -> DatasetProfile:
        """The same profile with the sample's rows seen another way (as its model sees them)."""
        return replace(self, sample=replace(self.sample, dataset=dataset))


def _target_classes(scan: DatasetScan, schema: TableSchema, target: str) -> tuple[TargetClass, ...]:
    counts = (
        scan.frame()
        .group_by(target)
        .agg(pl.len().alias("rows"))
        .filter(pl.col(target).is_not_null())
        .collect(engine="streaming")
    )
    ordered = sorted(counts.iter_rows())
    names = class_names(schema, target, [value for value, _ in ordered])
    return tuple(TargetClass(value, name, int(rows)) for (value, rows), name in zip(ordered, names, strict=True))


def profile_dataset(
    parquet_path: Path,
    manifest: DatasetManifest | None = None,
    *,
    target: str | None = None,
    sample_rows: int = DEFAULT_SAMPLE_ROWS,
    seed: int = 42,
    max_values: int = MAX_VALUES_IN_MEMORY,
) -> DatasetProfile:
    """Verify the dataset (:func:`scan_verified_dataset`), describe all its rows, count its target's missing
    values and (for a classifier) classes, and draw its sample; ``target`` defaults to the schema's.
    :class:`ConfigError` when the target is not a column or cannot be predicted (:func:`model_task`)."""
    scan = scan_verified_dataset(parquet_path, manifest)
    schema, name = scan.manifest.table_schema, scan.manifest.dataset_name
    task = model_task(schema, target, dataset=name)
    column = (target or schema.target) if task is not None else None
    description = describe_dataset(scan.frame(), schema, max_values=max_values)
    missing = description.missing(column) if column is not None else 0
    classes = _target_classes(scan, schema, column) if column is not None and task == "classification" else ()
    sample = draw_sample(scan, sample_rows, seed, target=column)
    scan.confirm()
    return DatasetProfile(scan.manifest, description, column, missing, classes, sample)
