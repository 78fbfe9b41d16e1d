"""``airnub run`` with object storage (SeaweedFS on loopback): a bucket that does not exist, refused credentials or
an endpoint that does not answer stop the run at the start in one line, before anything is downloaded; credentials
from a Prefect Secret block (set up by `airnub blocks setup`) win over the AWS variables and carry a run from
ingestion through processing."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from prefect.blocks.system import Secret

from airnub_prefect_starter.core.store.object_store import Bucket, S3Credentials
from tests.cli.test_run_cmd import write_config
from tests.cli.test_run_data_stages_cmd import processing_config, write_yaml
from tests.support.http_server import LoopbackHTTPServer, sha256_hex
from tests.support.ports import free_port
from tests.support.raw_inputs import FLOWERS_CSV
from tests.support.s3_server import S3Server


def save_block(name: str, value: dict[str, Any]) -> None:
    Secret(value=value).save(name, overwrite=True)


@pytest.fixture(autouse=True)
def durable_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A data dir on object storage names its index."""
    monkeypatch.setenv("AIRNUB_INDEX_URL", f"sqlite:///{tmp_path / 'manifest_index.sqlite3'}")


def error_lines(result: Result) -> list[str]:
    """What stderr shows besides the line naming the Prefect API."""
    return [line for line in result.stderr.splitlines() if line.strip() and not line.startswith("Prefect API:")]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("bucket", "no such bucket (or key) (HTTP 404)"),
        ("secret", "access denied: the credentials were refused (HTTP 403)"),
        ("endpoint", "the endpoint does not answer (connection failed)"),
        ("block", "access denied: the credentials were refused (HTTP 403)"),
    ],
)
def test_object_storage_that_cannot_be_used_stops_the_run_before_any_download_in_one_line(
    change: str,
    reason: str,
    airnub: Callable[..., Result],
    s3_server: S3Server,
    s3_base: str,
    http_server: LoopbackHTTPServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = http_server.serve("/a.csv", body=b"a\n1\n")
    config = write_config(tmp_path / "c.yaml", http_server, url)
    data_url, endpoint = s3_base, s3_server.endpoint
    if change == "bucket":
        data_url = "s3://no-such-bucket-here/data"
    elif change == "secret":
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret-0123")
    elif change == "endpoint":
        endpoint = f"http://127.0.0.1:{free_port()}"
        monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    else:  # the block wins over the (right) AWS variables
        save_block("storage-wrong", {"access_key_id": s3_server.access_key, "secret_access_key": "wrong-0123456789"})
        monkeypatch.setenv("AIRNUB_STORAGE_CREDENTIALS_BLOCK", "storage-wrong")
    monkeypatch.setenv("AIRNUB_DATA_DIR", data_url)
    monkeypatch.setenv("AIRNUB_WORK_DIR", str(tmp_path / "work"))

    result = airnub("run", "project_alpha", "ingestion", "--config", str(config))

    assert result.exit_code == 2
    assert error_lines(result) == [f"error: {data_url}: {reason} (endpoint {endpoint})"]
    assert "Traceback" not in result.stderr + result.stdout
    assert "wrong-0123456789" not in result.stderr + result.stdout
    assert http_server.request_paths == {}  # nothing downloaded
    if change != "bucket":
        assert list(Bucket(s3_base, S3Credentials(**_keys(s3_server))).list()) == []


def _keys(server: S3Server) -> dict[str, str]:
    return {
        "access_key_id": server.access_key,
        "secret_access_key": server.secret_key,
        "endpoint_url": server.endpoint,
        "region": "us-east-1",
    }


def test_a_storage_credentials_block_that_is_missing_is_a_usage_error(
    airnub: Callable[..., Result],
    s3_base: str,
    http_server: LoopbackHTTPServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = write_config(tmp_path / "c.yaml", http_server, http_server.serve("/a.csv", body=b"a\n"))
    monkeypatch.setenv("AIRNUB_DATA_DIR", s3_base)
    monkeypatch.setenv("AIRNUB_WORK_DIR", str(tmp_path / "work"))
    monkeypatch.setenv("AIRNUB_STORAGE_CREDENTIALS_BLOCK", "no-such-block")

    result = airnub("run", "project_alpha", "ingestion", "--config", str(config))

    assert result.exit_code == 2
    assert error_lines(result) == [
        "error: AIRNUB_STORAGE_CREDENTIALS_BLOCK: no block named 'no-such-block' was found (accepted: secret "
        "(Secret), aws-credentials (AWS Credentials), minio-credentials (MinIO Credentials), s3-bucket (S3 Bucket); "
        "see `airnub blocks setup`)"
    ]
    assert http_server.request_paths == {}


def test_credentials_from_a_secret_block_alone_carry_ingestion_and_processing_on_object_storage(
    airnub: Callable[..., Result],
    s3_server: S3Server,
    s3_base: str,
    http_server: LoopbackHTTPServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL", "AWS_REGION"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AIRNUB_STORAGE_CREDENTIALS_BLOCK", "storage-right")
    monkeypatch.setenv("AIRNUB_SECRET_STORAGE_RIGHT", json.dumps(_keys(s3_server)))
    setup = airnub("blocks", "setup")  # the block, from the environment, as JSON text
    monkeypatch.setenv("AIRNUB_DATA_DIR", s3_base)
    monkeypatch.setenv("AIRNUB_WORK_DIR", str(tmp_path / "work"))
    ingestion = write_config(tmp_path / "i.yaml", http_server, http_server.serve("/flowers.csv", body=FLOWERS_CSV))
    processing = write_yaml(tmp_path / "p.yaml", processing_config(("flowers", "flowers.csv")))

    ingested = airnub("run", "project_alpha", "ingestion", "--config", str(ingestion), "--json")
    processed = airnub("run", "project_alpha", "processing", "--config", str(processing), "--json")

    assert "storage-right (from AIRNUB_SECRET_STORAGE_RIGHT)" in setup.stdout
    assert s3_server.secret_key not in setup.stdout + ingested.stdout + ingested.stderr + processed.stderr
    assert ingested.exit_code == 0, ingested.stderr
    assert processed.exit_code == 0, processed.stderr
    assert json.loads(processed.stdout)["counts"] == {"built": 1, "unchanged": 0, "failed": 0, "total": 1}
    keys = sorted(info.key for info in Bucket(s3_base, S3Credentials(**_keys(s3_server))).list())
    digest = sha256_hex(FLOWERS_CSV)
    assert f"downloads/cli_files/{digest}/flowers.csv" in keys
    assert {"processed/flowers.parquet", "processed/flowers.dataset.json", "processed/flowers.quarantine.csv"} <= {
        *keys
    }


def test_data_dir_option_with_an_s3_url_stores_in_the_bucket_and_nothing_locally(
    airnub: Callable[..., Result],
    s3_server: S3Server,
    s3_base: str,
    http_server: LoopbackHTTPServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = write_config(tmp_path / "c.yaml", http_server, http_server.serve("/flowers.csv", body=FLOWERS_CSV))
    monkeypatch.setenv("AIRNUB_WORK_DIR", str(tmp_path / "work"))
    monkeypatch.setenv("AIRNUB_DATA_DIR", "unused")  # the option sets it for the process: restored after the test
    monkeypatch.chdir(tmp_path)

    result = airnub("--data-dir", s3_base, "run", "project_alpha", "ingestion", "--config", str(config), "--json")
    listed = airnub("--data-dir", s3_base, "manifest", "list", "--json")

    assert result.exit_code == 0, result.stderr
    assert [item["status"] for item in json.loads(result.stdout)["items"]] == ["stored"]
    keys = {info.key for info in Bucket(s3_base, S3Credentials(**_keys(s3_server))).list()}
    assert f"downloads/cli_files/{sha256_hex(FLOWERS_CSV)}/flowers.csv" in keys
    assert not (tmp_path / "s3:").exists()  # the option once collapsed s3:// into a local folder s3:/
    assert listed.exit_code == 0, listed.stderr
    assert sha256_hex(FLOWERS_CSV) in listed.stdout


@pytest.mark.parametrize(
    ("data_dir", "problem"),
    [
        ("gs://bucket/x", "gs:// is not a storage this project writes to: use a path or s3://bucket/prefix"),
        ("az://container/x", "az:// is not a storage this project writes to: use a path or s3://bucket/prefix"),
        ("s3a://bucket/x", "s3a:// is not a storage this project writes to: use a path or s3://bucket/prefix"),
        ("s3:/bucket/x", "'s3:/bucket/x' looks like a URL with a '/' lost after 's3:' (write s3://...)"),
        ("s3://Bad_Bucket/x", "'Bad_Bucket' is not an S3 bucket name (3-63 of a-z, 0-9, '.', '-')"),
    ],
)
@pytest.mark.parametrize("given", ["option", "environment"])
def test_a_data_dir_on_storage_this_project_cannot_write_is_refused_before_anything_runs(
    data_dir: str,
    problem: str,
    given: str,
    airnub: Callable[..., Result],
    http_server: LoopbackHTTPServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = write_config(tmp_path / "c.yaml", http_server, http_server.serve("/a.csv", body=b"a\n1\n"))
    monkeypatch.chdir(tmp_path)
    args = ["run", "project_alpha", "ingestion", "--config", str(config)]
    monkeypatch.setenv("AIRNUB_DATA_DIR", data_dir)  # also restores it after the option set it for the process
    if given == "option":
        monkeypatch.delenv("AIRNUB_DATA_DIR")
        args = ["--data-dir", data_dir, *args]

    result = airnub(*args)

    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: AIRNUB_DATA_DIR: {problem}"
    assert http_server.request_paths == {}
    assert list(tmp_path.iterdir()) == [tmp_path / "c.yaml"]  # no local folder named after the URL
