"""The content-addressed store on a real S3 server (SeaweedFS on loopback)."""

from __future__ import annotations

import hashlib
import os
import threading
import tracemalloc
from pathlib import Path

import pytest

from airnub_prefect_starter.core.errors import IntegrityError, StorageError
from airnub_prefect_starter.core.store.backends import open_store
from airnub_prefect_starter.core.store.object_store import Bucket, S3Credentials
from airnub_prefect_starter.core.store.s3_cas import S3ContentAddressedStore
from tests.support.s3_server import S3Server


def _publish(store: S3ContentAddressedStore, body: bytes, tmp_path: Path, *, heal: bool = False) -> tuple[str, bool]:
    source = tmp_path / f"body-{hashlib.sha256(body).hexdigest()[:8]}-{threading.get_ident()}"
    source.write_bytes(body)
    stored, created = store.publish(
        source,
        data_source_name="alpha",
        sha256=hashlib.sha256(body).hexdigest(),
        size_bytes=len(body),
        filename="data.csv",
        manifest_json=b'{"m": 1}\n',
        heal=heal,
    )
    return stored.location, created


def test_open_store_picks_the_backend_from_the_base(s3_base: str, tmp_path: Path) -> None:
    assert isinstance(open_store(s3_base), S3ContentAddressedStore)
    assert not isinstance(open_store(str(tmp_path)), S3ContentAddressedStore)


def test_publish_writes_object_then_manifest_and_a_second_writer_gets_duplicate(s3_base: str, tmp_path: Path) -> None:
    store = S3ContentAddressedStore(s3_base)
    body = b"a,b\n1,2\n"
    digest = hashlib.sha256(body).hexdigest()
    location, created = _publish(store, body, tmp_path)
    assert created and location == f"{s3_base}/alpha/{digest}/data.csv"
    again, created_again = _publish(store, body, tmp_path)
    assert (again, created_again) == (location, False)
    keys = sorted(info.key for info in store.bucket.list(f"alpha/{digest}/"))
    assert keys == [f"alpha/{digest}/data.csv", f"alpha/{digest}/data.csv.manifest.json"]
    found = store.find("alpha", digest, "data.csv")
    assert found is not None and found.size_bytes == len(body)
    with store.open_stored(location) as stream:
        assert stream.read() == body


def test_racing_writers_leave_exactly_one_object(s3_base: str, tmp_path: Path) -> None:
    store = S3ContentAddressedStore(s3_base)
    body = b"x" * 4096
    results: list[bool] = []
    threads = [threading.Thread(target=lambda: results.append(_publish(store, body, tmp_path)[1])) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 5 + [True]
    assert len(list(store.bucket.list(f"alpha/{hashlib.sha256(body).hexdigest()}/"))) == 2


def test_a_missing_manifest_is_written_by_the_next_publish(s3_base: str, tmp_path: Path) -> None:
    store = S3ContentAddressedStore(s3_base)
    body = b"only the object survived the crash"
    digest = hashlib.sha256(body).hexdigest()
    _publish(store, body, tmp_path)
    store.bucket.delete(f"alpha/{digest}/data.csv.manifest.json")
    _publish(store, body, tmp_path)
    assert store.bucket.read_bytes(f"alpha/{digest}/data.csv.manifest.json") == b'{"m": 1}\n'


def test_a_duplicate_with_its_manifest_in_place_writes_nothing(
    s3_base: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = S3ContentAddressedStore(s3_base)
    body = b"stored once, with its manifest"
    _publish(store, body, tmp_path)
    writes: list[str] = []
    for method in ("put_bytes", "put_file"):
        real = getattr(store.bucket, method)
        monkeypatch.setattr(
            store.bucket, method, lambda key, *a, _real=real, **k: writes.append(key) or _real(key, *a, **k)
        )

    _, created = _publish(store, body, tmp_path)

    assert not created
    assert writes == []  # one LIST told both that the object and its manifest are there


def test_a_damaged_object_raises_or_is_quarantined_and_healed(s3_base: str, tmp_path: Path) -> None:
    store = S3ContentAddressedStore(s3_base)
    body = b"the good copy\n" * 10
    digest = hashlib.sha256(body).hexdigest()
    _publish(store, body, tmp_path)
    store.bucket.put_bytes(f"alpha/{digest}/data.csv", b"truncated")
    with pytest.raises(IntegrityError, match="stored object has 9 bytes"):
        _publish(store, body, tmp_path)
    location, created = _publish(store, body, tmp_path, heal=True)
    assert created
    assert store.bucket.read_bytes(f"alpha/{digest}/data.csv") == body
    quarantined = [i.key for i in store.bucket.list(".quarantine/")]
    assert any(key.endswith("/data.csv") for key in quarantined), quarantined


def test_a_large_body_goes_up_in_parts_with_bounded_memory(s3_base: str, tmp_path: Path) -> None:
    store = S3ContentAddressedStore(s3_base)
    body = bytes(range(256)) * (80 * 1024)  # 20 MiB: above the single-PUT limit
    location, created = _publish(store, body, tmp_path)
    assert created
    found = store.find("alpha", hashlib.sha256(body).hexdigest())
    assert found is not None and found.size_bytes == len(body)
    digest = hashlib.sha256()
    for chunk in store.bucket.iter_chunks(found.relative_path):
        digest.update(chunk)
    assert digest.hexdigest() == found.sha256
    assert not _publish(store, body, tmp_path)[1]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"bucket": "no-such-bucket"}, "no such bucket"),
        ({"secret": "wrong"}, "credentials were refused"),
        ({"endpoint": "http://127.0.0.1:9"}, "does not answer"),
    ],
)
def test_a_bad_bucket_credentials_or_endpoint_fail_in_one_line(
    s3_server: S3Server, change: dict[str, str], message: str
) -> None:
    credentials = S3Credentials(
        s3_server.access_key,
        change.get("secret", s3_server.secret_key),
        endpoint_url=change.get("endpoint", s3_server.endpoint),
        region="us-east-1",
    )
    bucket = Bucket(f"s3://{change.get('bucket', s3_server.bucket)}/p", credentials)
    with pytest.raises(StorageError, match=message) as raised:
        bucket.check()
    assert "\n" not in str(raised.value)
    assert s3_server.secret_key not in str(raised.value)


