"""Storage credentials from each accepted kind of Prefect block, saved through the session's Prefect API: a Secret
holding JSON, prefect-aws ``AwsCredentials`` / ``MinIOCredentials`` / ``S3Bucket``; and the one-line errors (an
unknown type, a missing block, a name two types share, an ``S3Bucket`` that does not hold the data dir)."""

from __future__ import annotations

import uuid

import pytest
from prefect.blocks.system import Secret
from prefect_aws import AwsClientParameters, AwsCredentials, AwsSecret, MinIOCredentials, S3Bucket

from airnub_prefect_starter.common.settings import load_settings
from airnub_prefect_starter.core.errors import ConfigError
from airnub_prefect_starter.core.store.object_store import S3Credentials
from airnub_prefect_starter.tasks.storage_blocks import parse_block_setting, storage_credentials

pytestmark = pytest.mark.usefixtures("prefect_harness")

ENDPOINT = "http://127.0.0.1:8333"
ACCEPTED = (
    "accepted: secret (Secret), aws-credentials (AWS Credentials), minio-credentials (MinIO Credentials), "
    "s3-bucket (S3 Bucket)"
)


def _name() -> str:
    return f"storage-{uuid.uuid4().hex[:10]}"


def _resolve(block: str, monkeypatch: pytest.MonkeyPatch, data_dir: str = "data") -> S3Credentials | None:
    monkeypatch.setenv("AIRNUB_STORAGE_CREDENTIALS_BLOCK", block)
    monkeypatch.setenv("AIRNUB_DATA_DIR", data_dir)
    monkeypatch.setenv("AIRNUB_INDEX_URL", "sqlite:///unused.sqlite3")
    return storage_credentials(load_settings())


def _aws(**fields: object) -> AwsCredentials:
    return AwsCredentials(
        aws_access_key_id="key-id",
        aws_secret_access_key="the-secret",
        region_name="eu-west-1",
        aws_client_parameters=AwsClientParameters(endpoint_url=ENDPOINT),
        **fields,
    )


def test_aws_credentials_block_gives_keys_endpoint_and_region(monkeypatch: pytest.MonkeyPatch) -> None:
    name = _name()
    _aws(aws_session_token="the-token").save(name)

    credentials = _resolve(name, monkeypatch)

    assert credentials == S3Credentials("key-id", "the-secret", "the-token", ENDPOINT, "eu-west-1")
    assert "the-secret" not in repr(credentials)


def test_aws_credentials_block_without_keys_leaves_them_to_the_aws_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    name = _name()
    AwsCredentials(region_name="us-east-2").save(name)

    assert _resolve(f"aws-credentials/{name}", monkeypatch) == S3Credentials(region="us-east-2")


def test_aws_credentials_block_with_half_a_key_pair_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    name = _name()
    AwsCredentials(aws_access_key_id="key-id").save(name)

    with pytest.raises(ConfigError) as caught:
        _resolve(name, monkeypatch)

    assert str(caught.value) == (
        f"AIRNUB_STORAGE_CREDENTIALS_BLOCK: AWS Credentials block '{name}' needs both aws_access_key_id and "
        "aws_secret_access_key (or neither)"
    )


def test_minio_credentials_block_gives_the_root_user_and_password(monkeypatch: pytest.MonkeyPatch) -> None:
    name = _name()
    MinIOCredentials(
        minio_root_user="minio-user",
        minio_root_password="minio-password",
        aws_client_parameters=AwsClientParameters(endpoint_url=ENDPOINT),
    ).save(name)

    credentials = _resolve(name, monkeypatch)

    assert credentials == S3Credentials("minio-user", "minio-password", endpoint_url=ENDPOINT)


def test_s3_bucket_block_gives_its_credentials_when_it_holds_the_data_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    name = _name()
    S3Bucket(bucket_name="lake", bucket_folder="airnub/", credentials=_aws()).save(name)

    at_folder = _resolve(name, monkeypatch, data_dir="s3://lake/airnub")
    under_it = _resolve(f"s3-bucket/{name}", monkeypatch, data_dir="s3://lake/airnub/prod")

    assert at_folder == under_it == S3Credentials("key-id", "the-secret", None, ENDPOINT, "eu-west-1")


