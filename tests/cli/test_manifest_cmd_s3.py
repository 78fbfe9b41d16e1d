"""``airnub manifest list/show/verify/gc`` with the data dir in object storage (a real SeaweedFS on loopback)."""

from __future__ import annotations

import json
import os
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from prefect.blocks.system import Secret

from airnub_prefect_starter.common.settings import load_settings
from airnub_prefect_starter.core.store.index import ManifestIndex
from airnub_prefect_starter.core.store.object_store import Bucket
from airnub_prefect_starter.ingestion.downloads import IngestResult
from tests.support.http_server import LoopbackHTTPServer
from tests.support.s3_server import S3Server
from tests.support.stored_objects import ingest_bodies


@pytest.fixture
def s3_data_dir(s3_base: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """AIRNUB_DATA_DIR in object storage (a SQLite index on local disk) and this test's own $TMPDIR, so the upload
    staging dir that gc cleans is not shared with other tests."""
    monkeypatch.setenv("AIRNUB_DATA_DIR", s3_base)
    monkeypatch.setenv("AIRNUB_WORK_DIR", str(tmp_path / "work"))
    monkeypatch.setenv("AIRNUB_INDEX_URL", f"sqlite:///{tmp_path / 'manifest_index.sqlite3'}")
    temp = tmp_path / "tmpdir"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    return s3_base


def ingest(server: LoopbackHTTPServer, *bodies: bytes) -> tuple[str, list[IngestResult]]:
    """Ingest through the real download path into the ``cas`` store of the data dir, as the flows do."""
    settings = load_settings()
    base = settings.storage_location("cas")
    index = ManifestIndex(settings.resolved_index_url, root=settings.index_root)
    try:
        stored = ingest_bodies(server, base, index, {f"{i}.bin": body for i, body in enumerate(bodies)})
    finally:
        index.close()
    return base, list(stored.values())


def key_of(base: str, location: str) -> str:
    return location.removeprefix(base + "/")


def test_manifest_list_and_show_read_from_object_storage(
    airnub: Callable[..., Result], http_server: LoopbackHTTPServer, s3_data_dir: str
) -> None:
    base, stored = ingest(http_server, b"first", b"second")

    listed = airnub("manifest", "list", "--json")
    shown = airnub("manifest", "show", stored[1].sha256[:10])

    assert listed.exit_code == 0 and shown.exit_code == 0, listed.stderr + shown.stderr
    objects = json.loads(listed.stdout)
    assert [(o["sha256"], o["storage_base"]) for o in objects] == [(r.sha256, f"{s3_data_dir}/cas") for r in stored]
    [detail] = json.loads(shown.stdout)["objects"]
    assert detail["path"] == stored[1].location and detail["path"].startswith(f"{base}/src/")
    assert detail["manifest"]["sha256"] == stored[1].sha256
    assert detail["sources"][0]["url"] == http_server.url("/1.bin")


def test_manifest_verify_in_object_storage_reports_damage_and_repair_heals_it(
    airnub: Callable[..., Result], http_server: LoopbackHTTPServer, s3_data_dir: str
) -> None:
    base, (flipped, missing, unparsed, _fine) = ingest(http_server, b"flip me", b"delete me", b"unparsed", b"fine")
    bucket = Bucket(base)
    bucket.put_bytes(key_of(base, flipped.location), b"flip mE")
    bucket.delete(key_of(base, missing.location))
    bucket.put_bytes(key_of(base, unparsed.manifest_location), b"not json")
    bucket.put_bytes(f"src/{'f' * 64}/x", b"copied in by hand")

    clean_kinds = airnub("manifest", "verify")
    found = airnub("manifest", "verify", "--json")
    repaired = airnub("manifest", "verify", "--repair", "--allow-private-networks", "--json")

    assert clean_kinds.exit_code == 1
    assert "checked 4 objects: 1 corrupt, 1 missing, 1 orphaned, 1 malformed, 0 mismatched, 0 stray" in (
        clean_kinds.stdout
    )
    assert f"corrupt {flipped.location}: bytes hash to" in clean_kinds.stdout
    problems = {(p["kind"], p["path"]) for p in json.loads(found.stdout)["problems"]}
    assert problems == {
        ("corrupt", flipped.location),
        ("missing", missing.location),
        ("malformed", unparsed.manifest_location),
        ("orphaned", f"{base}/src/{'f' * 64}"),
    }
    assert repaired.exit_code == 1  # the manifest and the orphan are not repairable by a download
    report = json.loads(repaired.stdout)
    assert sorted((r["path"], r["repaired"]) for r in report["repairs"]) == sorted(
        [(flipped.location, True), (missing.location, True)]
    )
    assert report["remaining"] == 2
    flip = next(r for r in report["repairs"] if r["path"] == flipped.location)
    assert flip["quarantined"].startswith(f"{base}/.quarantine/src/{flipped.sha256}.")
    assert bucket.read_bytes(f"{key_of(base, flip['quarantined'])}/0.bin") == b"flip mE"
    assert bucket.read_bytes(key_of(base, flipped.location)) == b"flip me"
    assert bucket.read_bytes(key_of(base, missing.location)) == b"delete me"


def test_manifest_verify_passes_on_a_clean_store_in_object_storage(
    airnub: Callable[..., Result], http_server: LoopbackHTTPServer, s3_data_dir: str
) -> None:
    ingest(http_server, b"clean")

    result = airnub("manifest", "verify")

    assert result.exit_code == 0, result.stdout + result.stderr
    assert "checked 1 objects: 0 corrupt, 0 missing, 0 orphaned, 0 malformed" in result.stdout


def test_manifest_gc_cleans_old_staging_files_and_tmp_keys_of_stores_in_object_storage(
    airnub: Callable[..., Result], http_server: LoopbackHTTPServer, s3_data_dir: str
) -> None:
    base, _ = ingest(http_server, b"content")
    staging = Path(tempfile.gettempdir()) / "airnub-staging"
    staging.mkdir(exist_ok=True)
    (staging / "part-killed").write_bytes(b"x" * 1234)
    two_hours_ago = time.time() - 7200
    os.utime(staging / "part-killed", (two_hours_ago, two_hours_ago))
    (staging / "part-running").write_bytes(b"z")
    elsewhere = f"{s3_data_dir}/elsewhere"  # a store the index does not know
    Bucket(elsewhere).put_bytes(".tmp/part-foreign", b"ab")

    listed = airnub("manifest", "gc", "--dry-run")
    removed = airnub("manifest", "gc", "--json")
    everything = airnub("manifest", "gc", "--older-than", "0", "--store", elsewhere + "/")

    assert listed.exit_code == 0, listed.stderr
    assert "would remove 1 temp entries (1,234 bytes) from 1 stores; kept 1" in listed.stdout
    report = json.loads(removed.stdout)
    assert (report["freed_bytes"], [e["path"] for e in report["removed"]]) == (1234, [str(staging / "part-killed")])
    assert "removed 2 temp entries (3 bytes) from 2 stores" in everything.stdout
    assert f"{elsewhere}/.tmp/part-foreign" in everything.stdout
    assert list(staging.iterdir()) == [] and list(Bucket(elsewhere).list()) == []
    assert len(list(Bucket(base).list())) == 2  # the object and its manifest, untouched


@pytest.mark.parametrize("command", [["verify"], ["gc"], ["show", "abcdef"]])
def test_manifest_commands_say_in_one_line_that_the_bucket_refuses_the_credentials(
    airnub: Callable[..., Result],
    http_server: LoopbackHTTPServer,
    s3_data_dir: str,
    s3_server: S3Server,
    monkeypatch: pytest.MonkeyPatch,
    command: list[str],
) -> None:
    _base, (stored,) = ingest(http_server, b"abcdef content")
    if command[0] == "show":
        command = ["show", stored.sha256]
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret-0123456789")

    result = airnub("manifest", *command)

    assert result.exit_code == 1, result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and s3_data_dir in lines[0]
    assert "credentials were refused" in lines[0] and "Traceback" not in result.stderr
    assert "not-the-secret" not in result.stderr and s3_server.secret_key not in result.stderr


def test_manifest_commands_open_the_bucket_with_the_storage_credentials_block_alone(
    airnub: Callable[..., Result],
    http_server: LoopbackHTTPServer,
    s3_data_dir: str,
    s3_server: S3Server,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The keys in a Secret block ``AIRNUB_STORAGE_CREDENTIALS_BLOCK`` names, none in the environment: show,
    verify, verify --repair and gc open the bucket as the flows do."""
    base, (flipped, kept) = ingest(http_server, b"flip me", b"keep me")
    Bucket(base).put_bytes(key_of(base, flipped.location), b"flip mE")
    block = f"storage-{uuid.uuid4().hex[:10]}"
    keys = {"access_key_id": s3_server.access_key, "secret_access_key": s3_server.secret_key}
    Secret(value={**keys, "endpoint_url": s3_server.endpoint, "region": "us-east-1"}).save(block)
    monkeypatch.setenv("AIRNUB_STORAGE_CREDENTIALS_BLOCK", block)
    for variable in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(variable)

    shown = airnub("manifest", "show", kept.sha256)
    found = airnub("manifest", "verify", "--json")
    repaired = airnub("manifest", "verify", "--repair", "--allow-private-networks", "--json")
    elsewhere = f"{s3_data_dir}/elsewhere"  # a store the index does not know
    collected = airnub("manifest", "gc", "--older-than", "0", "--store", elsewhere, "--json")

    assert shown.exit_code == 0, shown.stderr
    assert json.loads(shown.stdout)["objects"][0]["manifest"]["sha256"] == kept.sha256
    assert found.exit_code == 1, found.stderr
    assert [(p["kind"], p["path"]) for p in json.loads(found.stdout)["problems"]] == [("corrupt", flipped.location)]
    assert repaired.exit_code == 0, repaired.stdout + repaired.stderr
    assert [(r["path"], r["repaired"]) for r in json.loads(repaired.stdout)["repairs"]] == [(flipped.location, True)]
    assert collected.exit_code == 0, collected.stderr
    assert [e["path"] for e in json.loads(collected.stdout)["removed"]] == []
    assert s3_server.secret_key not in shown.stdout + found.stdout + repaired.stdout + collected.stdout
