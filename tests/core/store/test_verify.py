"""verify_store on stores filled through real downloads, with the index on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

from airnub_prefect_starter.core.store.index import ManifestIndex
from airnub_prefect_starter.core.store.verify import PROBLEM_KINDS, verify_store
from tests.support.http_server import LoopbackHTTPServer
from tests.support.stored_objects import ingest_bodies


def snapshot(root: Path) -> dict[str, bytes | str]:
    """Every path under ``root`` (links not followed) with its bytes, or its link target."""
    found: dict[str, bytes | str] = {}
    for folder, dirs, files in os.walk(root):
        for name in (*dirs, *files):
            path = Path(folder) / name
            if path.is_symlink():
                found[str(path)] = f"-> {os.readlink(path)}"
            elif path.is_file():
                found[str(path)] = path.read_bytes()
            else:
                found[str(path)] = "dir"
    return found


def test_verify_passes_a_clean_store(http_server: LoopbackHTTPServer, index: ManifestIndex, data: Path) -> None:
    ingest_bodies(http_server, data / "cas", index, {"a": b"alpha", "b": b"beta"})

    report = verify_store(index)

    assert (report.checked, report.problems, report.ok) == (2, [], True)


def test_verify_reports_temp_entries_as_debris_only_once_abandoned(
    http_server: LoopbackHTTPServer, index: ManifestIndex, data: Path
) -> None:
    ingest_bodies(http_server, data / "cas", index, {"a": b"alpha"})
    temp = data / "cas" / ".tmp"
    temp.mkdir(exist_ok=True)
    (temp / "part-running").write_bytes(b"a download being written")
    (temp / "stage-running").mkdir()
    (temp / "stage-running" / "f.bin").write_bytes(b"staged a moment ago")
    (temp / "part-killed").write_bytes(b"half a download")
    two_hours_ago = time.time() - 7200
    for path in (temp / "part-killed", temp / "stage-running"):  # a staging folder made long ago, written now
        os.utime(path, (two_hours_ago, two_hours_ago))

    report = verify_store(index)
    strict = verify_store(index, debris_older_than_s=0)

    assert [(p.kind, p.path) for p in report.problems] == [("debris", str(temp / "part-killed"))]
    assert report.problems[0].detail.startswith("left in the temp area, idle for 720")
    strictly = sorted(Path(p.path).name for p in strict.of_kind("debris"))
    assert strictly == ["part-killed", "part-running", "stage-running"]


def test_verify_reports_each_kind_of_damage_distinctly_and_changes_nothing(
    http_server: LoopbackHTTPServer, index: ManifestIndex, data: Path, tmp_path: Path
) -> None:
    bodies = {name: f"{name} body".encode() * 10 for name in ("flip", "gone", "unparsed", "lying", "crowded", "linked")}
    stored = ingest_bodies(http_server, data / "cas", index, {**bodies, "fine": b"untouched"})
    flipped = bytearray(stored["flip"].path.read_bytes())
    flipped[3] ^= 0x20
    stored["flip"].path.write_bytes(bytes(flipped))
    stored["gone"].path.unlink()
    stored["unparsed"].manifest_path.write_text('{"schema_version": 1, "sha256": ', encoding="utf-8")
    lying = json.loads(stored["lying"].manifest_path.read_text(encoding="utf-8"))
    stored["lying"].manifest_path.write_text(json.dumps({**lying, "size_bytes": 1, "filename": "other.bin"}))
    (stored["crowded"].path.parent / "extra.txt").write_bytes(b"left here by hand")
    outside = tmp_path / "outside.bin"
    outside.write_bytes(stored["linked"].path.read_bytes())
    stored["linked"].path.unlink()
    stored["linked"].path.symlink_to(outside)
    orphan = data / "cas" / "src" / ("e" * 64)
    orphan.mkdir()
    (orphan / "x").write_bytes(b"copied in by hand")
    (data / "cas" / ".tmp").mkdir(exist_ok=True)
    (data / "cas" / ".tmp" / "part-killed").write_bytes(b"half a download")
    two_hours_ago = time.time() - 7200
    os.utime(data / "cas" / ".tmp" / "part-killed", (two_hours_ago, two_hours_ago))
    before = snapshot(data / "cas")

    report = verify_store(index)

    found = {(p.kind, p.sha256) for p in report.problems}
    assert found == {
        ("corrupt", stored["flip"].sha256),
        ("missing", stored["gone"].sha256),
        ("malformed", stored["unparsed"].sha256),
        ("mismatched", stored["lying"].sha256),
        ("stray", stored["crowded"].sha256),
        ("symlinked", stored["linked"].sha256),
        ("orphaned", "e" * 64),
        ("debris", ""),
    }
    assert len(report.problems) == 8 and {p.kind for p in report.problems} == set(PROBLEM_KINDS)
    [mismatched] = report.of_kind("mismatched")
    assert "size_bytes 1" in mismatched.detail and "filename 'other.bin'" in mismatched.detail
    [stray] = report.of_kind("stray")
    assert stray.path.endswith("extra.txt")
    [debris] = report.of_kind("debris")
    assert debris.path == str(data / "cas" / ".tmp" / "part-killed")
    assert snapshot(data / "cas") == before and outside.read_bytes() == bodies["linked"]


def test_verify_of_a_copied_data_dir_checks_the_copy_and_leaves_the_original_alone(
    http_server: LoopbackHTTPServer, index_url: str, tmp_path: Path
) -> None:
    original = tmp_path / "original"
    if index_url.startswith("sqlite"):  # the index travels with the data dir
        index_url = f"sqlite:///{original / 'manifest_index.sqlite3'}"
    writer = ManifestIndex(index_url, root=original)
    stored = ingest_bodies(http_server, original / "cas", writer, {"a": b"alpha" * 100, "b": b"beta" * 100})
    writer.close()
    copy = tmp_path / "copy"
    shutil.copytree(original, copy)
    copied_a = copy / stored["a"].path.relative_to(original)
    copied_a.write_bytes(b"damaged in the copy")
    copy_url = index_url.replace(str(original), str(copy))
    original_before = snapshot(original)

    copy_index = ManifestIndex(copy_url, root=copy)
    original_index = ManifestIndex(index_url, root=original)
    try:
        copy_report = verify_store(copy_index)
        original_report = verify_store(original_index)
    finally:
        copy_index.close()
        original_index.close()

    assert [(p.kind, p.path) for p in copy_report.problems] == [("corrupt", str(copied_a))]
    assert original_report.ok and original_report.checked == 2
    assert snapshot(original) == original_before
