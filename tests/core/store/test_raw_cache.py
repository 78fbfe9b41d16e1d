"""Raw inputs on object storage become local files through a cache, fetched once and verified (SeaweedFS)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from airnub_prefect_starter.core.errors import IntegrityError, StorageError
from airnub_prefect_starter.core.store.lineage import RawInput, local_raw_file, read_raw_input
from airnub_prefect_starter.core.store.object_store import Bucket

BODY = b"sepal_length,species\n5.1,setosa\n"
SHA = hashlib.sha256(BODY).hexdigest()


def stored(s3_base: str, body: bytes = BODY, sha256: str = SHA) -> RawInput:
    Bucket(s3_base).put_bytes(f"files/{sha256}/iris.csv", body)
    return RawInput("files", sha256, "iris.csv", f"{s3_base}/files/{sha256}/iris.csv", ("http://h/iris.csv",))


def test_an_object_is_fetched_into_the_cache_once_and_reused(s3_base: str, tmp_path: Path) -> None:
    raw = stored(s3_base)

    first = local_raw_file(raw, tmp_path / "cache")
    written = first.stat().st_mtime_ns
    second = local_raw_file(raw, tmp_path / "cache")

    assert first == second == tmp_path / "cache" / "files" / SHA / "iris.csv"
    assert first.read_bytes() == BODY and second.stat().st_mtime_ns == written
    assert read_raw_input(raw) == BODY


def test_a_damaged_cached_copy_is_fetched_again(s3_base: str, tmp_path: Path) -> None:
    raw = stored(s3_base)
    cached = local_raw_file(raw, tmp_path)
    cached.write_bytes(b"tampered")

    assert local_raw_file(raw, tmp_path).read_bytes() == BODY


def test_bytes_that_do_not_hash_to_the_index_sha256_never_reach_the_cache(s3_base: str, tmp_path: Path) -> None:
    wrong = "0" * 64
    raw = stored(s3_base, sha256=wrong)

    with pytest.raises(IntegrityError, match=rf"^{raw.location}: sha256 {SHA} differs from the expected {wrong}$"):
        local_raw_file(raw, tmp_path)
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_a_missing_object_is_one_line_naming_it(s3_base: str, tmp_path: Path) -> None:
    raw = RawInput("files", SHA, "iris.csv", f"{s3_base}/files/{SHA}/iris.csv", ())

    with pytest.raises(StorageError, match=rf"^{raw.location}: no such object$"):
        local_raw_file(raw, tmp_path)


def test_a_local_raw_input_is_its_own_file(tmp_path: Path) -> None:
    path = tmp_path / "store" / "files" / SHA / "iris.csv"
    path.parent.mkdir(parents=True)
    path.write_bytes(BODY)
    raw = RawInput("files", SHA, "iris.csv", str(path), ())

    assert local_raw_file(raw, tmp_path / "cache") == path
    assert read_raw_input(raw) == BODY
    assert not (tmp_path / "cache").exists()
