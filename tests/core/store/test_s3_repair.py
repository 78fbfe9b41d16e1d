"""verify + repair of a store in object storage (a real SeaweedFS on loopback) against a real loopback HTTP
server, with the index on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest

from airnub_prefect_starter.core.store.index import ManifestIndex
from airnub_prefect_starter.core.store.object_store import Bucket
from airnub_prefect_starter.core.store.s3_cas import default_staging_dir
from airnub_prefect_starter.core.store.verify import verify_store
from airnub_prefect_starter.ingestion.repair import RepairOutcome, repair_objects, repairable
from tests.support.http_server import LoopbackHTTPServer, sha256_hex
from tests.support.stored_objects import LOOPBACK_POLICY, ingest_bodies

BODIES = {"flip.csv": b"a,b\n1,2\n" * 50, "gone.csv": b"c,d\n3,4\n" * 50, "fine.csv": b"e\n5\n" * 50}


@pytest.fixture(autouse=True)
def _own_staging_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This test's own $TMPDIR, so the staging dir it checks is not shared with other tests."""
    folder = tmp_path / "tmpdir"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def repair(index: ManifestIndex) -> list[RepairOutcome]:
    return repair_objects(index, repairable(verify_store(index).problems), LOOPBACK_POLICY)


def test_repair_refetches_corrupt_and_missing_objects_into_object_storage_and_quarantines_the_bad_copy(
    http_server: LoopbackHTTPServer, index: ManifestIndex, s3_base: str
) -> None:
    base = f"{s3_base}/cas"
    stored = ingest_bodies(http_server, base, index, BODIES)
    bucket = Bucket(base)
    flip_key = stored["flip.csv"].location.removeprefix(base + "/")
    bucket.put_bytes(flip_key, b"A" + BODIES["flip.csv"][1:])
    bucket.delete(stored["gone.csv"].location.removeprefix(base + "/"))

    outcomes = repair(index)

    assert sorted((o.sha256, o.repaired, o.path) for o in outcomes) == sorted(
        [
            (sha256_hex(BODIES["flip.csv"]), True, stored["flip.csv"].location),
            (sha256_hex(BODIES["gone.csv"]), True, stored["gone.csv"].location),
        ]
    )
    assert bucket.read_bytes(flip_key) == BODIES["flip.csv"]
    assert bucket.read_bytes(stored["gone.csv"].location.removeprefix(base + "/")) == BODIES["gone.csv"]
    flip = next(o for o in outcomes if o.sha256 == stored["flip.csv"].sha256)
    assert flip.url == http_server.url("/flip.csv") and flip.quarantined is not None
    assert flip.quarantined.startswith(f"{base}/.quarantine/src/{stored['flip.csv'].sha256}.")
    kept_aside = flip.quarantined.removeprefix(base + "/")
    assert bucket.read_bytes(f"{kept_aside}/flip.csv") == b"A" + BODIES["flip.csv"][1:]
    manifest = json.loads(bucket.read_bytes(flip_key + ".manifest.json"))
    assert manifest["sha256"] == stored["flip.csv"].sha256 and "repaired" not in manifest["details"]
    assert verify_store(index).ok
    assert list(default_staging_dir().iterdir()) == []


def test_repair_in_object_storage_refuses_a_source_that_now_serves_other_content(
    http_server: LoopbackHTTPServer, index: ManifestIndex, s3_base: str
) -> None:
    base = f"{s3_base}/cas"
    stored = ingest_bodies(http_server, base, index, BODIES)
    bucket = Bucket(base)
    damaged = b"A" + BODIES["flip.csv"][1:]
    flip_key = stored["flip.csv"].location.removeprefix(base + "/")
    bucket.put_bytes(flip_key, damaged)
    http_server.serve("/flip.csv", body=b"a new version of the file")

    [outcome] = repair(index)

    assert not outcome.repaired and outcome.quarantined is None
    assert "now serves other content" in outcome.detail and http_server.url("/flip.csv") in outcome.detail
    assert bucket.read_bytes(flip_key) == damaged  # left as it was, not deleted
    assert list(bucket.list(".quarantine/")) == []
    assert [p.kind for p in verify_store(index).problems] == ["corrupt"]


def test_repair_of_a_vanished_object_folder_in_object_storage_writes_a_fresh_manifest(
    http_server: LoopbackHTTPServer, index: ManifestIndex, s3_base: str
) -> None:
    base = f"{s3_base}/cas"
    stored = ingest_bodies(http_server, base, index, BODIES)
    gone = stored["gone.csv"]
    bucket = Bucket(base)
    key = gone.location.removeprefix(base + "/")
    bucket.delete(key)
    bucket.delete(key + ".manifest.json")

    [outcome] = repair(index)

    assert outcome.repaired and outcome.quarantined is None
    manifest = json.loads(bucket.read_bytes(key + ".manifest.json"))
    assert (manifest["sha256"], manifest["details"]) == (gone.sha256, {"repaired": True})
    assert bucket.read_bytes(key) == BODIES["gone.csv"] and verify_store(index).ok