@pytest.mark.parametrize(
    ("data_dir", "shown"),
    [("s3://lake/other", "s3://lake/other"), ("s3://lake/airnubx", "s3://lake/airnubx"), ("data", "data")],
)
def test_s3_bucket_block_that_does_not_hold_the_data_dir_is_one_line(
    data_dir: str, shown: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = _name()
    S3Bucket(bucket_name="lake", bucket_folder="airnub", credentials=_aws()).save(name)

    with pytest.raises(ConfigError) as caught:
        _resolve(name, monkeypatch, data_dir=data_dir)

    assert str(caught.value) == (
        f"AIRNUB_STORAGE_CREDENTIALS_BLOCK: S3 Bucket block '{name}' holds s3://lake/airnub, but AIRNUB_DATA_DIR is "
        f"{shown}: set AIRNUB_DATA_DIR=s3://lake/airnub (or a folder under it)"
    )


def test_secret_block_holding_json_still_works(monkeypatch: pytest.MonkeyPatch) -> None:
    name = _name()
    Secret(value={"access_key_id": "k", "secret_access_key": "s", "endpoint_url": ENDPOINT}).save(name)

    assert _resolve(name, monkeypatch) == S3Credentials("k", "s", endpoint_url=ENDPOINT)
    assert _resolve(f"secret/{name}", monkeypatch) == S3Credentials("k", "s", endpoint_url=ENDPOINT)


def test_a_block_of_another_type_is_one_line_naming_the_types_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    name = _name()
    AwsSecret(aws_credentials=_aws(), secret_name="storage-keys").save(name)  # a real block, but not credentials

    with pytest.raises(ConfigError) as by_name:
        _resolve(name, monkeypatch)
    with pytest.raises(ConfigError) as by_slug:
        _resolve(f"aws-secret/{name}", monkeypatch)

    setting = "AIRNUB_STORAGE_CREDENTIALS_BLOCK"
    assert str(by_name.value) == f"{setting}: block '{name}' has type 'aws-secret'; {ACCEPTED}"
    assert str(by_slug.value) == f"{setting}: 'aws-secret/{name}' has type 'aws-secret'; {ACCEPTED}"


def test_a_missing_block_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError) as bare:
        _resolve("no-such-block", monkeypatch)
    with pytest.raises(ConfigError) as typed:
        _resolve("aws-credentials/no-such-block", monkeypatch)

    assert str(bare.value) == (
        f"AIRNUB_STORAGE_CREDENTIALS_BLOCK: no block named 'no-such-block' was found ({ACCEPTED}; see "
        "`airnub blocks setup`)"
    )
    assert str(typed.value) == (
        "AIRNUB_STORAGE_CREDENTIALS_BLOCK: AWS Credentials block 'no-such-block' was not found "
        "(see `airnub blocks setup`)"
    )


def test_a_name_two_accepted_types_share_asks_for_the_type(monkeypatch: pytest.MonkeyPatch) -> None:
    name = _name()
    _aws().save(name)
    Secret(value={"access_key_id": "k", "secret_access_key": "s"}).save(name)

    with pytest.raises(ConfigError) as caught:
        _resolve(name, monkeypatch)

    assert str(caught.value) == (
        f"AIRNUB_STORAGE_CREDENTIALS_BLOCK: blocks of several types are named '{name}' (secret, aws-credentials): "
        f"write AIRNUB_STORAGE_CREDENTIALS_BLOCK=<type>/{name}"
    )
    assert _resolve(f"aws-credentials/{name}", monkeypatch) == S3Credentials(
        "key-id", "the-secret", None, ENDPOINT, "eu-west-1"
    )


def test_parse_block_setting_reads_a_name_or_a_typed_name() -> None:
    assert parse_block_setting("creds") == (None, "creds")
    assert parse_block_setting("minio-credentials/creds") == ("minio-credentials", "creds")
