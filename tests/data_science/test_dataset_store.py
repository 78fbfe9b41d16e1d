"""Writing datasets: deterministic Parquet, quarantine file, versioned manifest, atomic and idempotent."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from airnub_prefect_starter.common.utils import sha256_file
from airnub_prefect_starter.core.errors import ConfigError, IntegrityError
from airnub_prefect_starter.data_science.dataset_processing import write_dataset
from airnub_prefect_starter.data_science.dataset_store import (
    DatasetManifest,
    WrittenDataset,
    load_dataset_manifest,
    read_dataset,
    read_verified_dataset,
)
from airnub_prefect_starter.data_science.tables import ParsedTable
from tests.data_science.test_dataset_processing import MALFORMED_IRIS
from tests.support.demo_recipes import IRIS_SCHEMA, parse_demo

OTHER_SHA = "0" * 64


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_write_dataset_writes_parquet_and_manifest(iris_dataset: WrittenDataset) -> None:
    manifest = iris_dataset.manifest
    folder = iris_dataset.parquet_path.parent

    assert files_in(folder) == ["iris.dataset.json", "iris.parquet"]
    assert iris_dataset.rewritten is True and iris_dataset.quarantine_path is None
    assert manifest.sha256 == sha256_file(iris_dataset.parquet_path)
    assert manifest.parquet.size_bytes == iris_dataset.parquet_path.stat().st_size
    assert (manifest.rows_in, manifest.rows_out, manifest.rows_quarantined) == (150, 150, 0)
    assert manifest.table_schema == IRIS_SCHEMA
    on_disk = json.loads(iris_dataset.manifest_path.read_text(encoding="utf-8"))
    assert on_disk["schema_version"] == 2 and on_disk["dataset_name"] == "iris"
    assert DatasetManifest.model_validate(on_disk) == manifest


def test_write_dataset_parquet_keeps_input_order_and_no_pandas_metadata(
    iris_dataset: WrittenDataset, sklearn_csv: Callable[[str], Path]
) -> None:
    parquet = pq.ParquetFile(iris_dataset.parquet_path)
    frame = read_dataset(iris_dataset.parquet_path)

    assert b"pandas" not in (parquet.schema_arrow.metadata or {})
    assert parquet.metadata.num_rows == 150 and parquet.metadata.row_group(0).column(0).compression == "ZSTD"
    assert list(frame.columns) == list(IRIS_SCHEMA.column_names)
    assert frame.equals(parse_demo(sklearn_csv("iris"), "iris").frame.astype(frame.dtypes.to_dict()))


def test_write_dataset_twice_does_not_rewrite(iris_dataset: WrittenDataset, sklearn_csv: Callable[[str], Path]) -> None:
    before = iris_dataset.parquet_path.read_bytes()
    stats = {p: p.stat().st_mtime_ns for p in (iris_dataset.parquet_path, iris_dataset.manifest_path)}
    table = parse_demo(sklearn_csv("iris"), "iris")

    again = write_dataset(table, iris_dataset.parquet_path.parent, "iris", list(table.input_sha256s))

    assert again.rewritten is False and again.manifest_updated is False
    assert again.parquet_path.read_bytes() == before
    assert {p: p.stat().st_mtime_ns for p in stats} == stats
    assert again.manifest == iris_dataset.manifest  # created_at of the first write is kept
    assert files_in(again.parquet_path.parent) == ["iris.dataset.json", "iris.parquet"]  # no temp files left


def test_write_dataset_rows_in_another_order_are_another_dataset(iris_dataset: WrittenDataset, tmp_path: Path) -> None:
    reordered = parse_demo(iris_dataset_source(tmp_path, reverse=True), "iris")

    other = write_dataset(reordered, tmp_path / "other", "iris", [iris_dataset.manifest.input_sha256s[0]])

    assert other.manifest.rows_out == 150 and other.manifest.sha256 != iris_dataset.manifest.sha256
    assert read_dataset(other.parquet_path).equals(read_dataset(iris_dataset.parquet_path)[::-1].reset_index(drop=True))


def iris_dataset_source(tmp_path: Path, *, reverse: bool) -> Path:
    from sklearn.datasets import load_iris

    bunch = load_iris()
    rows = [",".join([*map(repr, map(float, r)), str(t)]) for r, t in zip(bunch.data, bunch.target, strict=True)]
    path = tmp_path / "iris_reordered.csv"
    body = "\n".join(reversed(rows) if reverse else rows)
    path.write_text(f"150,4,setosa,versicolor,virginica\n{body}\n", encoding="utf-8")
    return path


def test_write_dataset_from_json_equals_dataset_from_csv(
    wine_json: Path, sklearn_csv: Callable[[str], Path], tmp_path: Path
) -> None:
    from_json = parse_demo(wine_json, "wine_api")
    from_csv = parse_demo(sklearn_csv("wine"), "wine")

    a = write_dataset(from_json, tmp_path / "a", "wine", list(from_json.input_sha256s))
    b = write_dataset(from_csv, tmp_path / "b", "wine", list(from_csv.input_sha256s))

    assert a.manifest.sha256 == b.manifest.sha256
    assert a.manifest.input_sha256s != b.manifest.input_sha256s


def test_write_dataset_writes_quarantine_file(tmp_path: Path) -> None:
    raw = tmp_path / "iris_bad.csv"
    raw.write_text(MALFORMED_IRIS, encoding="utf-8")
    table = parse_demo(raw, "iris")

    written = write_dataset(table, tmp_path / "out", "iris_bad", [*table.input_sha256s, OTHER_SHA])

    assert written.quarantine_path == tmp_path / "out" / "iris_bad.quarantine.csv"
    rows = list(csv.reader(io.StringIO(written.quarantine_path.read_text(encoding="utf-8"))))
    sha256 = table.input_sha256s[0]
    assert rows[0] == ["object", "line", "column", "check", "value", "reason"]
    assert rows[1] == [sha256, "3", "", "field_count", "4.9,3.0,1.4,0", "expected 5 fields, got 4"]
    assert rows[2] == [sha256, "4", "sepal_width_cm", "type", "abc", "sepal_width_cm: not a float: 'abc'"]
    assert len(rows) == 7
    manifest = written.manifest
    assert (manifest.rows_in, manifest.rows_out, manifest.rows_quarantined) == (8, 2, 6)
    assert manifest.quarantine is not None and manifest.quarantine.sha256 == sha256_file(written.quarantine_path)
    assert manifest.quarantine_counts["type"] == 2
    assert manifest.input_sha256s == tuple(sorted([*table.input_sha256s, OTHER_SHA]))


def test_write_dataset_removes_stale_quarantine_file(tmp_path: Path, sklearn_csv: Callable[[str], Path]) -> None:
    raw = tmp_path / "iris_bad.csv"
    raw.write_text(MALFORMED_IRIS, encoding="utf-8")
    dirty = parse_demo(raw, "iris")
    write_dataset(dirty, tmp_path / "out", "iris", list(dirty.input_sha256s))
    clean = parse_demo(sklearn_csv("iris"), "iris")

    written = write_dataset(clean, tmp_path / "out", "iris", list(clean.input_sha256s))

    assert written.rewritten is True and written.manifest_updated is True
    assert files_in(tmp_path / "out") == ["iris.dataset.json", "iris.parquet"]
    assert written.manifest.quarantine is None


def test_write_dataset_updates_manifest_only_when_inputs_change(iris_dataset: WrittenDataset) -> None:
    parquet_mtime = iris_dataset.parquet_path.stat().st_mtime_ns
    table = table_from_dataset(iris_dataset)

    again = write_dataset(table, iris_dataset.parquet_path.parent, "iris", [OTHER_SHA])

    assert again.rewritten is False and again.manifest_updated is True
    assert iris_dataset.parquet_path.stat().st_mtime_ns == parquet_mtime
    assert load_dataset_manifest(again.parquet_path).input_sha256s == (OTHER_SHA,)


def table_from_dataset(written: WrittenDataset) -> ParsedTable:
    frame = read_dataset(written.parquet_path)
    return ParsedTable(
        schema=IRIS_SCHEMA,
        frame=frame,
        quarantine=(),
        rows_in=len(frame),
        location_kind="line",
        input_sha256s=written.manifest.input_sha256s,
    )


@pytest.mark.parametrize(
    ("name", "hashes", "message"),
    [
        ("../escape", [OTHER_SHA], "dataset_name: '../escape' must match"),
        ("Iris", [OTHER_SHA], "dataset_name: 'Iris' must match"),
        ("iris", ["ABC"], r"input_sha256s: need lowercase hex SHA-256 values, got \['ABC'\]"),
        ("iris", [], "input_sha256s: need lowercase hex SHA-256 values, got none"),
    ],
)
def test_write_dataset_rejects_bad_name_or_hashes(
    iris_dataset: WrittenDataset, tmp_path: Path, name: str, hashes: list[str], message: str
) -> None:
    table = table_from_dataset(iris_dataset)

    with pytest.raises(ConfigError, match=message):
        write_dataset(table, tmp_path / "x", name, hashes)

    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("load", [load_dataset_manifest, read_verified_dataset])
def test_loading_a_dataset_detects_modified_parquet(iris_dataset: WrittenDataset, load: Callable[[Path], Any]) -> None:
    data = bytearray(iris_dataset.parquet_path.read_bytes())
    data[-10] ^= 0xFF
    iris_dataset.parquet_path.write_bytes(bytes(data))

    with pytest.raises(IntegrityError, match=r"iris\.parquet: sha256 [0-9a-f]{64} differs from its manifest's"):
        load(iris_dataset.parquet_path)


def test_read_verified_dataset_gives_the_manifest_and_the_rows(iris_dataset: WrittenDataset) -> None:
    verified = read_verified_dataset(iris_dataset.parquet_path)

    assert verified.manifest == iris_dataset.manifest
    assert verified.frame.equals(read_dataset(iris_dataset.parquet_path))


def test_read_verified_dataset_checks_the_given_manifest(iris_dataset: WrittenDataset) -> None:
    other = iris_dataset.manifest.model_copy(
        update={"parquet": iris_dataset.manifest.parquet.model_copy(update={"sha256": OTHER_SHA})}
    )

    with pytest.raises(IntegrityError, match=f"differs from its manifest's {OTHER_SHA}"):
        read_verified_dataset(iris_dataset.parquet_path, other)


def test_load_dataset_manifest_names_missing_manifest(iris_dataset: WrittenDataset) -> None:
    iris_dataset.manifest_path.unlink()

    with pytest.raises(ConfigError, match=r"iris\.dataset\.json: cannot read dataset manifest"):
        load_dataset_manifest(iris_dataset.parquet_path)
