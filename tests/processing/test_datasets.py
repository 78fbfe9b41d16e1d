"""One processing dataset, without Prefect: raw object from the index, incremental decision, integrity."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from airnub_prefect_starter.common.settings import load_settings
from airnub_prefect_starter.core.errors import IntegrityError, RawInputNotFoundError, SchemaMismatchError
from airnub_prefect_starter.processing.config import DatasetSpec
from airnub_prefect_starter.processing.datasets import (
    ProcessingRuntime,
    build_dataset,
    up_to_date_manifest,
)
from tests.support.demo_recipes import demo_dataset, iris_records_dataset
from tests.support.http_server import LoopbackHTTPServer, sha256_hex
from tests.support.raw_inputs import FLOWERS_CSV, FLOWERS_JSON, ingest_raw, publish_raw

StoreRaw = Callable[[str, bytes], Path]


@pytest.fixture
def runtime(tmp_path: Path, sqlite_url: str) -> ProcessingRuntime:
    return ProcessingRuntime(category="tabular_files", output_dir=tmp_path / "processed", index_url=sqlite_url)


@pytest.fixture
def store_raw(tmp_path: Path, sqlite_url: str) -> StoreRaw:
    """``store_raw(filename, body)``: publish ``body`` in a CAS and record it in the index as source ``files``."""
    return lambda filename, body: publish_raw(tmp_path / "cas", sqlite_url, filename, body)


def csv_spec(name: str = "flowers", like: str = "iris", **overrides: Any) -> DatasetSpec:
    """The demo's declaration of ``like`` reading ``flowers.csv`` of data source ``files``."""
    selector = {"data_source_name": "files", "filename": "flowers.csv"}
    return DatasetSpec.model_validate(demo_dataset(like, name=name, input=selector, **overrides))


def test_build_dataset_from_json_records_picked_by_item_name(store_raw: StoreRaw, runtime: ProcessingRuntime) -> None:
    store_raw("records", FLOWERS_JSON)
    spec = DatasetSpec.model_validate(
        iris_records_dataset(name="flowers_api", input={"data_source_name": "files", "name": "records"})
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


def test_up_to_date_manifest_needs_same_inputs_and_recipe(store_raw: StoreRaw, runtime: ProcessingRuntime) -> None:
    store_raw("flowers.csv", FLOWERS_CSV)
    outcome = build_dataset(csv_spec(), runtime)
    parquet = runtime.output_dir / "flowers.parquet"
    raw_sha256 = outcome.inputs[0].sha256
    recipe = csv_spec().recipe_sha256()

    assert up_to_date_manifest(parquet, [raw_sha256], recipe) is not None
    assert up_to_date_manifest(parquet, ["0" * 64], recipe) is None
    assert up_to_date_manifest(parquet, [raw_sha256], csv_spec(allow_empty=True).recipe_sha256()) is None
    assert up_to_date_manifest(runtime.output_dir / "other.parquet", [raw_sha256], recipe) is None


def test_build_dataset_rebuilds_when_the_declaration_changes(store_raw: StoreRaw, runtime: ProcessingRuntime) -> None:
    store_raw("flowers.csv", FLOWERS_CSV)
    first = build_dataset(csv_spec(), runtime)
    loose = csv_spec().model_dump(by_alias=True)
    loose["schema"]["columns"][0]["checks"] = {"min": 0, "max": 1000}  # 500 is no longer out of range

    second = build_dataset(DatasetSpec.model_validate(loose), runtime)
    third = build_dataset(DatasetSpec.model_validate(loose), runtime)

    assert (first.status, second.status, third.status) == ("built", "built", "unchanged")
    assert (first.rows_out, second.rows_out) == (6, 7) and "max" not in second.quarantine_counts


def test_build_dataset_wrong_declaration_is_a_schema_error_naming_dataset_and_object(
    store_raw: StoreRaw, runtime: ProcessingRuntime
) -> None:
    store_raw("flowers.csv", FLOWERS_CSV)

    with pytest.raises(SchemaMismatchError, match=r"dataset flowers: object [0-9a-f]{12} \(flowers.csv\): no row has "
                       "the 14 fields the schema names"):  # fmt: skip
        build_dataset(csv_spec(like="wine"), runtime)

    assert not (runtime.output_dir / "flowers.parquet").exists()


def test_build_dataset_reads_the_newest_object_of_every_url_or_all_versions(
    tmp_path: Path, sqlite_url: str, runtime: ProcessingRuntime
) -> None:
    def publish(body: bytes, url: str) -> None:
        publish_raw(tmp_path / "cas", sqlite_url, "kv.csv", body, url=url)

    spec = {
        "name": "kv",
        "input": {"data_source_name": "files", "filename": "kv.csv"},
        "format": "csv",
        "schema": {"columns": [{"name": "k", "type": "int"}, {"name": "v", "type": "str"}], "primary_key": ["k"]},
    }
    publish(b"k,v\n1,a-v1\n2,a-v1\n", "http://h/a/kv.csv")
    publish(b"k,v\n1,a-v2\n", "http://h/a/kv.csv")  # URL a changed: v1 is an older version now
    publish(b"k,v\n9,b-v1\n", "http://h/b/kv.csv")

    latest = build_dataset(DatasetSpec.model_validate(spec), runtime)
    union = build_dataset(DatasetSpec.model_validate({**spec, "name": "kv_all", "versions": "all"}), runtime)

    assert (latest.rows_in, latest.rows_out, len(latest.inputs)) == (2, 2, 2)
    assert (union.rows_in, union.rows_out, union.quarantine_counts, len(union.inputs)) == (4, 3, {"primary_key": 1}, 3)
    quarantined = (runtime.output_dir / "kv_all.quarantine.csv").read_text(encoding="utf-8").splitlines()
    assert quarantined[1].endswith(",2,k,primary_key,1,k: '1' repeats an earlier row (primary_key)")


def test_build_dataset_names_the_selector_when_nothing_is_stored(runtime: ProcessingRuntime) -> None:
    with pytest.raises(RawInputNotFoundError, match=r"files\[filename='flowers.csv'\]"):
        build_dataset(csv_spec(), runtime)


def test_build_dataset_finds_identical_bytes_under_each_url_s_own_file_name(
    http_server: LoopbackHTTPServer, data_dir: Path, tmp_path: Path
) -> None:
    names = ["a.csv", "b.csv", "c.csv"]
    ingested = [
        ingest_raw(http_server, f"/{name}", FLOWERS_CSV, data_source_name="files", name=name.removesuffix(".csv"))
        for name in names
    ]
    settings = load_settings()
    runtime = ProcessingRuntime(
        category="tabular_files",
        output_dir=tmp_path / "processed",
        index_url=settings.resolved_index_url,
        index_root=data_dir,
    )

    outcomes = [
        build_dataset(
            DatasetSpec.model_validate(
                demo_dataset("iris", name=f"flowers_{name[0]}", input={"data_source_name": "files", "filename": name})
            ),
            runtime,
        )
        for name in names
    ]

    assert [r.status.value for r in ingested] == ["stored", "duplicate", "duplicate"]  # one object in the store
    assert [(o.status, o.rows_out) for o in outcomes] == [("built", 6)] * 3
    for outcome in outcomes:
        [raw] = outcome.inputs
        assert raw.sha256 == sha256_hex(FLOWERS_CSV)
        assert raw.urls == tuple(http_server.url(f"/{name}") for name in names)
