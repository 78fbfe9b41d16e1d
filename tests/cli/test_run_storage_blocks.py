"""prefect-aws blocks as the storage credentials of a run on object storage (SeaweedFS on loopback): `airnub blocks
setup --storage-block-type ...` makes the block from the AWS variables through the Prefect API, the variables are
then removed, and the run stores into the bucket with the block alone; an ``S3Bucket`` block whose bucket and
folder do not hold the data dir stops the run in one line. The dataset built on object storage is announced to
Prefect as an asset keyed by its s3:// URL."""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from prefect.blocks.system import Secret
from prefect.client.orchestration import get_client
from prefect.events import Event
from prefect.events.filters import EventFilter, EventNameFilter, EventResourceFilter
from prefect.events.worker import EventsWorker
from prefect_aws import AwsCredentials, MinIOCredentials, S3Bucket

from airnub_prefect_starter.common.settings import load_settings
from airnub_prefect_starter.core.store.object_store import Bucket, S3Credentials
from airnub_prefect_starter.tasks.storage_blocks import block_types_named, storage_credentials
from tests.cli.test_run_cmd import write_config
from tests.cli.test_run_data_stages_cmd import processing_config, write_yaml
from tests.support.http_server import LoopbackHTTPServer, sha256_hex
from tests.support.raw_inputs import FLOWERS_CSV
from tests.support.s3_server import S3Server

AWS_VARIABLES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL", "AWS_REGION")
#: The server persists events in batches (every few seconds).
PERSISTED_WITHIN_S = 60.0


@pytest.fixture(autouse=True)
def durable_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A data dir on object storage names its index; its working copy stays in the test's folder."""
    monkeypatch.setenv("AIRNUB_INDEX_URL", f"sqlite:///{tmp_path / 'manifest_index.sqlite3'}")
    monkeypatch.setenv("AIRNUB_WORK_DIR", str(tmp_path / "work"))


def _keys(server: S3Server) -> S3Credentials:
    return S3Credentials(server.access_key, server.secret_key, endpoint_url=server.endpoint, region="us-east-1")


def _materialized(asset: str) -> Event:
    """The asset materialization event of ``asset``, once the server has persisted it."""
    EventsWorker.drain_all()
    wanted = EventFilter(
        event=EventNameFilter(name=["prefect.asset.materialization.succeeded"]),
        resource=EventResourceFilter(id=[asset]),
    )
    deadline = time.monotonic() + PERSISTED_WITHIN_S
    with get_client(sync_client=True) as client:
        while not (events := client.read_events(wanted, limit=2).events):
            assert time.monotonic() < deadline, f"no materialization event of {asset}"
            time.sleep(0.5)
    return events[0]


def _set_up_block(
    kind: str, airnub: Callable[..., Result], s3_base: str, monkeypatch: pytest.MonkeyPatch
) -> tuple[str, Result]:
    """`airnub blocks setup` makes a ``kind`` block from the AWS variables; then the variables are removed."""
    name = f"storage-{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv("AIRNUB_STORAGE_CREDENTIALS_BLOCK", name)
    monkeypatch.setenv("AIRNUB_DATA_DIR", s3_base)
    setup = airnub("blocks", "setup", "--storage-block-type", kind)
    for variable in AWS_VARIABLES:
        monkeypatch.delenv(variable)
    return name, setup


