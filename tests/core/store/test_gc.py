"""collect_temp_debris on real folders: TTL, dry run, sizes, and symlinks never followed."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from airnub_prefect_starter.core.errors import StorageError
from airnub_prefect_starter.core.store.cas import ContentAddressedStore
from airnub_prefect_starter.core.store.gc import collect_temp_debris

HOUR = 3600.0


def aged(path: Path, seconds: float) -> Path:
    """Set ``path``'s mtime ``seconds`` in the past (links themselves, not their targets)."""
    when = time.time() - seconds
    os.utime(path, (when, when), follow_symlinks=False)
    return path


def killed_run_debris(base: Path) -> tuple[Path, Path]:
    """What a killed writer leaves: a partial download and a staging folder with an object and manifest."""
    temp = base / ".tmp"
    temp.mkdir(parents=True)
    part = temp / "part-abc"
    part.write_bytes(b"x" * 1000)
    staging = temp / "stage-def"
    staging.mkdir()
    (staging / "f.csv").write_bytes(b"y" * 300)
    (staging / "f.csv.manifest.json").write_bytes(b"{}" * 10)
    for path in (part, staging / "f.csv", staging / "f.csv.manifest.json", staging):
        aged(path, 2 * HOUR)
    return part, staging


def test_gc_removes_debris_older_than_the_ttl_and_reports_entries_and_bytes(tmp_path: Path) -> None:
    base = tmp_path / "cas"
    part, staging = killed_run_debris(base)
    running = base / ".tmp" / "part-running"
    running.write_bytes(b"z" * 50)  # a download in progress: touched just now

    report = collect_temp_debris([base], older_than_s=HOUR)

    assert [(Path(e.path), e.size_bytes) for e in report.removed] == [(part, 1000), (staging, 320)]
    assert report.freed_bytes == 1320 and [Path(e.path) for e in report.kept] == [running]
    assert ContentAddressedStore(base).temp_files() == [running]


def test_gc_dry_run_lists_and_removes_nothing(tmp_path: Path) -> None:
    base = tmp_path / "cas"
    part, staging = killed_run_debris(base)

    report = collect_temp_debris([base], older_than_s=HOUR, dry_run=True)

    assert [Path(e.path) for e in report.removed] == [part, staging] and report.freed_bytes == 1320
    assert part.read_bytes() == b"x" * 1000 and (staging / "f.csv").is_file()


def test_gc_keeps_a_staging_folder_whose_content_is_fresh(tmp_path: Path) -> None:
    base = tmp_path / "cas"
    _part, staging = killed_run_debris(base)
    (staging / "f.csv").write_bytes(b"being written")  # a newer mtime inside an old folder
    aged(staging, 2 * HOUR)

    report = collect_temp_debris([base], older_than_s=HOUR)

    assert [Path(e.path) for e in report.kept] == [staging] and (staging / "f.csv").is_file()


def test_gc_removes_links_as_links_and_never_touches_their_targets(tmp_path: Path) -> None:
    base = tmp_path / "cas"
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "precious.txt").write_bytes(b"keep me")
    temp = base / ".tmp"
    temp.mkdir(parents=True)
    (temp / "link-to-dir").symlink_to(outside, target_is_directory=True)
    aged(temp / "link-to-dir", 2 * HOUR)
    staging = temp / "stage-x"
    staging.mkdir()
    (staging / "inner-link").symlink_to(outside, target_is_directory=True)
    aged(staging / "inner-link", 2 * HOUR)
    aged(staging, 2 * HOUR)

    report = collect_temp_debris([base], older_than_s=HOUR)

    assert sorted(Path(e.path).name for e in report.removed) == ["link-to-dir", "stage-x"]
    assert report.freed_bytes == 0
    assert list(temp.iterdir()) == [] and (outside / "precious.txt").read_bytes() == b"keep me"


def test_gc_refuses_a_temp_area_that_is_a_symlink(tmp_path: Path) -> None:
    base = tmp_path / "cas"
    base.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "old.bin").write_bytes(b"not debris")
    aged(outside / "old.bin", 2 * HOUR)
    (base / ".tmp").symlink_to(outside, target_is_directory=True)

    with pytest.raises(StorageError, match=r"\.tmp is a symlink: refusing to clean through it"):
        collect_temp_debris([base], older_than_s=0)

    assert (outside / "old.bin").read_bytes() == b"not debris"


def test_gc_with_ttl_zero_empties_the_temp_area_and_skips_a_store_without_one(tmp_path: Path) -> None:
    base = tmp_path / "cas"
    killed_run_debris(base)

    report = collect_temp_debris([base, tmp_path / "never-written"], older_than_s=0)

    assert len(report.removed) == 2 and list((base / ".tmp").iterdir()) == []
