"""``airnub manifest list/show/verify``."""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from airnub_prefect_starter.common.settings import load_settings
from airnub_prefect_starter.core.http.fetch import build_http_client
from airnub_prefect_starter.core.http.policy import HttpPolicy
from airnub_prefect_starter.core.store.cas import ContentAddressedStore
from airnub_prefect_starter.core.store.index import ManifestIndex
from airnub_prefect_starter.ingestion.config import FileToAcquire
from airnub_prefect_starter.ingestion.downloads import (
    IngestContext,
    IngestResult,
    download_hash_store_and_manifest,
)
from tests.support.http_server import LoopbackHTTPServer


def ingest(server: LoopbackHTTPServer, data_dir: Path, *bodies: bytes, source: str = "src") -> list[IngestResult]:
    policy = HttpPolicy(allow_private_networks=True, retries=0)
    settings = load_settings()
    index = ManifestIndex(settings.resolved_index_url, root=settings.resolved_data_dir)
    with build_http_client(policy) as client:
        ctx = IngestContext(ContentAddressedStore(data_dir / "cas"), index, policy, client, source)
        results = [
            download_hash_store_and_manifest(FileToAcquire(name=f"f{i}", url=server.serve(f"/{i}.bin", body=body)), ctx)
            for i, body in enumerate(bodies)
        ]
    index.close()
    return results


def test_manifest_list_and_show(airnub: Callable[..., Result], http_server: LoopbackHTTPServer, data_dir: Path) -> None:
    stored = ingest(http_server, data_dir, b"first", b"second")

    listed = airnub("manifest", "list", "--json")
    shown = airnub("manifest", "show", stored[1].sha256[:10])

    assert [o["sha256"] for o in json.loads(listed.stdout)] == [r.sha256 for r in stored]
    [detail] = json.loads(shown.stdout)["objects"]
    assert detail["manifest"]["sha256"] == stored[1].sha256
    assert detail["sources"][0]["url"] == http_server.url("/1.bin")


def test_manifest_show_lists_every_copy_of_content_stored_under_two_sources(
    airnub: Callable[..., Result], http_server: LoopbackHTTPServer, data_dir: Path
) -> None:
    [first] = ingest(http_server, data_dir, b"same bytes", source="files")
    ingest(http_server, data_dir, b"same bytes", source="pages")

    both = airnub("manifest", "show", first.sha256)
    one = airnub("manifest", "show", first.sha256[:8], "--source", "pages")
    none = airnub("manifest", "show", first.sha256[:8], "--source", "elsewhere")

    assert both.exit_code == 0 and json.loads(both.stdout)["sha256"] == first.sha256
    assert [o["object"]["data_source_name"] for o in json.loads(both.stdout)["objects"]] == ["files", "pages"]
    assert [o["object"]["data_source_name"] for o in json.loads(one.stdout)["objects"]] == ["pages"]
    assert none.exit_code == 2 and f"no object matches '{first.sha256[:8]}' in data source 'elsewhere'" in none.stderr