def test_a_run_with_an_aws_credentials_block_and_no_aws_variables_stores_in_the_bucket(
    airnub: Callable[..., Result],
    s3_server: S3Server,
    s3_base: str,
    http_server: LoopbackHTTPServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    name, setup = _set_up_block("aws-credentials", airnub, s3_base, monkeypatch)
    ingestion = write_config(tmp_path / "i.yaml", http_server, http_server.serve("/flowers.csv", body=FLOWERS_CSV))
    processing = write_yaml(tmp_path / "p.yaml", processing_config(("flowers", "flowers.csv")))

    ingested = airnub("run", "project_alpha", "ingestion", "--config", str(ingestion), "--json")
    processed = airnub("run", "project_alpha", "processing", "--config", str(processing), "--json")

    assert setup.exit_code == 0, setup.stderr
    assert setup.stdout.splitlines()[0].strip() == f"created  aws-credentials/{name} (from the AWS_* variables)"
    block = AwsCredentials.load(name)
    assert block.aws_access_key_id == s3_server.access_key
    assert block.aws_client_parameters.endpoint_url == s3_server.endpoint
    assert ingested.exit_code == 0, ingested.stderr
    assert processed.exit_code == 0, processed.stderr
    assert json.loads(processed.stdout)["counts"] == {"built": 1, "unchanged": 0, "failed": 0, "total": 1}
    keys = {info.key for info in Bucket(s3_base, _keys(s3_server)).list()}
    assert f"downloads/cli_files/{sha256_hex(FLOWERS_CSV)}/flowers.csv" in keys
    assert {"processed/flowers.parquet", "processed/flowers.dataset.json"} <= keys
    outputs = setup.stdout + setup.stderr + ingested.stdout + ingested.stderr + processed.stdout + processed.stderr
    assert s3_server.secret_key not in outputs
    dataset = Bucket(s3_base, _keys(s3_server)).read_bytes("processed/flowers.parquet")
    event = _materialized(f"{s3_base}/processed/flowers.parquet")  # the asset is keyed by its place in the bucket
    assert event.payload["sha256"] == hashlib.sha256(dataset).hexdigest()
    assert event.payload["manifest"] == f"{s3_base}/processed/flowers.dataset.json"


@pytest.mark.parametrize("kind", ["minio-credentials", "s3-bucket"])
def test_a_run_with_a_minio_or_s3_bucket_block_alone_stores_in_the_bucket(
    kind: str,
    airnub: Callable[..., Result],
    s3_server: S3Server,
    s3_base: str,
    http_server: LoopbackHTTPServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    name, setup = _set_up_block(kind, airnub, s3_base, monkeypatch)
    ingestion = write_config(tmp_path / "i.yaml", http_server, http_server.serve("/flowers.csv", body=FLOWERS_CSV))

    ingested = airnub("run", "project_alpha", "ingestion", "--config", str(ingestion), "--json")

    assert setup.exit_code == 0, setup.stderr
    if kind == "s3-bucket":
        bucket = S3Bucket.load(name)
        assert f"s3://{bucket.bucket_name}/{bucket.bucket_folder}" == s3_base
    else:
        assert MinIOCredentials.load(name).minio_root_user == s3_server.access_key
    assert ingested.exit_code == 0, ingested.stderr
    keys = {info.key for info in Bucket(s3_base, _keys(s3_server)).list()}
    assert f"downloads/cli_files/{sha256_hex(FLOWERS_CSV)}/flowers.csv" in keys


def test_an_s3_bucket_block_that_does_not_hold_the_data_dir_stops_the_run_in_one_line(
    airnub: Callable[..., Result],
    s3_server: S3Server,
    s3_base: str,
    http_server: LoopbackHTTPServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    name, _ = _set_up_block("s3-bucket", airnub, s3_base, monkeypatch)
    elsewhere = s3_server.url(f"elsewhere-{uuid.uuid4().hex[:8]}")
    monkeypatch.setenv("AIRNUB_DATA_DIR", elsewhere)
    ingestion = write_config(tmp_path / "i.yaml", http_server, http_server.serve("/flowers.csv", body=FLOWERS_CSV))

    result = airnub("run", "project_alpha", "ingestion", "--config", str(ingestion))

    assert result.exit_code == 2
    lines = [line for line in result.stderr.splitlines() if line.strip() and not line.startswith("Prefect API:")]
    assert lines == [
        f"error: AIRNUB_STORAGE_CREDENTIALS_BLOCK: S3 Bucket block '{name}' holds {s3_base}, but AIRNUB_DATA_DIR is "
        f"{elsewhere}: set AIRNUB_DATA_DIR={s3_base} (or a folder under it)"
    ]
    assert http_server.request_paths == {}


def test_blocks_setup_without_the_aws_variables_makes_no_prefect_aws_block(
    airnub: Callable[..., Result], s3_base: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AIRNUB_STORAGE_CREDENTIALS_BLOCK", "aws-credentials/never-made")

    result = airnub("blocks", "setup")

    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "invalid AWS Credentials block 'never-made': set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (the block is "
        "made from them)"
    )
    with pytest.raises(ValueError, match="never-made"):
        AwsCredentials.load("never-made")
    AwsCredentials(aws_access_key_id="made-elsewhere").save("never-made")  # e.g. in the UI
    kept = airnub("blocks", "setup")
    assert kept.exit_code == 0, kept.stderr
    assert "kept  aws-credentials/never-made (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY not set)" in kept.stdout
    assert AwsCredentials.load("never-made").aws_access_key_id == "made-elsewhere"


def test_blocks_setup_refuses_a_type_other_than_the_one_the_setting_names(
    airnub: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRNUB_STORAGE_CREDENTIALS_BLOCK", "minio-credentials/lake")

    result = airnub("blocks", "setup", "--storage-block-type", "aws-credentials")

    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "invalid --storage-block-type aws-credentials: AIRNUB_STORAGE_CREDENTIALS_BLOCK names a minio-credentials "
        "block (minio-credentials/lake)"
    )


def test_blocks_setup_dry_run_makes_no_prefect_aws_block(
    airnub: Callable[..., Result], s3_base: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRNUB_STORAGE_CREDENTIALS_BLOCK", "aws-credentials/dry-run-only")

    result = airnub("blocks", "setup", "--dry-run")

    assert result.exit_code == 0, result.stderr
    assert "would set  aws-credentials/dry-run-only (from the AWS_* variables)" in result.stdout
    with pytest.raises(ValueError, match="dry-run-only"):
        AwsCredentials.load("dry-run-only")


def test_blocks_setup_run_again_without_the_type_keeps_the_existing_block_and_its_type(
    airnub: Callable[..., Result], s3_server: S3Server, s3_base: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    name, first = _set_up_block("aws-credentials", airnub, s3_base, monkeypatch)
    assert first.exit_code == 0, first.stderr

    again = airnub("blocks", "setup")  # the setting names the block without its type

    assert again.exit_code == 0, again.stderr
    assert f"kept  aws-credentials/{name} (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY not set)" in again.stdout
    assert block_types_named(name) == ["aws-credentials"]  # no Secret placeholder beside it
    assert storage_credentials(load_settings()) == _keys(server=s3_server)
    Secret(value="made by hand").save(name)
    several = airnub("blocks", "setup")
    assert several.exit_code == 2
    assert several.stderr.strip() == (
        f"invalid AIRNUB_STORAGE_CREDENTIALS_BLOCK: blocks of several types are named '{name}' (secret, "
        f"aws-credentials): write AIRNUB_STORAGE_CREDENTIALS_BLOCK=<type>/{name} or pass --storage-block-type"
    )
