"""The processing stage's unit of work: one configured dataset, from its raw object in the index to Parquet.

:func:`build_dataset` looks the raw inputs up in the manifest index, and does nothing at all (no parse, no write)
when the dataset on disk was built from exactly those inputs with the same recipe (format, reader options, schema)
and still matches its manifest. Otherwise it streams the raw objects through the declared schema (bad rows to
quarantine) into the dataset with
:func:`~airnub_prefect_starter.data_science.dataset_processing.build_dataset_files` (bounded memory,
deterministic bytes). Raw objects on
object storage are read from local copies in the runtime's ``raw_cache_dir``, fetched once and verified.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from airnub_prefect_starter.common.settings import AirnubSettings
from airnub_prefect_starter.common.utils import sha256_file
from airnub_prefect_starter.core.errors import ConfigError, StorageError
from airnub_prefect_starter.core.store.lineage import RawInput, local_raw_file, select_raw_inputs
from airnub_prefect_starter.core.store.object_store import S3Credentials
from airnub_prefect_starter.data_science.dataset_processing import RawObject, build_dataset_files
from airnub_prefect_starter.data_science.dataset_store import (
    DatasetManifest,
    dataset_manifest_path,
    load_dataset_manifest,
)
from airnub_prefect_starter.processing.config import DatasetSpec
from airnub_prefect_starter.processing.outcome import DatasetOutcome, DatasetStatus, RawInputRef
from airnub_prefect_starter.stages.runtime import StageRuntime

__all__ = ["DatasetSpec", "ProcessingRuntime", "build_dataset", "up_to_date_manifest"]

logger = logging.getLogger(__name__)

#: The folder of the data dir's working copy holding fetched raw objects (hidden: never synchronised).
RAW_CACHE_DIR_NAME = ".raw-cache"


@dataclass(frozen=True, kw_only=True)
class ProcessingRuntime(StageRuntime):
    """Picklable settings shared by every dataset of one category run: the stage's shared fields, plus where its
    datasets are written and where raw objects on object storage are fetched to."""

    output_dir: Path
    #: Where raw objects on object storage are fetched to (``<data_source_name>/<sha256>/<filename>``).
    raw_cache_dir: Path | None = None

    @classmethod
    def for_category(
        cls, category: str, output_base: str, settings: AirnubSettings, credentials: S3Credentials | None = None
    ) -> ProcessingRuntime:
        return cls(
            **cls.shared_fields(category, settings, credentials),
            output_dir=settings.data_path(output_base),
            raw_cache_dir=settings.resolved_data_dir / RAW_CACHE_DIR_NAME,
        )

    def raw_file(self, raw: RawInput) -> Path:
        """The raw input as a local file (see :func:`local_raw_file`)."""
        cache_dir = self.raw_cache_dir or self.output_dir.parent / RAW_CACHE_DIR_NAME
        return local_raw_file(raw, cache_dir, self.credentials)


def up_to_date_manifest(parquet_path: Path, input_sha256s: Sequence[str], recipe_sha256: str) -> DatasetManifest | None:
    """The manifest of the dataset at ``parquet_path`` if it was built from exactly ``input_sha256s`` with the
    recipe hashing to ``recipe_sha256`` (format, reader, schema) and its Parquet (and quarantine) files still hash to
    the manifest; else ``None`` (rebuild)."""
    try:
        manifest = load_dataset_manifest(parquet_path, verify=True)
    except (ConfigError, StorageError) as exc:  # absent, unreadable, older or tampered with: build it again
        if parquet_path.exists() or dataset_manifest_path(parquet_path).exists():
            logger.info("%s: rebuilding (%s)", parquet_path.name, exc)
        return None
    if manifest.input_sha256s != tuple(sorted(set(input_sha256s))) or manifest.recipe_sha256 != recipe_sha256:
        return None
    quarantine_path = parquet_path.with_name(f"{parquet_path.stem}.quarantine.csv")
    if manifest.quarantine is None:
        return None if quarantine_path.exists() else manifest
    if not quarantine_path.is_file() or sha256_file(quarantine_path) != manifest.quarantine.sha256:
        return None
    return manifest


def _outcome(
    category: str, status: DatasetStatus, manifest: DatasetManifest, parquet_path: Path, raws: Sequence[RawInput]
) -> DatasetOutcome:
    quarantine = parquet_path.with_name(manifest.quarantine.filename) if manifest.quarantine else None
    return DatasetOutcome(
        category=category,
        name=manifest.dataset_name,
        status=status,
        inputs=tuple(RawInputRef(raw.data_source_name, raw.sha256, raw.urls) for raw in raws),
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
    index = runtime.open_index()
    raws = select_raw_inputs(index, spec.input, spec.versions)
    sha256s = [raw.sha256 for raw in raws]
    recipe_sha256 = spec.recipe_sha256()
    parquet_path = runtime.output_dir / f"{spec.name}.parquet"
    current = up_to_date_manifest(parquet_path, sha256s, recipe_sha256)
    if current is not None:
        logger.info("Dataset %s unchanged: raw inputs %s already processed", spec.name, [s[:12] for s in sha256s])
        return _outcome(runtime.category, "unchanged", current, parquet_path, raws)
    objects = [RawObject(runtime.raw_file(raw), raw.sha256, raw.filename) for raw in raws]
    written = build_dataset_files(objects, spec, runtime.output_dir, dataset=spec.name, recipe_sha256=recipe_sha256)
    manifest = written.manifest
    logger.info(
        "Built dataset %s: %d of %d rows kept, %d quarantined, sha256 %s",
        spec.name,
        manifest.rows_out,
        manifest.rows_in,
        manifest.rows_quarantined,
        manifest.sha256[:12],
    )
    return _outcome(runtime.category, "built", manifest, written.parquet_path, raws)