def test_the_same_content_under_a_second_name_is_a_duplicate_of_the_first(s3_base: str, tmp_path: Path) -> None:
    store = S3ContentAddressedStore(s3_base)
    body = b"same bytes, two names\n"
    digest = hashlib.sha256(body).hexdigest()
    source = tmp_path / "body"
    results = []
    for name in ("first.csv", "second.csv"):
        source.write_bytes(body)
        stored, created = store.publish(
            source,
            data_source_name="alpha",
            sha256=digest,
            size_bytes=len(body),
            filename=name,
            manifest_json=b"{}\n",
        )
        results.append((stored.filename, created))
    assert results == [("first.csv", True), ("first.csv", False)]
    assert sorted(i.key for i in store.bucket.list(f"alpha/{digest}/")) == [
        f"alpha/{digest}/first.csv",
        f"alpha/{digest}/first.csv.manifest.json",
    ]


def test_a_custom_endpoint_without_keys_is_refused_before_any_request(
    s3_server: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_server.endpoint)
    with pytest.raises(StorageError, match="no credentials for http://127.0.0.1") as raised:
        Bucket(s3_server.url("p"))

    hint = "name a block in AIRNUB_STORAGE_CREDENTIALS_BLOCK (secret, aws-credentials, minio-credentials or s3-bucket)"
    assert str(raised.value).endswith(f"set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or {hint}")


def test_open_stored_streams_an_object_without_holding_it_whole(s3_base: str) -> None:
    store = S3ContentAddressedStore(s3_base)
    body = os.urandom(32 * 1024 * 1024)
    digest = hashlib.sha256(body).hexdigest()
    store.bucket.put_bytes(f"alpha/{digest}/big.bin", body)
    location = f"{s3_base}/alpha/{digest}/big.bin"
    del body

    tracemalloc.start()
    try:
        read, size = hashlib.sha256(), 0
        with store.open_stored(location) as stream:
            while piece := stream.read(64 * 1024):
                read.update(piece)
                size += len(piece)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert (read.hexdigest(), size) == (digest, 32 * 1024 * 1024)
    assert peak < 8 * 1024 * 1024, f"peak {peak:,} bytes reading a 32 MiB object"


def test_open_stored_of_a_missing_object_is_a_storage_error_naming_it(s3_base: str) -> None:
    store = S3ContentAddressedStore(s3_base)
    location = f"{s3_base}/alpha/{'0' * 64}/gone.bin"

    with pytest.raises(StorageError, match=rf"^{location}: no such object$"), store.open_stored(location) as stream:
        stream.read()


def test_a_staging_dir_that_cannot_be_made_is_a_storage_error_naming_it(s3_base: str, tmp_path: Path) -> None:
    (tmp_path / "file").write_bytes(b"")
    store = S3ContentAddressedStore(s3_base, staging_dir=tmp_path / "file" / "staging")

    with pytest.raises(StorageError, match=r"^cannot create a temp file in .*/file/staging: ENOTDIR"):  # noqa: PT012
        with store.temp_file() as (_path, handle):
            handle.write(b"never")


def test_publish_of_a_staged_file_that_is_gone_is_a_storage_error_naming_it(s3_base: str, tmp_path: Path) -> None:
    store = S3ContentAddressedStore(s3_base)

    with pytest.raises(StorageError, match=rf"cannot read {tmp_path}/gone: ENOENT \(No such file or directory\)$"):
        store.publish(
            tmp_path / "gone",
            data_source_name="alpha",
            sha256="c" * 64,
            size_bytes=3,
            filename="gone.csv",
            manifest_json=b"{}",
        )
