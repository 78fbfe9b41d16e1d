"""verify + repair against a real loopback server, with the index on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

from airnub_prefect_starter.core.http.fetch import build_http_client
from airnub_prefect_starter.core.store.cas import ContentAddressedStore
from airnub_prefect_starter.core.store.index import ManifestIndex
from airnub_prefect_starter.core.store.verify import verify_store
from airnub_prefect_starter.ingestion.config import FileToAcquire
from airnub_prefect_starter.ingestion.downloads import IngestContext, download_hash_store_and_manifest
from airnub_prefect_starter.ingestion.repair import RepairOutcome, repair_objects, repairable
from tests.support.http_server import LoopbackHTTPServer, sha256_hex
from tests.support.stored_objects import LOOPBACK_POLICY, ingest_bodies

BODIES = {"flip.csv": b"a,b\n1,2\n" * 50, "gone.csv": b"c,d\n3,4\n" * 50, "fine.csv": b"e\n5\n" * 50}


def repair(index: ManifestIndex) -> list[RepairOutcome]:
    return repair_objects(index, repairable(verify_store(index).problems), LOOPBACK_POLICY)


def test_repair_refetches_corrupt_and_missing_objects_and_quarantines_the_bad_copy(
    http_server: LoopbackHTTPServer, index: ManifestIndex, data: Path
) -> None:
    stored = ingest_bodies(http_server, data / "cas", index, BODIES)
    stored["flip.csv"].path.write_bytes(b"A" + BODIES["flip.csv"][1:])
    stored["gone.csv"].path.unlink()

    outcomes = repair(index)

    assert sorted((o.sha256, o.repaired) for o in outcomes) == sorted(
        [(sha256_hex(BODIES["flip.csv"]), True), (sha256_hex(BODIES["gone.csv"]), True)]
    )
    assert stored["flip.csv"].path.read_bytes() == BODIES["flip.csv"]
    assert stored["gone.csv"].path.read_bytes() == BODIES["gone.csv"]
    flip = next(o for o in outcomes if o.sha256 == stored["flip.csv"].sha256)
    assert flip.url == http_server.url("/flip.csv") and flip.quarantined is not None
    kept_aside = Path(flip.quarantined)
    assert kept_aside.parent == data / "cas" / ".quarantine" / "src"
    assert (kept_aside / "flip.csv").read_bytes() == b"A" + BODIES["flip.csv"][1:]
    assert json.loads(stored["flip.csv"].manifest_path.read_text())["sha256"] == stored["flip.csv"].sha256
    assert verify_store(index).ok
    assert (data / "cas" / ".tmp").is_dir() and list((data / "cas" / ".tmp").iterdir()) == []


def test_repair_refuses_a_source_that_now_serves_other_content(
    http_server: LoopbackHTTPServer, index: ManifestIndex, data: Path
) -> None:
    stored = ingest_bodies(http_server, data / "cas", index, BODIES)
    damaged = b"A" + BODIES["flip.csv"][1:]
    stored["flip.csv"].path.write_bytes(damaged)
    http_server.serve("/flip.csv", body=b"a new version of the file")

    [outcome] = repair(index)

    assert not outcome.repaired and outcome.quarantined is None
    assert "now serves other content" in outcome.detail and http_server.url("/flip.csv") in outcome.detail
    assert stored["flip.csv"].path.read_bytes() == damaged  # left as it was, not deleted
    assert not (data / "cas" / ".quarantine").exists()
    assert [p.kind for p in verify_store(index).problems] == ["corrupt"]


def test_repair_cannot_refetch_a_url_whose_secret_was_redacted(
    http_server: LoopbackHTTPServer, index: ManifestIndex, data: Path
) -> None:
    http_server.serve("/locked.csv", body=b"locked\n")  # behind a token: the index keeps the redacted URL
    with build_http_client(LOOPBACK_POLICY) as client:
        ctx = IngestContext(ContentAddressedStore(data / "cas"), index, LOOPBACK_POLICY, client, "src")
        locked = download_hash_store_and_manifest(
            FileToAcquire(name="locked", url=http_server.url("/locked.csv?token=s3cret")), ctx
        )
    locked.path.unlink()

    [outcome] = repair(index)

    assert not outcome.repaired and outcome.sha256 == locked.sha256
    assert "token=REDACTED" in outcome.detail and "cannot be fetched again" in outcome.detail
    assert http_server.hits["/locked.csv"] == 1


def test_repair_of_a_vanished_object_folder_writes_a_fresh_manifest(
    http_server: LoopbackHTTPServer, index: ManifestIndex, data: Path
) -> None:
    stored = ingest_bodies(http_server, data / "cas", index, BODIES)
    gone = stored["gone.csv"]
    gone.manifest_path.unlink()
    gone.path.unlink()
    gone.path.parent.rmdir()

    [outcome] = repair(index)

    assert outcome.repaired and outcome.quarantined is None
    manifest = json.loads(gone.manifest_path.read_text())
    assert (manifest["sha256"], manifest["details"]) == (gone.sha256, {"repaired": True})
    assert gone.path.read_bytes() == BODIES["gone.csv"] and verify_store(index).ok
