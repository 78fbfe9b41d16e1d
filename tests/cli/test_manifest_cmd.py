"""``airnub manifest list/show/verify``."""

from __future__ import annotations

import json
import shutil
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
    core_download_hash_store_and_manifest,
)
from tests.support.http_server import LoopbackHTTPServer


def ingest(server: LoopbackHTTPServer, data_dir: Path, *bodies: bytes, source: str = "src") -> list[IngestResult]:
    policy = HttpPolicy(allow_private_networks=True, retries=0)
    index = ManifestIndex(load_settings().resolved_index_url)
    with build_http_client(policy) as client:
        ctx = IngestContext(ContentAddressedStore(data_dir / "cas"), index, policy, client, source)
        results = [
            core_download_hash_store_and_manifest(
                FileToAcquire(name=f"f{i}", url=server.serve(f"/{i}.bin", body=body)), ctx
            )
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

    results = [airnub("manifest", *command) for command in (["list"], ["show", "abcdef"], ["verify"])]

    assert [r.exit_code for r in results] == [2, 2, 2]
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
