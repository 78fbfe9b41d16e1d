"""The processing stage's unit of work: one configured dataset, from its raw object in the index to Parquet.

:func:`build_dataset` looks the raw input up in the manifest index, and does nothing at all (no parse, no write)
when the dataset on disk was built from exactly that input with the same schema and still matches its manifest.
Otherwise it parses the raw object against the declared schema (bad rows to quarantine) and writes the dataset
with :func:`~airnub_prefect_starter.data_science.dataset_store.write_dataset` (deterministic bytes).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from airnub_prefect_starter.common.settings import AirnubSettings
from airnub_prefect_starter.common.utils import sha256_file
from airnub_prefect_starter.core.errors import ConfigError, IntegrityError, StorageError
from airnub_prefect_starter.core.store.index import open_index
from airnub_prefect_starter.core.store.lineage import RawInput, select_raw_input
from airnub_prefect_starter.data_science.dataset_processing import parse_records_json, parse_sklearn_csv
from airnub_prefect_starter.data_science.dataset_store import (
    DatasetManifest,
    dataset_manifest_path,
    load_dataset_manifest,
    write_dataset,
)
from airnub_prefect_starter.data_science.schemas import TableSchema, schema_for
from airnub_prefect_starter.data_science.tables import ParsedTable
from airnub_prefect_starter.processing.config import ApiDatasetSpec, FileDatasetSpec
from airnub_prefect_starter.processing.outcome import DatasetOutcome, DatasetStatus, RawInputRef

__all__ = ["DatasetSpec", "ProcessingRuntime", "build_dataset", "up_to_date_manifest"]

logger = logging.getLogger(__name__)

DatasetSpec = FileDatasetSpec | ApiDatasetSpec


@dataclass(frozen=True)
class ProcessingRuntime:
    """Picklable settings shared by every dataset of one category run."""

    category: str
    output_dir: Path
    index_url: str
    #: The data dir, which a PostgreSQL index records storage bases against (see ``open_index``).
    data_dir: Path | None = None

    @classmethod
    def for_category(cls, category: str, output_base: str, settings: AirnubSettings) -> ProcessingRuntime:
        return cls(category, settings.data_path(output_base), settings.resolved_index_url, settings.resolved_data_dir)


def up_to_date_manifest(
    parquet_path: Path, input_sha256s: Sequence[str], schema: TableSchema
) -> DatasetManifest | None:
    """The manifest of the dataset at ``parquet_path`` if it was built from exactly ``input_sha256s`` with
    ``schema`` and its Parquet (and quarantine) files still hash to the manifest; else ``None`` (rebuild)."""
    try:
        manifest = load_dataset_manifest(parquet_path, verify=True)
    except (ConfigError, StorageError) as exc:  # absent, unreadable or tampered with: build it again
        if parquet_path.exists() or dataset_manifest_path(parquet_path).exists():
            logger.info("%s: rebuilding (%s)", parquet_path.name, exc)
        return None
    if manifest.input_sha256s != tuple(sorted(set(input_sha256s))) or manifest.table_schema != schema:
        return None
    quarantine_path = parquet_path.with_name(f"{parquet_path.stem}.quarantine.csv")
    if manifest.quarantine is None:
        return None if quarantine_path.exists() else manifest
    if not quarantine_path.is_file() or sha256_file(quarantine_path) != manifest.quarantine.sha256:
        return None
    return manifest


def _parse(spec: DatasetSpec, raw: RawInput, schema: TableSchema) -> ParsedTable:
    if isinstance(spec, ApiDatasetSpec):
        table = parse_records_json(raw.path, schema, spec.records_key)
    else:
        table = parse_sklearn_csv(raw.path, schema)
    if table.source_sha256 != raw.sha256:
        raise IntegrityError(f"{raw.path}: sha256 {table.source_sha256} differs from the index's {raw.sha256}")
    return table


def _outcome(
    category: str, status: DatasetStatus, manifest: DatasetManifest, parquet_path: Path, raw: RawInput
) -> DatasetOutcome:
    quarantine = parquet_path.with_name(manifest.quarantine.filename) if manifest.quarantine else None
    return DatasetOutcome(
        category=category,
        name=manifest.dataset_name,
        status=status,
        inputs=(RawInputRef(raw.data_source_name, raw.sha256, raw.urls),),
        rows_in=manifest.rows_in,
        rows_out=manifest.rows_out,
        rows_quarantined=manifest.rows_quarantined,
        quarantine_counts=dict(manifest.quarantine_counts),
        sha256=manifest.sha256,
        path=str(parquet_path),
        manifest_path=str(dataset_manifest_path(parquet_path)),
        quarantine_path=str(quarantine) if quarantine else None,
    )


def build_dataset(spec: DatasetSpec, runtime: ProcessingRuntime) -> DatasetOutcome:
    """Build (or leave untouched) one dataset; raise a typed error when it cannot be built."""
    raw = select_raw_input(open_index(runtime.index_url, runtime.data_dir), spec.input)
    schema = schema_for(spec.schema_name)
    parquet_path = runtime.output_dir / f"{spec.name}.parquet"
    current = up_to_date_manifest(parquet_path, [raw.sha256], schema)
    if current is not None:
        logger.info("Dataset %s unchanged: raw input %s already processed", spec.name, raw.sha256[:12])
        return _outcome(runtime.category, "unchanged", current, parquet_path, raw)
    written = write_dataset(_parse(spec, raw, schema), runtime.output_dir, spec.name, [raw.sha256])
    manifest = written.manifest
    logger.info(
        "Built dataset %s: %d of %d rows kept, %d quarantined, sha256 %s",
        spec.name,
        manifest.rows_out,
        manifest.rows_in,
        manifest.rows_quarantined,
        manifest.sha256[:12],
    )
    return _outcome(runtime.category, "built", manifest, written.parquet_path, raw)
