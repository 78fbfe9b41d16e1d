"""One processing dataset, without Prefect: raw object from the index, incremental decision, integrity."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from airnub_prefect_starter.core.errors import ConfigError, IntegrityError
from airnub_prefect_starter.data_science.schemas import IRIS_SCHEMA, WINE_SCHEMA
from airnub_prefect_starter.processing.config import ApiDatasetSpec, FileDatasetSpec
from airnub_prefect_starter.processing.datasets import (
    ProcessingRuntime,
    build_dataset,
    up_to_date_manifest,
)
from tests.support.raw_inputs import FLOWERS_CSV, FLOWERS_JSON, publish_raw

StoreRaw = Callable[[str, bytes], Path]


@pytest.fixture
def runtime(tmp_path: Path, sqlite_url: str) -> ProcessingRuntime:
    return ProcessingRuntime("tabular_files", tmp_path / "processed", sqlite_url)


@pytest.fixture
def store_raw(tmp_path: Path, sqlite_url: str) -> StoreRaw:
    """``store_raw(filename, body)``: publish ``body`` in a CAS and record it in the index as source ``files``."""
    return lambda filename, body: publish_raw(tmp_path / "cas", sqlite_url, filename, body)


def csv_spec(name: str = "flowers", schema_name: str = "iris") -> FileDatasetSpec:
    return FileDatasetSpec.model_validate(
        {"name": name, "schema_name": schema_name, "input": {"data_source_name": "files", "filename": "flowers.csv"}}
    )


def test_build_dataset_from_json_records_picked_by_item_name(store_raw: StoreRaw, runtime: ProcessingRuntime) -> None:
    store_raw("records", FLOWERS_JSON)
    spec = ApiDatasetSpec.model_validate(
        {"name": "flowers_api", "schema_name": "iris", "input": {"data_source_name": "files", "name": "records"}}
    )

    outcome = build_dataset(spec, runtime)

    assert (outcome.status, outcome.rows_in, outcome.rows_out, outcome.rows_quarantined) == ("built", 7, 4, 3)
    assert outcome.inputs[0].urls == ("http://h/records",)
    assert outcome.quarantine_path == str(runtime.output_dir / "flowers_api.quarantine.csv")


def test_build_dataset_unchanged_input_is_not_even_read(store_raw: StoreRaw, runtime: ProcessingRuntime) -> None:
    raw = store_raw("flowers.csv", FLOWERS_CSV)
    first = build_dataset(csv_spec(), runtime)
    raw.write_bytes(b"not what the index promised")  # a rebuild would now fail the integrity check

    second = build_dataset(csv_spec(), runtime)

    assert (first.status, second.status) == ("built", "unchanged")
    assert (second.sha256, second.rows_quarantined) == (first.sha256, 6)


def test_build_dataset_refuses_a_raw_object_whose_bytes_changed(
    store_raw: StoreRaw, runtime: ProcessingRuntime
) -> None:
    raw = store_raw("flowers.csv", FLOWERS_CSV)
    raw.write_bytes(FLOWERS_CSV.replace(b"5.1", b"5.2"))

    with pytest.raises(IntegrityError, match="differs from the index's"):
        build_dataset(csv_spec(), runtime)

    assert not runtime.output_dir.exists() or list(runtime.output_dir.iterdir()) == []


def test_build_dataset_rebuilds_tampered_or_incomplete_outputs(store_raw: StoreRaw, runtime: ProcessingRuntime) -> None:
    store_raw("flowers.csv", FLOWERS_CSV)
    first = build_dataset(csv_spec(), runtime)
    parquet = runtime.output_dir / "flowers.parquet"
    quarantine = runtime.output_dir / "flowers.quarantine.csv"
    original = parquet.read_bytes()
    parquet.write_bytes(original[:-10])

    repaired = build_dataset(csv_spec(), runtime)
    quarantine.unlink()
    restored = build_dataset(csv_spec(), runtime)

    assert (repaired.status, restored.status) == ("built", "built")
    assert parquet.read_bytes() == original and repaired.sha256 == first.sha256
    assert quarantine.is_file()


def test_up_to_date_manifest_needs_same_inputs_and_schema(store_raw: StoreRaw, runtime: ProcessingRuntime) -> None:
    store_raw("flowers.csv", FLOWERS_CSV)
    outcome = build_dataset(csv_spec(), runtime)
    parquet = runtime.output_dir / "flowers.parquet"
    raw_sha256 = outcome.inputs[0].sha256

    assert up_to_date_manifest(parquet, [raw_sha256], IRIS_SCHEMA) is not None
    assert up_to_date_manifest(parquet, ["0" * 64], IRIS_SCHEMA) is None
    assert up_to_date_manifest(parquet, [raw_sha256], WINE_SCHEMA) is None
    assert up_to_date_manifest(runtime.output_dir / "other.parquet", [raw_sha256], IRIS_SCHEMA) is None


def test_build_dataset_header_contradicting_schema_is_a_config_error(
    store_raw: StoreRaw, runtime: ProcessingRuntime
) -> None:
    store_raw("flowers.csv", FLOWERS_CSV)

    with pytest.raises(ConfigError, match="header declares 4 features, schema 'wine' has 13"):
        build_dataset(csv_spec(schema_name="wine"), runtime)
