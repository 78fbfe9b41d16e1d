"""collect_temp_debris for stores in object storage (a real SeaweedFS on loopback): the local staging files of
killed uploads, and keys under the store's ``.tmp/``, by their age."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from airnub_prefect_starter.core.errors import StorageError
from airnub_prefect_starter.core.store.gc import collect_temp_debris
from airnub_prefect_starter.core.store.index import ManifestIndex
from airnub_prefect_starter.core.store.object_store import Bucket
from airnub_prefect_starter.core.store.s3_cas import S3ContentAddressedStore
from tests.support.http_server import LoopbackHTTPServer
from tests.support.stored_objects import ingest_bodies

HOUR = 3600.0


def killed_uploads(staging: Path) -> tuple[Path, Path]:
    """Two staging files a killed run left (two hours old) and one a running upload is writing (fresh)."""
    staging.mkdir(parents=True, exist_ok=True)
    old = staging / "part-killed"
    old.write_bytes(b"x" * 1000)
    two_hours_ago = time.time() - 2 * HOUR
    os.utime(old, (two_hours_ago, two_hours_ago))
    running = staging / "part-running"
    running.write_bytes(b"y" * 10)
    return old, running


def test_gc_removes_old_staging_files_of_an_object_storage_store_and_keeps_fresh_ones(
    s3_base: str, tmp_path: Path
) -> None:
    staging = tmp_path / "staging"
    old, running = killed_uploads(staging)

    dry = collect_temp_debris([s3_base], older_than_s=HOUR, staging_dir=staging, dry_run=True)
    listed = sorted(p.name for p in staging.iterdir())
    report = collect_temp_debris([s3_base], older_than_s=HOUR, staging_dir=staging)

    assert [Path(e.path) for e in dry.removed] == [old] and listed == ["part-killed", "part-running"]
    assert [(Path(e.path), e.size_bytes) for e in report.removed] == [(old, 1000)] and report.freed_bytes == 1000
    assert [Path(e.path) for e in report.kept] == [running]
    assert S3ContentAddressedStore(s3_base, staging_dir=staging).temp_files() == [running]


def test_gc_removes_tmp_keys_by_age_and_never_touches_objects_or_the_quarantine(
    http_server: LoopbackHTTPServer, index: ManifestIndex, s3_base: str, tmp_path: Path
) -> None:
    base = f"{s3_base}/cas"
    ingest_bodies(http_server, base, index, {"a": b"alpha" * 100})
    bucket = Bucket(base)
    bucket.put_bytes(".tmp/stage-x/f.csv", b"y" * 300)  # what a foreign writer could leave
    bucket.put_bytes(".tmp/stage-x/f.csv.manifest.json", b"{}" * 10)
    bucket.put_bytes(".tmp/part-y", b"z" * 7)
    bucket.put_bytes(".quarantine/src/old/f.csv", b"kept for inspection")
    stored_keys = sorted(i.key for i in bucket.list() if not i.key.startswith(".tmp/"))
    staging = tmp_path / "staging"

    young = collect_temp_debris([base], older_than_s=HOUR, staging_dir=staging)
    later = time.time() + 2 * HOUR  # S3 sets last_modified itself: let the clock move on instead
    dry = collect_temp_debris([base], older_than_s=HOUR, staging_dir=staging, now=later, dry_run=True)
    still_there = sorted(i.key for i in bucket.list(".tmp/"))
    report = collect_temp_debris([base], older_than_s=HOUR, staging_dir=staging, now=later)

    assert young.removed == [] and sorted(e.path for e in young.kept) == [
        f"{base}/.tmp/part-y",
        f"{base}/.tmp/stage-x",
    ]
    assert [(e.path, e.size_bytes) for e in dry.removed] == [(f"{base}/.tmp/part-y", 7), (f"{base}/.tmp/stage-x", 320)]
    assert still_there == [".tmp/part-y", ".tmp/stage-x/f.csv", ".tmp/stage-x/f.csv.manifest.json"]
    assert report.freed_bytes == 327 and len(report.removed) == 2
    assert list(bucket.list(".tmp/")) == []
    assert sorted(i.key for i in bucket.list()) == stored_keys


def test_gc_cleans_stores_on_disk_and_in_object_storage_together(s3_base: str, tmp_path: Path) -> None:
    staging = tmp_path / "staging"
    old, _running = killed_uploads(staging)
    local = tmp_path / "cas"
    (local / ".tmp").mkdir(parents=True)
    (local / ".tmp" / "part-z").write_bytes(b"q" * 5)
    Bucket(s3_base).put_bytes(".tmp/part-w", b"w" * 3)

    report = collect_temp_debris([local, s3_base], older_than_s=0, staging_dir=staging)

    assert sorted(e.path for e in report.removed) == sorted(
        [str(local / ".tmp" / "part-z"), f"{s3_base}/.tmp/part-w", str(old), str(staging / "part-running")]
    )
    assert report.freed_bytes == 5 + 3 + 1000 + 10
    assert list(staging.iterdir()) == [] and list(Bucket(s3_base).list()) == []


def test_gc_refuses_a_staging_dir_that_is_a_symlink(s3_base: str, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "precious.bin").write_bytes(b"not debris")
    staging = tmp_path / "staging"
    staging.symlink_to(outside, target_is_directory=True)

    with pytest.raises(StorageError, match="staging is a symlink: refusing to clean through it"):
        collect_temp_debris([s3_base], older_than_s=0, staging_dir=staging)

    assert (outside / "precious.bin").read_bytes() == b"not debris"


def test_gc_of_a_bucket_it_cannot_list_fails_in_one_line_naming_the_url(
    s3_base: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret-0123456789")

    with pytest.raises(StorageError, match="credentials were refused") as raised:
        collect_temp_debris([s3_base], older_than_s=0, staging_dir=tmp_path / "staging")

    assert s3_base in str(raised.value) and "not-the-secret" not in str(raised.value)