def test_read_only_commands_create_nothing_where_there_is_no_index(
    airnub: Callable[..., Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRNUB_DATA_DIR", str(tmp_path / "empty"))
    monkeypatch.delenv("AIRNUB_INDEX_URL", raising=False)

    commands = (["list"], ["show", "abcdef"], ["verify"], ["gc"])
    results = [airnub("manifest", *command) for command in commands]

    assert [r.exit_code for r in results] == [2, 2, 2, 2]
    assert all("nothing to read: no manifest index at" in r.stderr for r in results)
    assert not (tmp_path / "empty").exists()


def test_manifest_verify_passes_on_a_clean_store(
    airnub: Callable[..., Result], http_server: LoopbackHTTPServer, data_dir: Path
) -> None:
    ingest(http_server, data_dir, b"clean")

    result = airnub("manifest", "verify")

    assert result.exit_code == 0
    assert "checked 1 objects: 0 corrupt, 0 missing, 0 orphaned" in result.stdout


def test_manifest_verify_reports_flipped_byte_missing_file_and_orphan(
    airnub: Callable[..., Result], http_server: LoopbackHTTPServer, data_dir: Path
) -> None:
    flipped, missing, _ = ingest(http_server, data_dir, b"flip me", b"delete me", b"keep me")
    data = bytearray(flipped.path.read_bytes())
    data[0] ^= 0x01
    flipped.path.write_bytes(bytes(data))
    missing.path.unlink()
    orphan_dir = data_dir / "cas" / "src" / ("f" * 64)
    orphan_dir.mkdir()
    shutil.copy(flipped.manifest_path, orphan_dir / "x.manifest.json")
    (orphan_dir / "x").write_bytes(b"stray")

    result = airnub("manifest", "verify", "--json")

    assert result.exit_code == 1
    problems = {(p["kind"], p["sha256"]) for p in json.loads(result.stdout)["problems"]}
    assert problems == {("corrupt", flipped.sha256), ("missing", missing.sha256), ("orphaned", "f" * 64)}


def test_manifest_verify_reports_manifest_stray_symlink_and_debris_kinds(
    airnub: Callable[..., Result], http_server: LoopbackHTTPServer, data_dir: Path
) -> None:
    unparsed, crowded, linked = ingest(http_server, data_dir, b"unparsed", b"crowded", b"linked")
    unparsed.manifest_path.write_text("not json", encoding="utf-8")
    (crowded.path.parent / "extra").write_bytes(b"stray")
    linked.path.unlink()
    linked.path.symlink_to(crowded.path)
    (data_dir / "cas" / ".tmp" / "part-killed").write_bytes(b"half")
    two_hours_ago = time.time() - 7200
    os.utime(data_dir / "cas" / ".tmp" / "part-killed", (two_hours_ago, two_hours_ago))

    result = airnub("manifest", "verify")

    assert result.exit_code == 1
    assert "checked 3 objects: 0 corrupt, 0 missing, 0 orphaned, 1 malformed, 0 mismatched, 1 stray, " in result.stdout
    assert "1 symlinked, 1 debris" in result.stdout
    assert (data_dir / "cas" / ".tmp" / "part-killed").read_bytes() == b"half" and linked.path.is_symlink()


def test_manifest_verify_during_a_run_does_not_report_its_staging_as_debris(
    airnub: Callable[..., Result], http_server: LoopbackHTTPServer, data_dir: Path
) -> None:
    ingest(http_server, data_dir, b"content")
    temp = data_dir / "cas" / ".tmp"
    (temp / "part-running").write_bytes(b"a download being written")

    during = airnub("manifest", "verify", "--json")
    strict = airnub("manifest", "verify", "--older-than", "0", "--json")

    assert during.exit_code == 0, during.stdout
    assert json.loads(during.stdout)["problems"] == []
    assert strict.exit_code == 1
    assert [(p["kind"], p["path"]) for p in json.loads(strict.stdout)["problems"]] == [
        ("debris", str(temp / "part-running"))
    ]


def test_manifest_verify_repair_refetches_and_keeps_the_bad_copy_aside(
    airnub: Callable[..., Result], http_server: LoopbackHTTPServer, data_dir: Path
) -> None:
    damaged, _ = ingest(http_server, data_dir, b"repair me", b"fine")
    damaged.path.write_bytes(b"repair me!")

    refused = airnub("manifest", "verify", "--repair", "--json")
    left_alone = damaged.path.read_bytes()
    repaired = airnub("manifest", "verify", "--repair", "--allow-private-networks", "--json")
    after = airnub("manifest", "verify")

    assert refused.exit_code == 1 and left_alone == b"repair me!"
    [not_repaired] = json.loads(refused.stdout)["repairs"]
    assert not not_repaired["repaired"] and "private" in not_repaired["detail"]
    assert repaired.exit_code == 0, repaired.stdout
    [outcome] = json.loads(repaired.stdout)["repairs"]
    assert outcome["repaired"] and outcome["url"] == http_server.url("/0.bin")
    assert (Path(outcome["quarantined"]) / damaged.path.name).read_bytes() == b"repair me!"
    assert damaged.path.read_bytes() == b"repair me" and after.exit_code == 0


def test_manifest_gc_dry_run_then_removes_old_debris_and_reports_bytes(
    airnub: Callable[..., Result], http_server: LoopbackHTTPServer, data_dir: Path
) -> None:
    ingest(http_server, data_dir, b"content")
    temp = data_dir / "cas" / ".tmp"
    (temp / "part-old").write_bytes(b"x" * 1234)
    (temp / "stage-old").mkdir()
    (temp / "stage-old" / "f.bin").write_bytes(b"y" * 766)
    two_hours_ago = time.time() - 7200
    for path in (temp / "part-old", temp / "stage-old" / "f.bin", temp / "stage-old"):
        os.utime(path, (two_hours_ago, two_hours_ago))
    (temp / "part-running").write_bytes(b"z")

    listed = airnub("manifest", "gc", "--dry-run")
    listed_entries = sorted(p.name for p in temp.iterdir())
    removed = airnub("manifest", "gc", "--json")
    unindexed = data_dir / "elsewhere" / ".tmp"  # a store the index does not know (its runs were all killed)
    unindexed.mkdir(parents=True)
    (unindexed / "part-x").write_bytes(b"ab")
    everything = airnub("manifest", "gc", "--older-than", "0", "--store", str(data_dir / "elsewhere"))
    wrong = airnub("manifest", "gc", "--older-than", "soon")

    assert listed.exit_code == 0 and "would remove 2 temp entries (2,000 bytes) from 1 stores; kept 1" in listed.stdout
    assert listed_entries == ["part-old", "part-running", "stage-old"]
    report = json.loads(removed.stdout)
    assert (report["freed_bytes"], [Path(e["path"]).name for e in report["removed"]]) == (
        2000,
        ["part-old", "stage-old"],
    )
    assert "removed 2 temp entries (3 bytes) from 2 stores" in everything.stdout
    assert list(temp.iterdir()) == [] and list(unindexed.iterdir()) == []
    assert wrong.exit_code == 2 and "not a duration" in wrong.stderr


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_manifest_verify_of_a_copied_data_dir_reports_the_copys_damage_only(
    airnub: Callable[..., Result],
    http_server: LoopbackHTTPServer,
    data_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    backend: str,
    request: pytest.FixtureRequest,
) -> None:
    if backend == "postgres":
        monkeypatch.setenv("AIRNUB_INDEX_URL", request.getfixturevalue("postgres_url"))
    stored = ingest(http_server, data_dir, b"one", b"two")
    copy = tmp_path / "copied"
    shutil.copytree(data_dir, copy)
    copied = copy / stored[0].path.relative_to(data_dir)
    copied.write_bytes(b"bad")

    in_original = airnub("manifest", "verify")
    in_copy = airnub("--data-dir", str(copy), "manifest", "verify", "--json")  # sets AIRNUB_DATA_DIR from now on

    assert in_copy.exit_code == 1
    assert [(p["kind"], p["path"]) for p in json.loads(in_copy.stdout)["problems"]] == [("corrupt", str(copied))]
    assert in_original.exit_code == 0 and stored[0].path.read_bytes() == b"one"


@pytest.mark.parametrize("command", [["verify"], ["gc"], ["list"]])
def test_manifest_commands_say_in_one_line_that_the_index_is_unreachable(
    airnub: Callable[..., Result], data_dir: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    monkeypatch.setenv("AIRNUB_INDEX_URL", "postgresql+psycopg://postgres@127.0.0.1:9/airnub?connect_timeout=2")

    result = airnub("manifest", *command)

    assert result.exit_code == 1
    assert [line for line in result.stderr.splitlines() if line.strip()] == [
        line for line in result.stderr.splitlines() if line.startswith("error: ") and "127.0.0.1" in line
    ]
    assert "Traceback" not in result.stderr
