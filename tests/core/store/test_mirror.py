"""A local folder and a bucket prefix kept alike (core.store.mirror), on a real S3 server (SeaweedFS on loopback)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from airnub_prefect_starter.core.store import mirror, object_store
from airnub_prefect_starter.core.store.object_store import Bucket


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def keys(bucket: Bucket, prefix: str = "") -> list[str]:
    return sorted(info.key for info in bucket.list(prefix))


def test_push_then_pull_into_a_fresh_folder_gives_the_same_files_and_skips_hidden_ones(
    s3_base: str, tmp_path: Path
) -> None:
    bucket = Bucket(s3_base)
    source = tmp_path / "source"
    write(source / "iris.parquet", b"PAR1 rows")
    write(source / "iris.dataset.json", b'{"rows": 1}\n')
    write(source / "figures" / "a.png", b"\x89PNG")
    write(source / ".iris.parquet.1234.tmp", b"half")
    write(source / ".raw-cache" / "x" / "y.csv", b"cached")

    pushed = mirror.push(source, bucket, "processed")
    pulled = mirror.pull(bucket, "processed/", tmp_path / "copy")

    assert pushed.transferred == ("figures/a.png", "iris.dataset.json", "iris.parquet")
    assert keys(bucket) == ["processed/figures/a.png", "processed/iris.dataset.json", "processed/iris.parquet"]
    assert (bucket.metadata("processed/iris.parquet") or {})["sha256"] == hashlib.sha256(b"PAR1 rows").hexdigest()
    assert (pulled.transferred, pulled.unchanged) == (pushed.transferred, 0)
    assert files(tmp_path / "copy") == {k: v for k, v in files(source).items() if not k.startswith(".")}
    assert dict(pulled.state) == dict(pushed.state)


def test_a_second_pull_and_push_transfer_nothing(s3_base: str, tmp_path: Path) -> None:
    bucket = Bucket(s3_base)
    write(tmp_path / "a" / "model.joblib", b"model")
    write(tmp_path / "a" / "metrics.json", b"{}")
    mirror.push(tmp_path / "a", bucket, "models")

    again = mirror.pull(bucket, "models", tmp_path / "a")
    pushed = mirror.push(tmp_path / "a", bucket, "models", since=again.state)
    unasked = mirror.push(tmp_path / "a", bucket, "models")

    assert (again.transferred, again.unchanged) == ((), 2)
    assert (pushed.transferred, pushed.unchanged, pushed.deleted) == ((), 2, ())
    assert (unasked.transferred, unasked.unchanged) == ((), 2)


def test_pull_replaces_a_file_that_differs_with_the_same_size_and_keeps_local_extras(
    s3_base: str, tmp_path: Path
) -> None:
    bucket = Bucket(s3_base)
    write(tmp_path / "source" / "report.html", b"<p>new</p>")
    mirror.push(tmp_path / "source", bucket, "reports")
    local = tmp_path / "local"
    write(local / "report.html", b"<p>old</p>")
    write(local / "only-here.md", b"draft")

    pulled = mirror.pull(bucket, "reports", local)

    assert pulled.transferred == ("report.html",)
    assert files(local) == {"only-here.md": b"draft", "report.html": b"<p>new</p>"}
    assert not list(local.glob(".*"))  # no partial download left behind


def test_an_object_written_without_its_sha256_is_fetched_again_when_the_sizes_match(
    s3_base: str, tmp_path: Path
) -> None:
    bucket = Bucket(s3_base)
    bucket.put_bytes("reports/notes.md", b"theirs")  # another tool: no sha256 in its metadata
    write(tmp_path / "notes.md", b"mine!!")

    pulled = mirror.pull(bucket, "reports", tmp_path)

    assert pulled.transferred == ("notes.md",)
    assert (tmp_path / "notes.md").read_bytes() == b"theirs"


def test_push_rewrites_changed_files_and_deletes_only_what_was_pulled_and_is_gone(s3_base: str, tmp_path: Path) -> None:
    bucket = Bucket(s3_base)
    local = tmp_path / "processed"
    write(local / "iris.parquet", b"v1")
    write(local / "iris.quarantine.csv", b"bad rows")
    write(local / "wine.parquet", b"wine")
    mirror.push(local, bucket, "processed")
    pulled = mirror.pull(bucket, "processed", local)
    bucket.put_bytes("processed/other-worker.parquet", b"theirs")  # written by someone else after the pull
    write(local / "iris.parquet", b"v2")
    (local / "iris.quarantine.csv").unlink()

    pushed = mirror.push(local, bucket, "processed", since=pulled.state)

    assert (pushed.transferred, pushed.unchanged, pushed.deleted) == (("iris.parquet",), 1, ("iris.quarantine.csv",))
    assert keys(bucket) == ["processed/iris.parquet", "processed/other-worker.parquet", "processed/wine.parquet"]
    assert bucket.read_bytes("processed/iris.parquet") == b"v2"


def test_push_without_a_pull_compares_content_and_deletes_nothing(s3_base: str, tmp_path: Path) -> None:
    bucket = Bucket(s3_base)
    write(tmp_path / "a.csv", b"1,2")
    write(tmp_path / "b.csv", b"3,4")
    mirror.push(tmp_path, bucket, "")
    write(tmp_path / "a.csv", b"9,9")  # same size, other bytes
    (tmp_path / "b.csv").unlink()

    pushed = mirror.push(tmp_path, bucket, "")

    assert (pushed.transferred, pushed.deleted) == (("a.csv",), ())
    assert keys(bucket) == ["a.csv", "b.csv"]
    assert bucket.read_bytes("a.csv") == b"9,9"


def test_a_large_file_goes_up_in_parts_with_its_sha256(
    s3_base: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(object_store, "SINGLE_PUT_MAX", 16)
    bucket = Bucket(s3_base)
    body = bytes(range(256)) * 64
    write(tmp_path / "big.parquet", body)

    mirror.push(tmp_path, bucket, "processed")
    pulled = mirror.pull(bucket, "processed", tmp_path)

    assert (bucket.metadata("processed/big.parquet") or {}).get("sha256") == hashlib.sha256(body).hexdigest()
    assert (pulled.transferred, pulled.unchanged) == ((), 1)


def test_an_empty_or_missing_prefix_pulls_nothing(s3_base: str, tmp_path: Path) -> None:
    pulled = mirror.pull(Bucket(s3_base), "nothing-here", tmp_path / "copy")

    assert (pulled.transferred, pulled.unchanged, dict(pulled.state)) == ((), 0, {})
    assert not (tmp_path / "copy").exists()
