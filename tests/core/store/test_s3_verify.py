"""verify_store on a store in object storage (a real SeaweedFS on loopback), filled through real downloads, with
the index on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from airnub_prefect_starter.core.errors import StorageError
from airnub_prefect_starter.core.store.index import ManifestIndex
from airnub_prefect_starter.core.store.object_store import Bucket
from airnub_prefect_starter.core.store.verify import PROBLEM_KINDS, stored_manifest, verify_store
from tests.support.http_server import LoopbackHTTPServer
from tests.support.s3_server import S3Server
from tests.support.stored_objects import ingest_bodies


def bucket_snapshot(bucket: Bucket) -> dict[str, bytes]:
    """Every key under the bucket prefix with its bytes."""
    return {info.key: bucket.read_bytes(info.key) for info in bucket.list()}


def test_verify_passes_a_clean_store_in_object_storage(
    http_server: LoopbackHTTPServer, index: ManifestIndex, s3_base: str
) -> None:
    stored = ingest_bodies(http_server, f"{s3_base}/cas", index, {"a": b"alpha", "b": b"beta" * 1000})

    report = verify_store(index)

    assert (report.checked, report.problems, report.ok) == (2, [], True)
    assert index.storage_bases() == [f"{s3_base}/cas"]
    assert stored["a"].location.startswith(f"{s3_base}/cas/src/")


def test_verify_reports_each_kind_of_damage_in_object_storage_and_changes_nothing(
    http_server: LoopbackHTTPServer, index: ManifestIndex, s3_base: str
) -> None:
    names = ("flip", "short", "gone", "unparsed", "lying", "crowded", "no-manifest", "vanished")
    bodies = {name: f"{name} body ".encode() * 200 for name in names}
    base = f"{s3_base}/cas"
    stored = ingest_bodies(http_server, base, index, {**bodies, "fine": b"untouched"})
    bucket = Bucket(base)

    def key(name: str) -> str:
        return stored[name].location.removeprefix(base + "/")

    flipped = bytearray(bodies["flip"])
    flipped[-3] ^= 0x20  # same size: only the hash can tell
    bucket.put_bytes(key("flip"), bytes(flipped))
    bucket.put_bytes(key("short"), bodies["short"][:-1])
    bucket.delete(key("gone"))
    bucket.put_bytes(key("unparsed") + ".manifest.json", b'{"schema_version": 1, "sha256": ')
    lying = json.loads(bucket.read_bytes(key("lying") + ".manifest.json"))
    bucket.put_bytes(key("lying") + ".manifest.json", json.dumps({**lying, "size_bytes": 1, "filename": "o"}).encode())
    crowded_folder = key("crowded").rsplit("/", 1)[0]
    bucket.put_bytes(f"{crowded_folder}/extra.txt", b"left here by hand")
    bucket.delete(key("no-manifest") + ".manifest.json")
    for suffix in ("", ".manifest.json"):
        bucket.delete(key("vanished") + suffix)
    bucket.put_bytes(f"src/{'e' * 64}/x", b"copied in by hand")
    bucket.put_bytes(".tmp/stage-foreign/f.csv", b"a foreign writer's half upload")
    bucket.put_bytes(".tmp/stage-foreign/f.csv.manifest.json", b"{}")
    before = bucket_snapshot(bucket)

    report = verify_store(index, now=time.time() + 7200)  # the .tmp/ keys idle for two hours

    found = sorted((p.kind, p.sha256, p.path) for p in report.problems)
    sha = {name: result.sha256 for name, result in stored.items()}
    assert found == sorted(
        [
            ("corrupt", sha["flip"], stored["flip"].location),
            ("corrupt", sha["short"], stored["short"].location),
            ("missing", sha["gone"], stored["gone"].location),
            ("malformed", sha["unparsed"], stored["unparsed"].manifest_location),
            ("mismatched", sha["lying"], stored["lying"].manifest_location),
            ("stray", sha["crowded"], f"{base}/{crowded_folder}/extra.txt"),
            ("missing", sha["no-manifest"], stored["no-manifest"].manifest_location),
            ("missing", sha["vanished"], f"{base}/src/{sha['vanished']}"),
            ("orphaned", "e" * 64, f"{base}/src/{'e' * 64}"),
            ("debris", "", f"{base}/.tmp/stage-foreign"),
        ]
    )
    assert {p.kind for p in report.problems} == set(PROBLEM_KINDS) - {"symlinked"}  # no links in object storage
    details = {p.path: p.detail for p in report.problems}
    assert details[stored["flip"].location].startswith("bytes hash to ")
    short = len(bodies["short"])
    assert details[stored["short"].location] == f"{short - 1} bytes, the index says {short}"
    assert "size_bytes 1" in details[stored["lying"].manifest_location]
    assert "(2 files)" in details[f"{base}/.tmp/stage-foreign"]
    assert bucket_snapshot(bucket) == before


def test_verify_checks_stores_on_disk_and_in_object_storage_from_one_index(
    http_server: LoopbackHTTPServer, index: ManifestIndex, s3_base: str, data: Path
) -> None:
    on_disk = ingest_bodies(http_server, data / "cas", index, {"local": b"kept on disk" * 50}, source="disk")
    remote = ingest_bodies(http_server, f"{s3_base}/cas", index, {"remote": b"kept in a bucket" * 50}, source="s3")
    on_disk["local"].path.write_bytes(b"X" + on_disk["local"].path.read_bytes()[1:])
    Bucket(s3_base).put_bytes(remote["remote"].location.removeprefix(s3_base + "/"), b"Y" * (16 * 50))

    report = verify_store(index)

    assert report.checked == 2
    assert sorted((p.kind, p.path) for p in report.problems) == sorted(
        [("corrupt", str(on_disk["local"].path)), ("corrupt", remote["remote"].location)]
    )
    assert index.storage_bases() == sorted([str(data / "cas"), f"{s3_base}/cas"])


def test_verify_rehashes_a_large_object_as_a_stream(
    http_server: LoopbackHTTPServer, index: ManifestIndex, s3_base: str
) -> None:
    body = bytes(range(256)) * (12 * 1024)  # 3 MiB: several chunks
    stored = ingest_bodies(http_server, f"{s3_base}/cas", index, {"big": body})
    assert verify_store(index).ok
    damaged = bytearray(body)
    damaged[-1] ^= 0xFF  # the last chunk only
    Bucket(s3_base).put_bytes(stored["big"].location.removeprefix(s3_base + "/"), bytes(damaged))

    [problem] = verify_store(index).problems

    assert (problem.kind, problem.path) == ("corrupt", stored["big"].location)


def test_stored_manifest_reads_from_object_storage(
    http_server: LoopbackHTTPServer, index: ManifestIndex, s3_base: str
) -> None:
    stored = ingest_bodies(http_server, f"{s3_base}/cas", index, {"a": b"alpha"})
    [obj] = index.list_objects()

    manifest = stored_manifest(obj)
    Bucket(s3_base).delete(stored["a"].manifest_location.removeprefix(s3_base + "/"))

    assert manifest is not None and json.loads(manifest)["sha256"] == stored["a"].sha256
    assert stored_manifest(obj) is None


def test_verify_of_an_unreachable_bucket_fails_in_one_line_without_the_secret(
    http_server: LoopbackHTTPServer,
    index: ManifestIndex,
    s3_base: str,
    s3_server: S3Server,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ingest_bodies(http_server, f"{s3_base}/cas", index, {"a": b"alpha"})
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret-0123456789")

    with pytest.raises(StorageError, match="credentials were refused") as raised:
        verify_store(index)

    message = str(raised.value)
    assert "\n" not in message and s3_base in message
    assert "not-the-secret" not in message and s3_server.secret_key not in message
