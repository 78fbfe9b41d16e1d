"""A data dir on object storage opened on another machine: `pull_data` / `airnub data pull` into the working copy,
and polars straight from the bucket. Against the suite's real S3 server (SeaweedFS), no mock."""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from airnub_prefect_starter.analysis.record import load_analysis_record
from airnub_prefect_starter.cli.main import app
from airnub_prefect_starter.common.settings import load_settings
from airnub_prefect_starter.core.errors import ConfigError, StorageError
from airnub_prefect_starter.core.store import mirror
from airnub_prefect_starter.core.store.object_store import Bucket, S3Credentials
from airnub_prefect_starter.data_science.config_ds import data_paths
from airnub_prefect_starter.data_science.dataset_store import WrittenDataset, load_dataset_manifest, read_dataset
from airnub_prefect_starter.data_science.modeling.predict import load_model
from airnub_prefect_starter.data_science.remote_data import DEFAULT_FOLDERS, polars_storage_options, pull_data
from tests.support.demo_data import build_demo_data
from tests.support.http_server import LoopbackHTTPServer
from tests.support.raw_inputs import sklearn_iris_csv
from tests.support.s3_server import S3Server


@pytest.fixture
def on_bucket(s3_base: str, iris_dataset: WrittenDataset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """iris written elsewhere and pushed to ``<data dir URL>/processed``; the settings of a fresh machine: the data
    dir on the bucket, an empty working copy, a durable index."""
    mirror.push(iris_dataset.parquet_path.parent, Bucket(f"{s3_base}/processed"), "")
    monkeypatch.setenv("AIRNUB_DATA_DIR", s3_base)
    monkeypatch.setenv("AIRNUB_WORK_DIR", str(tmp_path / "work"))
    monkeypatch.setenv("AIRNUB_INDEX_URL", f"sqlite:///{tmp_path / 'index.sqlite3'}")
    return s3_base


def test_pull_data_brings_the_datasets_where_data_paths_points(on_bucket: str, tmp_path: Path) -> None:
    first = pull_data("processed")
    again = pull_data("processed")

    processed = data_paths().processed
    assert processed == tmp_path / "work" / "processed"
    assert [(f.url, f.path) for f in first] == [(f"{on_bucket}/processed", processed)]
    assert first[0].result.transferred == ("iris.dataset.json", "iris.parquet")
    assert again[0].result.transferred == () and again[0].result.unchanged == 2
    manifest = load_dataset_manifest(processed / "iris.parquet")  # verified against its sha256
    assert manifest.rows_out == len(read_dataset(processed / "iris.parquet")) == 150


def test_pull_data_of_a_local_data_dir_does_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRNUB_DATA_DIR", str(tmp_path / "data"))

    assert pull_data() == []
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize("folder", ["../etc", "/abs", "s3://other/x", ".cache", ""])
def test_pull_data_refuses_a_folder_outside_the_data_dir(on_bucket: str, folder: str) -> None:
    with pytest.raises(ConfigError, match="data dir|hidden"):
        pull_data(folder)


def test_pull_data_from_a_missing_bucket_is_one_storage_error(s3_env: dict[str, str], tmp_path: Path) -> None:
    settings = load_settings(
        data_dir="s3://no-such-bucket-here/x", work_dir=tmp_path / "w", index_url=f"sqlite:///{tmp_path}/i.db"
    )

    with pytest.raises(StorageError, match=r"s3://no-such-bucket-here/x/processed"):
        pull_data("processed", settings=settings)


def test_polars_scans_the_dataset_straight_from_the_bucket(on_bucket: str, iris_dataset: WrittenDataset) -> None:
    url = load_settings().storage_location("processed/iris.parquet")

    frame = pl.scan_parquet(url, storage_options=polars_storage_options()).collect()

    assert url == f"{on_bucket}/processed/iris.parquet"
    assert frame.equals(pl.read_parquet(iris_dataset.parquet_path))


def test_polars_storage_options_take_explicit_credentials_without_aws_variables(
    on_bucket: str, s3_server: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in s3_server.env:
        monkeypatch.delenv(name)
    credentials = S3Credentials(s3_server.access_key, s3_server.secret_key, endpoint_url=s3_server.endpoint)

    options = polars_storage_options(credentials)
    frame = pl.scan_parquet(f"{on_bucket}/processed/iris.parquet", storage_options=options).collect()

    assert options["aws_endpoint_url"] == s3_server.endpoint and options["aws_allow_http"] == "true"
    assert frame.height == 150


def test_airnub_data_pull_prints_each_folder_and_the_working_copy(on_bucket: str, tmp_path: Path) -> None:
    before = dict(os.environ)  # the command sets Prefect's defaults in the environment
    try:
        result = CliRunner().invoke(app, ["data", "pull", "processed", "models"], catch_exceptions=False)
    finally:
        os.environ.clear()
        os.environ.update(before)

    assert result.exit_code == 0, result.output
    work = tmp_path / "work"
    assert f"{on_bucket}/processed -> {work / 'processed'}: 2 transferred, 0 unchanged" in result.output
    assert f"{on_bucket}/models -> {work / 'models'}: 0 transferred, 0 unchanged" in result.output
    assert f"working copy: {work}" in result.output
    assert (work / "processed" / "iris.parquet").is_file()


@pytest.mark.slow
def test_a_pulled_working_copy_opens_the_demos_analysis_model_and_dataset_verified(
    s3_base: str, http_server: LoopbackHTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The demo's iris analysed on one machine and its folders pushed to the bucket; another machine pulls them
    and every file the analysis record names is there with its sha256, the model loads and the dataset reads."""
    built = tmp_path / "worker" / "data"
    outcome = build_demo_data(built, http_server, sklearn_iris_csv())
    for folder in DEFAULT_FOLDERS:
        mirror.push(built / folder, Bucket(f"{s3_base}/{folder}"), "")
    monkeypatch.setenv("AIRNUB_DATA_DIR", s3_base)
    monkeypatch.setenv("AIRNUB_WORK_DIR", str(tmp_path / "laptop"))
    monkeypatch.setenv("AIRNUB_INDEX_URL", f"sqlite:///{built / 'manifest_index.sqlite3'}")

    pulled = pull_data()

    paths = data_paths()
    assert [f.path for f in pulled] == [paths.processed, paths.models, paths.reports]
    record = load_analysis_record(paths.reports / "iris" / "analysis.json")
    assert record is not None and record.model_sha256 == outcome.model_sha256
    assert all(ref.intact(paths.data_dir) for ref in record.outputs.all())
    assert record.outputs.model is not None
    _estimator, metadata = load_model(record.outputs.model.resolve(paths.data_dir))  # sha256 checked first
    assert metadata.dataset_sha256 == record.recipe.dataset_sha256 == outcome.dataset_sha256
    assert load_dataset_manifest(paths.processed / "iris.parquet").sha256 == outcome.dataset_sha256
